"""The case page through a browser's eyes: each action is a form that posts to its own address,
redirects back with a message, and is offered only to those who may use it now."""

from __future__ import annotations

import re
from datetime import date

import pytest

from audit.models import AuditEvent
from evacuation.models import Case, FundingProposal, Note
from tests.factories import (
    case_in_state,
    case_opened,
    hidden_fields,
    staff_case_page,
    verified_client,
)

pytestmark = pytest.mark.django_db


def _offered(page: str) -> set[str]:
    return set(re.findall(r'<details class="action" id="action-(\w+)"', page))


def _post(client, case, action, path, **fields):
    """Sends `action`'s form as the page drew it; an action on the case's content needs the case
    opened first, so the person opens it (with a reason) when the page does not offer the form."""
    page = staff_case_page(client, case.reference)
    if action not in _offered(page) and "Once you open the case" in page:
        case_opened(client, case.reference)
        page = staff_case_page(client, case.reference)
    data = {**hidden_fields(page, action), **fields}
    return client.post(f"/staff/cases/{case.reference}/{path}/", data)


def test_a_caseworker_takes_assesses_and_proposes_with_a_message_after_each(team):
    client = verified_client(team.carla)
    case = case_in_state("received", assessor=team.carla)
    # Before an opening only what needs no content is offered; the rest is listed as such.
    page = staff_case_page(client, case.reference)
    assert _offered(page) == {"withdraw", "take", "request_new_code"}
    assert "Once you open the case" in page
    case_opened(client, case.reference)
    assert _offered(staff_case_page(client, case.reference)) == {
        "assess",
        "decline",
        "withdraw",
        "take",
        "note",
        "request_new_code",  # a lost code can be replaced while the case's data is kept
    }

    response = _post(client, case, "take", "take")
    assert response.status_code == 302 and response["Location"] == f"/staff/cases/{case.reference}/"
    page = client.get(response["Location"]).content.decode()
    assert "The case is assigned to you." in page
    assert "take" not in _offered(page)

    response = _post(
        client,
        case,
        "assess",
        "assess",
        risk_level="4",
        verified_by="trusted_partner",
        support=["relocation", "medical"],
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "The case is assessed." in page
    assert "4 — critical, life at risk" in page and "Trusted partner organisation" in page
    assert _offered(page) == {
        "propose_funding",
        "decline",
        "withdraw",
        "note",
        "request_new_code",
    }

    response = _post(
        client,
        case,
        "propose_funding",
        "propose",
        amount="1500.50",
        currency="USD",
        purpose="visa",
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Funding proposed." in page and "1,500.50 USD" in page
    # Her own proposal: she may take it back, never approve it.
    assert _offered(page) == {
        "reject_funding",
        "decline",
        "withdraw",
        "note",
        "request_new_code",
    }


def test_a_coordinator_approves_and_the_caseworker_confirms_the_relocation(team):
    case = case_in_state("proposed", assessor=team.carla)
    coordinator = verified_client(team.cora)
    response = _post(coordinator, case, "approve_funding", "approve")
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == "funded"
    page = coordinator.get(response["Location"]).content.decode()
    assert "Funding approved. The case is funded." in page
    assert {"confirm_relocation", "cancel_funding"} <= _offered(page)

    caseworker = verified_client(team.kim)
    response = _post(
        caseworker,
        case,
        "confirm_relocation",
        "relocate",
        relocated_on=date.today().isoformat(),
        region="europe_other",
    )
    assert response.status_code == 302
    page = caseworker.get(response["Location"]).content.decode()
    assert "Relocation confirmed." in page and "Elsewhere in Europe" in page
    assert _offered(page) == {"request_new_code"}
    case_opened(caseworker, case.reference)
    assert _offered(staff_case_page(caseworker, case.reference)) == {"note", "request_new_code"}
    assert Case.objects.get(pk=case.pk).state == "relocated"


def test_a_form_with_mistakes_is_shown_again_with_the_reasons_and_nothing_changes(team):
    client = verified_client(team.carla)
    case = case_in_state("assessed", assessor=team.kim)
    case_opened(client, case.reference)
    events = AuditEvent.objects.count()
    response = _post(client, case, "propose_funding", "propose", amount="99999", currency="EUR")
    page = response.content.decode()
    assert response.status_code == 200
    assert "above the limit of 10,000.00" in page
    assert "Choose what the money is for." in page
    assert not FundingProposal.objects.exists() and AuditEvent.objects.count() == events


def test_the_case_page_refuses_what_the_role_may_not_do(team):
    client = verified_client(team.kim)
    case = case_in_state("proposed", assessor=team.carla)
    case_opened(client, case.reference)
    page = staff_case_page(client, case.reference)
    assert "approve_funding" not in _offered(page)
    fields = {"seen_state": "assessed", "seen_version": hidden_fields(page, "note")["seen_version"]}
    proposal = FundingProposal.objects.get().pk
    response = client.post(
        f"/staff/cases/{case.reference}/approve/", {**fields, "proposal": proposal}
    )
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).state == "assessed"


def test_a_coordinator_who_proposed_is_refused_even_with_a_hand_made_form(team):
    case = case_in_state("assessed", assessor=team.carla)
    client = verified_client(team.cora)
    _post(client, case, "propose_funding", "propose", amount="10", currency="EUR", purpose="visa")
    page = staff_case_page(client, case.reference)
    assert "approve_funding" not in _offered(page)
    fields = hidden_fields(page, "reject_funding")
    response = client.post(f"/staff/cases/{case.reference}/approve/", fields)
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).state == "assessed"
    assert not AuditEvent.objects.filter(action="funding.approved").exists()


