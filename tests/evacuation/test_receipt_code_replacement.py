"""A lost receipt code replaced, four eyes, through the real staff pages: the caseworker who
made sure out of band that it is really the applicant asks; a coordinator who did not ask
confirms; only the one who asked issues it, and sees it once; the old code stops working at once.
Whoever holds a working code reads the case as the applicant, so no one person may make one."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.test import Client

from audit.models import AuditEvent
from evacuation.models import Case, CodeReplacement
from tests.factories import (
    RECEIPT_RE,
    Applicant,
    applicant_with,
    case_opened,
    database_dump,
    hidden_fields,
    staff_case_page,
    verified_client,
)
from vault.receipts import receipt_parse

pytestmark = pytest.mark.django_db

STEPS = ("request_new_code", "confirm_new_code", "issue_new_code", "cancel_new_code")
PATHS = {
    "request_new_code": "new-code",
    "confirm_new_code": "new-code/confirm",
    "issue_new_code": "new-code/issue",
    "cancel_new_code": "new-code/cancel",
}
WRONG_CODE = "We could not find a request with this code."
WRONG_CODE_RU = "Мы не нашли заявку с этим кодом."  # noqa: RUF001
MESSAGE = "Marker message sent before the code was lost"
CODE_EVENTS = (
    "code.replacement_requested",
    "code.replacement_confirmed",
    "code.replaced",
    "code.replacement_cancelled",
)


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _offered(client: Client, reference: str) -> set[str]:
    page = staff_case_page(client, reference)
    return set(re.findall(r'<details class="action" id="action-(\w+)"', page)) & set(STEPS)


def _act(client: Client, reference: str, action: str, **fields):
    """Sends the case page's form for `action`, as the browser would (its hidden fields). Issuing
    seals the case's key anew, so it needs the case opened: the person opens it first."""
    page = staff_case_page(client, reference)
    if action == "issue_new_code" and f'id="action-{action}"' not in page:
        case_opened(client, reference, "reply")
        page = staff_case_page(client, reference)
    return client.post(
        f"/staff/cases/{reference}/{PATHS[action]}/", {**hidden_fields(page, action), **fields}
    )


def _hand_made(client: Client, reference: str, action: str, **fields):
    """Posts `action` although the page does not offer it: the hidden fields (the case's state
    and version as the page shows them) are taken from a form the page does show."""
    page = staff_case_page(client, reference)
    shown = re.search(r'<details class="action" id="action-(\w+)"', page).group(1)
    return client.post(
        f"/staff/cases/{reference}/{PATHS[action]}/", {**hidden_fields(page, shown), **fields}
    )


def _done(client: Client, response) -> str:
    """The case page a successful action redirected to, with its message."""
    assert response.status_code == 302, response.status_code
    return html.unescape(client.get(response["Location"]).content.decode())


def _events(reference: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(target_ref=reference, action__in=CODE_EVENTS).order_by("sequence")
    )


def _digits(code: str) -> str:
    return re.sub(r"\D", "", code)


def _no_code_in(event: AuditEvent, *codes: str) -> None:
    data = json.dumps(event.data)
    for code in codes:
        digits = _digits(code)
        for secret in (code, digits, digits[7:23]):  # the whole code and its secret part
            assert secret not in data, f"{event.action} records the code"


@pytest.fixture
def request_made(team):
    """An applicant sent a request and a message through the pages; (reference, code)."""
    applicant = Applicant()
    reference, code = applicant.submit()
    applicant_with(code).act("message", text=MESSAGE)
    return reference, code


@pytest.fixture
def staff(team):
    return {
        name: verified_client(getattr(team, name)) for name in ("carla", "kim", "cora", "colin")
    }


