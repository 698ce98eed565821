"""A request marked as a duplicate of another (by reference): it is closed (declined, reason
"duplicate") through the rules like every action, with an audit event, and the two are linked on
both staff case pages. Nothing changes on the applicant's side: one case's code never reaches the
other case."""

from __future__ import annotations

import html
import re

import pytest

from audit.models import AuditEvent
from evacuation.models import Case, DuplicateLink
from tests.factories import (
    applicant_with,
    case_in_state,
    case_opened,
    staff_case_page,
    submit_intake,
    verified_client,
)

pytestmark = pytest.mark.django_db


def form_of(page: str, action: str) -> dict[str, str]:
    section = re.search(
        rf'<details class="[^"]*" id="action-{action}"[^>]*>(.*?)</details>', page, re.S
    )
    assert section, f"no {action} form on the page"
    return {
        name: html.unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)"', section.group(1)
        )
        if name != "csrfmiddlewaretoken"
    }


def mark(client, reference: str, original: str):
    page = staff_case_page(client, reference)
    return client.post(
        f"/staff/cases/{reference}/duplicate/",
        {**form_of(page, "mark_duplicate"), "original": original},
    )


@pytest.fixture
def two_requests(team):
    """The same person asked twice: the first request goes on, the second is the duplicate."""
    first, first_code = submit_intake(name="Marker First")
    second, second_code = submit_intake(name="Marker Second")
    return first, first_code, second, second_code


def test_marking_a_duplicate_closes_it_and_links_both_pages(team, two_requests):
    first, _first_code, second, second_code = two_requests
    client = verified_client(team.carla)
    page = staff_case_page(client, second)
    assert "Close as a duplicate" in page  # listed among what an opening allows
    assert 'id="action-mark_duplicate"' not in page
    case_opened(client, second)

    response = mark(client, second, first.lower().replace("-", ""))  # typed carelessly
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Closed as a duplicate and linked." in page
    duplicate = Case.objects.get(reference=second)
    assert (duplicate.state, duplicate.decline_reason) == ("declined", "duplicate")
    assert f'Closed as a duplicate of <a href="/staff/cases/{first}/">{first}</a>' in page
    original_page = staff_case_page(client, first)
    assert f'<a href="/staff/cases/{second}/">{second}</a>' in original_page
    assert "Duplicates of this request, closed:" in original_page
    assert Case.objects.get(reference=first).state == "received"

    events = list(
        AuditEvent.objects.filter(action__in=["case.marked_duplicate", "case.duplicate_linked"])
        .order_by("sequence")
        .values_list("action", "actor", "target_ref", "data")
    )
    assert events == [
        ("case.marked_duplicate", team.carla.pk, second, {"original": first}),
        ("case.duplicate_linked", team.carla.pk, first, {"duplicate": second}),
    ]
    # The history of each case says so.
    assert "Closed as a duplicate" in page
    assert "A duplicate was linked to this case" in original_page

    # The duplicate's applicant sees their own request declined, and nothing of the other one.
    applicant = applicant_with(second_code)
    assert first not in applicant.page and "Marker First" not in applicant.page
    assert second in applicant.page  # their own reference only


def test_marking_needs_an_opening_of_the_duplicate(team, two_requests):
    first, _c, second, _c2 = two_requests
    client = verified_client(team.carla)
    page = staff_case_page(client, second)
    hidden = re.findall(r'name="seen_version" value="([^"]*)"', page)[0]
    response = client.post(
        f"/staff/cases/{second}/duplicate/",
        {"seen_state": "received", "seen_version": hidden, "original": first},
    )
    assert response.status_code == 200
    assert "Open this case first, with a reason" in response.content.decode()
    assert Case.objects.get(reference=second).state == "received"
    assert not DuplicateLink.objects.exists()


@pytest.mark.parametrize(
    "typed, message",
    [
        ("EV-12", "Type the other case&#x27;s reference, for example EV-ABCD-EF."),
        ("", "Type the other case&#x27;s reference, for example EV-ABCD-EF."),
        ("EV-ZZZZ-ZZ", "There is no case EV-ZZZZ-ZZ. Check the reference."),
        ("itself", "A case cannot be a duplicate of itself."),
    ],
)
def test_a_wrong_reference_is_refused_with_a_message_and_nothing_changes(
    team, two_requests, typed, message
):
    _first, _c, second, _c2 = two_requests
    client = verified_client(team.carla)
    case_opened(client, second)
    before = AuditEvent.objects.count()
    response = mark(client, second, second if typed == "itself" else typed)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Case.objects.get(reference=second).state == "received"
    assert not DuplicateLink.objects.exists() and AuditEvent.objects.count() == before


def test_a_duplicate_of_a_duplicate_points_to_the_request_that_goes_on(team, two_requests):
    first, _c, second, _c2 = two_requests
    third, _c3 = submit_intake()
    client = verified_client(team.carla)
    case_opened(client, second)
    assert mark(client, second, first).status_code == 302
    case_opened(client, third)
    response = mark(client, third, second)
    assert response.status_code == 200
    assert f"{second} is itself a duplicate of {first}: link to that one." in (
        response.content.decode()
    )
    assert Case.objects.get(reference=third).state == "received"


def test_a_closed_or_funded_case_is_not_offered_and_a_stale_form_is_refused(team, two_requests):
    first, _c, _second, _c2 = two_requests
    funded = case_in_state("funded", assessor=team.carla, approver=team.cora)
    client = verified_client(team.carla)
    case_opened(client, funded.reference)
    page = staff_case_page(client, funded.reference)
    assert 'id="action-mark_duplicate"' not in page
    response = client.post(
        f"/staff/cases/{funded.reference}/duplicate/",
        {"seen_state": "funded", "seen_version": funded.version, "original": first},
    )
    assert response.status_code == 409
    assert Case.objects.get(pk=funded.pk).state == "funded"


def test_an_auditor_may_not_mark_a_duplicate(team, two_requests):
    first, _c, second, _c2 = two_requests
    case = Case.objects.get(reference=second)
    response = verified_client(team.audrey).post(
        f"/staff/cases/{second}/duplicate/",
        {"seen_state": "received", "seen_version": case.version, "original": first},
    )
    assert response.status_code == 403
    assert not DuplicateLink.objects.exists()
