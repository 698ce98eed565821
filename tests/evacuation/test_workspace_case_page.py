"""The case page around the work: once opened, what the applicant said and the thread come
first and the actions after them; replying, noting and labelling never hide the content again."""

from __future__ import annotations

import pytest

from evacuation.models import CaseLabel, Label
from tests.factories import (
    case_opened,
    hidden_fields,
    staff_case_page,
    submit_intake,
    verified_client,
)

pytestmark = pytest.mark.django_db

NAME = "Applicant Alias"  # the name intake_data() sends
REPLY = "Marker reply: we are looking at your request"


def test_the_content_and_thread_come_before_the_actions(team):
    reference, _code = submit_intake()
    client = verified_client(team.carla)
    case_opened(client, reference)
    page = staff_case_page(client, reference)
    told = page.index("What the applicant told us")
    thread = page.index("Messages and files")
    actions = page.index("What you can do now")
    history = page.index("<h2>History</h2>")
    assert told < thread < actions < history
    assert page.index(NAME) < actions


def test_before_an_opening_the_opening_form_comes_before_the_actions(team):
    reference, _code = submit_intake()
    page = staff_case_page(verified_client(team.carla), reference)
    assert NAME not in page
    assert page.index("Open this case") < page.index("What you can do now")


def test_after_a_reply_a_note_and_a_label_the_content_is_still_shown(team):
    label = Label.objects.create(name="waiting for documents")
    reference, _code = submit_intake()
    client = verified_client(team.carla)
    case_opened(client, reference, "reply")

    response = client.post(f"/staff/cases/{reference}/message/", {"text": REPLY}, follow=True)
    page = response.content.decode()
    assert "Your message is sent." in page
    assert NAME in page and REPLY in page  # no new opening asked for

    page = staff_case_page(client, reference)
    response = client.post(
        f"/staff/cases/{reference}/notes/",
        {**hidden_fields(page, "note"), "text": "Marker note"},
        follow=True,
    )
    page = response.content.decode()
    assert NAME in page and REPLY in page and "Marker note" in page
    assert "Hide the content again" in page

    seen = {
        name: value
        for name, value in hidden_fields(page, "note").items()
        if name in ("seen_state", "seen_version")
    }
    response = client.post(
        f"/staff/cases/{reference}/labels/", {**seen, "labels": [label.pk]}, follow=True
    )
    page = response.content.decode()
    assert "The labels are saved." in page and CaseLabel.objects.filter(label=label).exists()
    assert NAME in page and REPLY in page