def test_carla_asks_cora_confirms_carla_issues_and_only_the_new_code_opens_the_case(
    team, staff, request_made
):
    reference, old_code = request_made
    carla, cora = staff["carla"], staff["cora"]
    assert _offered(carla, reference) == {"request_new_code"}

    # Carla must say she made sure it is really the applicant.
    response = _act(carla, reference, "request_new_code")
    assert response.status_code == 200
    assert "Ask for a new code only after you have made sure it is really the applicant." in (
        _text(response)
    )
    assert not CodeReplacement.objects.exists() and not _events(reference)

    page = _done(carla, _act(carla, reference, "request_new_code", verified="on"))
    assert "A new code is asked for. A coordinator must confirm it; then you issue it here." in page
    # She may take it back, but neither confirm it nor issue it before a coordinator confirms.
    assert _offered(carla, reference) == {"cancel_new_code"}
    for action in ("confirm_new_code", "issue_new_code"):
        response = _hand_made(carla, reference, action, checked="on")
        assert response.status_code in (403, 409), (action, response.status_code)
        assert not re.search(RECEIPT_RE, response.content.decode())
    assert CodeReplacement.objects.get().confirmed_at is None

    # Cora, a coordinator who did not ask, confirms; she may not issue it.
    assert _offered(cora, reference) == {"confirm_new_code", "cancel_new_code"}
    response = _act(cora, reference, "confirm_new_code")
    assert response.status_code == 200
    assert "Tick the box to confirm that you have checked." in _text(response)
    page = _done(cora, _act(cora, reference, "confirm_new_code", checked="on"))
    assert "Confirmed. The colleague who asked can now issue the new code." in page
    assert _offered(cora, reference) == {"cancel_new_code"}
    for who in ("cora", "colin", "kim"):  # nobody but the one who asked
        assert "issue_new_code" not in _offered(staff[who], reference)
        response = _hand_made(staff[who], reference, "issue_new_code")
        assert response.status_code == 403, (who, response.status_code)
        assert not re.search(RECEIPT_RE, response.content.decode())
    applicant_with(old_code)  # nothing has changed for the applicant yet

    # Carla issues it: the answer shows the new code, once. Issuing needs the case opened.
    assert _offered(carla, reference) == {"cancel_new_code"}
    case_opened(carla, reference, "reply")
    assert _offered(carla, reference) == {"issue_new_code", "cancel_new_code"}
    response = _act(carla, reference, "issue_new_code")
    page = _text(response)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "New receipt code" in page and "This code is shown once, to you alone." in page
    assert "The new code is issued; the old one no longer works." in page
    new_code = re.search(RECEIPT_RE, page).group(1)
    receipt_parse(new_code)  # well formed, its check digit fits
    assert _digits(new_code) != _digits(old_code)

    # It is shown nowhere else and kept nowhere.
    case_page = staff_case_page(carla, reference)
    assert _digits(new_code) not in _digits(case_page) and new_code not in case_page
    assert _offered(carla, reference) == {"request_new_code"}
    dump = database_dump(sessions_decoded=True)
    for secret in (new_code, _digits(new_code), _digits(new_code)[7:23]):
        assert secret.encode() not in dump, "the new code is stored"
    # The browser's reload of the answer issues nothing again and shows no code.
    again = carla.post(response.wsgi_request.path, response.wsgi_request.POST)
    assert again.status_code in (403, 409) and not re.search(RECEIPT_RE, again.content.decode())

    # The new code opens the case, with all it held; the old one is a wrong code, plainly.
    applicant = applicant_with(new_code)
    assert reference in applicant.page and MESSAGE in html.unescape(applicant.page)
    wrong = Applicant()
    wrong.check(old_code)
    assert WRONG_CODE in _text(wrong.response)
    assert 'name="capability"' not in wrong.page and reference not in wrong.page

    # Every step is its own event, by whom it was, and none records a code.
    events = _events(reference)
    assert [(e.action, e.actor_id) for e in events] == [
        ("code.replacement_requested", team.carla.pk),
        ("code.replacement_confirmed", team.cora.pk),
        ("code.replaced", team.carla.pk),
    ]
    for event in events:
        _no_code_in(event, new_code, old_code)
    history = html.unescape(staff_case_page(cora, reference))
    for step in ("New receipt code requested", "New receipt code confirmed"):
        assert step in history
    assert "New receipt code issued" in history
    assert _digits(new_code) not in _digits(history)


def test_a_coordinator_who_asked_cannot_confirm_it_herself(team, staff, request_made):
    reference, old_code = request_made
    cora, colin = staff["cora"], staff["colin"]
    _done(cora, _act(cora, reference, "request_new_code", verified="on"))
    assert _offered(cora, reference) == {"cancel_new_code"}
    response = _hand_made(cora, reference, "confirm_new_code", checked="on")
    assert response.status_code == 403
    assert CodeReplacement.objects.get().confirmed_at is None

    _done(colin, _act(colin, reference, "confirm_new_code", checked="on"))
    assert "issue_new_code" not in _offered(colin, reference)
    new_code = re.search(RECEIPT_RE, _text(_act(cora, reference, "issue_new_code"))).group(1)
    applicant_with(new_code)
    assert WRONG_CODE in _text(Applicant().check(old_code))
    assert [(e.action, e.actor_id) for e in _events(reference)] == [
        ("code.replacement_requested", team.cora.pk),
        ("code.replacement_confirmed", team.colin.pk),
        ("code.replaced", team.cora.pk),
    ]


def test_the_one_who_asked_cancels_and_the_old_code_still_works(team, staff, request_made):
    reference, old_code = request_made
    carla = staff["carla"]
    _done(carla, _act(carla, reference, "request_new_code", verified="on"))
    page = _done(carla, _act(carla, reference, "cancel_new_code"))
    assert "Cancelled. The applicant's code is unchanged." in page
    assert _offered(carla, reference) == {"request_new_code"}
    assert _offered(staff["cora"], reference) == {"request_new_code"}  # nothing left to confirm
    applicant_with(old_code)
    assert [(e.action, e.actor_id) for e in _events(reference)] == [
        ("code.replacement_requested", team.carla.pk),
        ("code.replacement_cancelled", team.carla.pk),
    ]
    for event in _events(reference):
        _no_code_in(event, old_code)