def test_a_note_is_written_from_the_page_and_read_only_after_an_audited_opening(team):
    client = verified_client(team.carla)
    case = case_in_state("received", assessor=team.carla)
    secret = "Referee Marker-Olesya confirmed by phone"
    page = staff_case_page(client, case.reference)
    assert "Applicant Alias" not in page and "note" not in _offered(page)
    response = _post(client, case, "note", "notes", text=secret)
    assert response.status_code == 302
    # The opening the note needed lasts: the page after it shows the content and the note.
    page = client.get(response["Location"]).content.decode()
    assert "Note added." in page
    assert secret in page and "Applicant Alias" in page
    assert AuditEvent.objects.filter(action="case.opened").count() == 1
    assert secret.encode() not in bytes(Note.objects.get().body)

    # Hidden again, the content needs a new opening with a reason.
    fields = hidden_fields(page, "note")
    hidden = client.post(f"/staff/cases/{case.reference}/close/", fields, follow=True)
    hidden = hidden.content.decode()
    assert "The content is hidden again." in hidden
    assert secret not in hidden and "There is 1 internal note" in hidden
    assert AuditEvent.objects.filter(action="case.opening_ended").count() == 1


def test_a_note_without_an_unlocked_session_is_refused_with_an_explanation(team, settings):
    client = verified_client(team.carla)
    client.cookies.pop(settings.VAULT_SESSION_COOKIE_NAME)
    case = case_in_state("received", assessor=team.carla)
    response = client.post(f"/staff/cases/{case.reference}/", {"reason": "assess"})
    assert response.status_code == 200
    assert "Your session cannot open case data" in response.content.decode()
    assert not AuditEvent.objects.filter(action="case.opened").exists()
    # A hand-made note form is refused: the case was never opened, nothing is written.
    fields = {**hidden_fields(response.content.decode(), "take"), "text": "something"}
    refused = client.post(f"/staff/cases/{case.reference}/notes/", fields)
    assert refused.status_code == 200
    assert "Open this case first, with a reason" in refused.content.decode()
    assert not Note.objects.exists()


def test_a_coordinator_reassigns_and_the_history_names_who_and_to_whom(team):
    case = case_in_state("received", assessor=team.carla)
    client = verified_client(team.cora)
    response = _post(client, case, "reassign", "reassign", assignee=str(team.kim.pk))
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).assignee == team.kim
    page = client.get(response["Location"]).content.decode()
    assert re.search(
        r"cora <span class=\"muted\">\(Coordinator\)</span></td><td>Case assigned"
        r"</td><td>to kim</td>",
        page,
    )


def test_a_caseworker_cannot_reassign(team):
    case = case_in_state("received", assessor=team.carla)
    client = verified_client(team.carla)
    page = staff_case_page(client, case.reference)
    assert "reassign" not in _offered(page)
    fields = {**hidden_fields(page, "take"), "assignee": str(team.kim.pk)}
    assert client.post(f"/staff/cases/{case.reference}/reassign/", fields).status_code == 403
    assert Case.objects.get(pk=case.pk).assignee is None


def test_the_action_addresses_take_only_posts(team):
    case = case_in_state("received", assessor=team.carla)
    client = verified_client(team.carla)
    for path in ("assess", "decline", "take", "notes", "approve"):
        assert client.get(f"/staff/cases/{case.reference}/{path}/").status_code == 405


def test_the_history_shows_each_step_with_who_and_when(team):
    case = case_in_state("funded", assessor=team.carla, approver=team.cora)
    page = staff_case_page(verified_client(team.kim), case.reference)
    history = page[page.index("<h2>History</h2>") :]
    steps = re.findall(r"<td>([^<]+)</td><td>([^<]*)</td></tr>", history)
    assert [what for what, _details in steps] == [
        "Request received",
        "Case assessed",
        "Funding proposed",
        "Funding approved",
    ]
    assert "1200.00 EUR · Transport" in history
    assert "carla" in history and "cora" in history
