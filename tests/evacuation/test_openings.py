"""Every decryption, and every action on a case's content, follows an opening of that case by that
person, with a reason, recorded once (evacuation.rules.ON_CONTENT). The opening lasts for the
person's signed-in session, or until they hide the content again."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from evacuation.models import Attachment, Case, Message, Note
from evacuation.rules import ON_CONTENT
from tests.factories import (
    applicant_with,
    case_opened,
    hidden_fields,
    photo_with_gps,
    staff_case_page,
    submit_intake,
    verified_client,
)

pytestmark = pytest.mark.django_db

NAME = "Applicant Alias"  # the name intake_data() sends
OPEN_FIRST = "Open this case first, with a reason"
STAFF_WORDS = "Marker-opening: the train leaves at six"


@pytest.fixture
def case_with_a_photo(team):
    """A request whose applicant sent a photo: something to decrypt on every path."""
    reference, code = submit_intake()
    applicant_with(code).act("upload", file=("photo.jpg", photo_with_gps()))
    return reference, Attachment.objects.get()


def _events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_the_rule_covers_every_action_on_content():
    assert {
        "assess",
        "decline",
        "propose_funding",
        "note",
        "message",
        "upload",
        "download",
        "issue_new_code",
    } <= ON_CONTENT


def test_without_an_opening_nothing_is_decrypted_or_written(team, case_with_a_photo):
    reference, photo = case_with_a_photo
    client = verified_client(team.carla)
    page = staff_case_page(client, reference)
    assert NAME not in page and "Once you open the case" in page
    seen = hidden_fields(page, "take")  # the page's state and version, as a hand-made form
    case = Case.objects.get(reference=reference)
    events = AuditEvent.objects.count()

    for path, form in {
        "assess": {"risk_level": "2", "verified_by": "interview", "support": "legal"},
        "decline": {"reason": "duplicate"},
        "notes": {"text": "a note"},
    }.items():
        response = client.post(f"/staff/cases/{reference}/{path}/", {**seen, **form})
        assert response.status_code == 200, path
        assert OPEN_FIRST in response.content.decode(), path
        assert NAME not in response.content.decode(), path

    response = client.post(f"/staff/cases/{reference}/message/", {"text": "hi"}, follow=True)
    assert OPEN_FIRST in response.content.decode()
    upload = SimpleUploadedFile("ticket.jpg", photo_with_gps(), content_type="image/jpeg")
    response = client.post(f"/staff/cases/{reference}/files/", {"file": upload}, follow=True)
    assert OPEN_FIRST in response.content.decode()
    response = client.post(f"/staff/cases/{reference}/files/{photo.uid}/", follow=True)
    assert response["Content-Type"].startswith("text/html")  # the page, not the photo
    assert OPEN_FIRST in response.content.decode()

    after = Case.objects.get(pk=case.pk)
    assert (after.state, after.version) == (case.state, case.version)
    assert not Note.objects.exists() and not Message.objects.exists()
    assert Attachment.objects.count() == 1
    assert AuditEvent.objects.count() == events  # no opening, no download, nothing


def test_one_opening_with_a_reason_is_recorded_once_and_lasts_through_the_work(
    team, case_with_a_photo
):
    reference, photo = case_with_a_photo
    client = verified_client(team.carla)
    case_opened(client, reference, "reply")
    opened = AuditEvent.objects.get(action="case.opened")
    assert (opened.actor, opened.target_ref, opened.data) == (
        team.carla,
        reference,
        {"reason": "reply"},
    )

    client.post(f"/staff/cases/{reference}/message/", {"text": STAFF_WORDS})
    page = staff_case_page(client, reference)
    client.post(f"/staff/cases/{reference}/notes/", {**hidden_fields(page, "note"), "text": "n"})
    page = staff_case_page(client, reference)
    assess = {"risk_level": "2", "verified_by": "interview", "support": "legal"}
    response = client.post(
        f"/staff/cases/{reference}/assess/", {**hidden_fields(page, "assess"), **assess}
    )
    assert response.status_code == 302
    download = client.post(f"/staff/cases/{reference}/files/{photo.uid}/")
    assert download["Content-Type"] == "image/jpeg"

    page = staff_case_page(client, reference)
    assert NAME in page and STAFF_WORDS in page  # still open after each step
    assert Case.objects.get(reference=reference).state == "assessed"
    assert _events("case.opened") == 1 and _events("file.downloaded") == 1


def test_an_opening_is_one_persons_and_one_cases(team, case_with_a_photo):
    reference, _photo = case_with_a_photo
    other, _code = submit_intake(name="Other Alias")
    carla, kim = verified_client(team.carla), verified_client(team.kim)
    case_opened(carla, reference)
    assert NAME in staff_case_page(carla, reference)
    assert NAME not in staff_case_page(kim, reference)  # a colleague has not opened it
    assert "Other Alias" not in staff_case_page(carla, other)  # nor has she opened case B
    response = carla.post(f"/staff/cases/{other}/message/", {"text": "hi"}, follow=True)
    assert OPEN_FIRST in response.content.decode()
    assert not Message.objects.exists()


def test_signing_in_again_or_hiding_the_content_ends_the_opening(team, case_with_a_photo):
    reference, _photo = case_with_a_photo
    client = verified_client(team.carla)
    case_opened(client, reference)
    assert NAME not in staff_case_page(verified_client(team.carla), reference)  # a new session

    page = staff_case_page(client, reference)
    assert NAME in page
    hidden = client.post(f"/staff/cases/{reference}/close/", follow=True).content.decode()
    assert "The content is hidden again." in hidden and NAME not in hidden
    assert _events("case.opening_ended") == 1
    response = client.post(f"/staff/cases/{reference}/message/", {"text": "hi"}, follow=True)
    assert OPEN_FIRST in response.content.decode()
    assert not Message.objects.exists()


def test_proposing_funding_or_issuing_a_new_code_needs_an_opening_too(team):
    from evacuation.models import CodeReplacement, FundingProposal
    from evacuation.services import receipts
    from tests.factories import case_in_state

    case = case_in_state("assessed", assessor=team.kim)
    client = verified_client(team.carla)
    seen = {"seen_state": case.state, "seen_version": case.version}
    propose = {**seen, "amount": "100", "currency": "EUR", "purpose": "visa"}
    response = client.post(f"/staff/cases/{case.reference}/propose/", propose)
    assert response.status_code == 200 and OPEN_FIRST in response.content.decode()
    assert not FundingProposal.objects.exists()

    receipts.code_replacement_request(case=case, actor=team.carla)
    receipts.code_replacement_confirm(case=case, actor=team.cora)
    case.refresh_from_db()
    seen = {"seen_state": case.state, "seen_version": case.version}
    response = client.post(f"/staff/cases/{case.reference}/new-code/issue/", seen)
    assert response.status_code == 200 and OPEN_FIRST in response.content.decode()
    assert 'class="receipt"' not in response.content.decode()  # no new code
    assert CodeReplacement.objects.get().issued_at is None