def test_a_coordinator_cancels_a_confirmed_one_and_another_caseworker_may_not(
    team, staff, request_made
):
    reference, old_code = request_made
    carla, kim, colin = staff["carla"], staff["kim"], staff["colin"]
    _done(carla, _act(carla, reference, "request_new_code", verified="on"))
    _done(staff["cora"], _act(staff["cora"], reference, "confirm_new_code", checked="on"))

    # Kim, a caseworker who did not ask, is offered nothing and refused a hand-made form.
    assert _offered(kim, reference) == set()
    assert _hand_made(kim, reference, "cancel_new_code").status_code == 403
    assert CodeReplacement.objects.get().cancelled_at is None

    # Colin, a coordinator who neither asked nor confirmed, cancels it.
    assert "cancel_new_code" in _offered(colin, reference)
    page = _done(colin, _act(colin, reference, "cancel_new_code"))
    assert "Cancelled. The applicant's code is unchanged." in page
    assert "issue_new_code" not in _offered(carla, reference)
    response = _hand_made(carla, reference, "issue_new_code")
    assert response.status_code == 409 and not re.search(RECEIPT_RE, response.content.decode())
    applicant_with(old_code)
    assert [(e.action, e.actor_id) for e in _events(reference)] == [
        ("code.replacement_requested", team.carla.pk),
        ("code.replacement_confirmed", team.cora.pk),
        ("code.replacement_cancelled", team.colin.pk),
    ]


def test_a_purged_case_offers_no_replacement(team, staff, request_made):
    reference, code = request_made
    applicant = applicant_with(code)
    applicant.act("confirm_withdraw")
    applicant.act("withdraw_delete")
    assert Case.objects.get(reference=reference).is_purged

    for client in staff.values():
        assert _offered(client, reference) == set()
    carla = staff["carla"]
    case = Case.objects.get(reference=reference)
    response = carla.post(
        f"/staff/cases/{reference}/new-code/",
        {"seen_state": case.state, "seen_version": case.version, "verified": "on"},
    )
    assert response.status_code == 409
    assert not CodeReplacement.objects.exists() and not _events(reference)


def test_the_replacement_speaks_russian(team, request_made):
    """Staff who chose Russian see the steps' titles, words and the code's page in Russian;
    the applicant's Russian pages take the new code and refuse the old one."""
    reference, old_code = request_made
    carla = verified_client(team.carla)
    cora = verified_client(team.cora)
    for client in (carla, cora):
        client.post("/i18n/setlang/", {"language": "ru", "next": "/staff/"})

    page = html.unescape(staff_case_page(carla, reference))
    assert "Заменить потерянный код заявки" in page and "Запросить новый код" in page
    assert "Replace a lost receipt code" not in page
    page = _done(carla, _act(carla, reference, "request_new_code", verified="on"))
    assert "Запрос нового кода создан." in page

    page = html.unescape(staff_case_page(cora, reference))
    assert "Подтвердить новый код заявки" in page and "Отменить новый код заявки" in page
    page = _done(cora, _act(cora, reference, "confirm_new_code", checked="on"))
    assert "Подтверждено." in page

    assert "Выдать новый код заявки" in html.unescape(staff_case_page(carla, reference))
    response = _act(carla, reference, "issue_new_code")
    page = _text(response)
    assert "Новый код заявки" in page
    assert "Этот код показывается один раз и только вам. Мы его не храним." in page  # noqa: RUF001
    assert "Новый код выдан; старый больше не действует." in page
    new_code = re.search(RECEIPT_RE, page).group(1)

    russian = applicant_with(new_code, language="ru")
    assert 'lang="ru"' in russian.page and reference in russian.page
    wrong = Applicant(language="ru")
    wrong.check(old_code)
    assert WRONG_CODE_RU in _text(wrong.response)
    assert 'name="capability"' not in wrong.page


def test_issuing_for_a_case_purged_after_the_page_was_drawn_is_a_plain_refusal(staff, request_made):
    """The applicant (who had not lost the code after all) deletes everything while Carla's page
    still shows the issue form: pressing it answers plainly, with no code and nothing written."""
    reference, code = request_made
    applicant = applicant_with(code)
    applicant.act("confirm_withdraw")
    applicant.act("withdraw")
    carla, cora = staff["carla"], staff["cora"]
    _done(carla, _act(carla, reference, "request_new_code", verified="on"))
    _done(cora, _act(cora, reference, "confirm_new_code", checked="on"))
    case_opened(carla, reference, "reply")
    fields = hidden_fields(staff_case_page(carla, reference), "issue_new_code")

    applicant = applicant_with(code)
    applicant.act("confirm_withdraw")
    applicant.act("withdraw_delete")
    assert Case.objects.get(reference=reference).is_purged

    carla.raise_request_exception = False
    response = carla.post(f"/staff/cases/{reference}/new-code/issue/", fields)
    assert response.status_code == 409, response.status_code
    assert not re.search(RECEIPT_RE, response.content.decode())
    assert "code.replaced" not in [event.action for event in _events(reference)]
