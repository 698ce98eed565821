"""The access matrix: every URL pattern the project defines x every kind of visitor, with the
answer each must get to a GET written down below. A new URL without a row fails this test, so
nobody adds a page without deciding who may see it.

Cells: a status code, or "->login" / "->code" / "->home" / "->PATH" for a redirect there.
"->login" means the 2FA middleware sent them to sign in; "->code" to the second-factor step.
"""

from __future__ import annotations

import os
from datetime import date
from urllib.parse import urlsplit

import pytest

from tests.security.pages import (
    APPLICANT_PAGES,
    LANGUAGES,
    VISITORS,
    build_world,
    clients,
    patterns,
)

pytestmark = pytest.mark.django_db

# Columns: anonymous, applicant (holds a receipt code), caseworker, coordinator, auditor, admin,
# no_second_factor (password right, TOTP not yet given).
LOGIN, CODE, HOME = "->login", "->code", "->home"
NOT_ADMIN = "403"  # other staff are refused outright by the admin site
GUARDED = (LOGIN, LOGIN)  # anonymous and applicant on any /staff/, /audit/, /admin/ page

ACTION_SEGMENTS = (
    "assess",
    "decline",
    "propose",
    "approve",
    "reject",
    "cancel-funding",
    "relocate",
    "withdraw",
    "take",
    "reassign",
    "notes",
    # A lost receipt code replaced, four eyes: asked for, confirmed, issued, or cancelled.
    "new-code",
    "new-code/confirm",
    "new-code/issue",
    "new-code/cancel",
    # The workspace: labels on a case, and closing it as a duplicate of another.
    "labels",
    "duplicate",
)
POST_ONLY = (*GUARDED, "405", "405", "405", "405", CODE)
# A security-key page or step is reached between the password and the second factor too.
KEY_PAGE = (*GUARDED, "200", "200", "200", "200", "200")
KEY_STEP = ("405", "405", "405", "405", "405", "405", "405")  # POST only, to everyone

MATRIX: dict[str, tuple[str, str, str, str, str, str, str]] = {
    # The applicant's side, in each language: open to everyone, nothing on it depends on who
    # asks (and no visitor's session or cookie reaches it).
    **{
        f"{language}/{page}": ("200", "200", "200", "200", "200", "200", "200")
        for language in LANGUAGES
        for page in APPLICANT_PAGES
    },
    "i18n/setlang/": ("->/", "->/", "->/", "->/", "->/", "->/", "->/"),
    # Sign-in steps.
    "staff/login/": ("200", "200", HOME, HOME, HOME, HOME, "200"),
    "staff/login/code/": (*GUARDED, HOME, HOME, HOME, HOME, "200"),
    "staff/login/enrol/": (*GUARDED, HOME, HOME, HOME, HOME, CODE),
    "staff/logout/": ("405", "405", "405", "405", "405", "405", "405"),  # POST only
    # Every staff member's own pages.
    "staff/": (*GUARDED, "200", "200", "200", "200", CODE),
    "staff/security/": (*GUARDED, "200", "200", "200", "200", CODE),
    "staff/team/": (*GUARDED, "403", "200", "403", "403", CODE),  # grant_key: coordinators
    # Account changes waiting for a second administrator: admins only.
    "staff/account-changes/": (*GUARDED, "403", "403", "403", "200", CODE),
    # An enrolment link is opened before its person can sign in; one that does not exist is a
    # 404 to everyone, and says nothing more.
    "staff/enrol/<str:token>/": ("404", "404", "404", "404", "404", "404", "404"),
    # Security keys (accounts/key_views.py): the pages, and the steps the script posts to.
    "staff/security/keys/new/": KEY_PAGE,
    "staff/security/keys/needed/": KEY_PAGE,
    "staff/security/keys/<int:key_id>/remove/": POST_ONLY,
    "staff/keys/register/begin/": KEY_STEP,
    "staff/keys/register/complete/": KEY_STEP,
    "staff/keys/assert/begin/": KEY_STEP,
    "staff/keys/assert/complete/": KEY_STEP,
    "staff/security/authenticator/": (
        *GUARDED,
        "->/staff/security/",
        "->/staff/security/",
        "->/staff/security/",
        "->/staff/security/",
        CODE,
    ),
    # Cases: case staff only; auditors and admins are refused.
    "staff/cases/": (*GUARDED, "200", "200", "403", "403", CODE),
    "staff/cases/<str:reference>/": (*GUARDED, "200", "200", "403", "403", CODE),
    "staff/cases/approvals/": (*GUARDED, "403", "200", "403", "403", CODE),
    # Labels and reply templates: managed by coordinators (a template that does not exist: 404).
    "staff/cases/labels/": (*GUARDED, "403", "200", "403", "403", CODE),
    "staff/cases/labels/<int:id>/": POST_ONLY,
    "staff/cases/templates/": (*GUARDED, "403", "200", "403", "403", CODE),
    "staff/cases/templates/<int:id>/": (*GUARDED, "403", "404", "403", "403", CODE),
    # Each case-staff member's notifications; putting people on call: coordinators (POST only).
    "staff/cases/notifications/": (*GUARDED, "200", "200", "403", "403", CODE),
    "staff/cases/notifications/on-call/": POST_ONLY,
    # Actions on a case take only POSTs (who may post is the ACTION_MATRIX below).
    **{f"staff/cases/<str:reference>/{segment}/": POST_ONLY for segment in ACTION_SEGMENTS},
    "staff/cases/<str:reference>/message/": POST_ONLY,
    "staff/cases/<str:reference>/files/": POST_ONLY,
    "staff/cases/<str:reference>/files/<uuid:uid>/": POST_ONLY,
    "staff/cases/<str:reference>/hold/": POST_ONLY,
    # Follow-ups and check-ins (evacuation/staff/followup_views.py): case staff, POST only.
    "staff/cases/<str:reference>/followups/": POST_ONLY,
    "staff/cases/<str:reference>/followups/<int:id>/close/": POST_ONLY,
    "staff/cases/<str:reference>/checkins/": POST_ONLY,
    "staff/cases/<str:reference>/close/": POST_ONLY,  # hides an opened case's content again
    # Reports: coordinators and auditors. A period with no report generated is a 404.
    "staff/reports/": (*GUARDED, "403", "200", "200", "403", CODE),
    "staff/reports/generate/": POST_ONLY,
    "staff/reports/<period:period>/": (*GUARDED, "403", "404", "404", "403", CODE),
    "staff/reports/<period:period>/report.csv": (*GUARDED, "403", "404", "404", "403", CODE),
    "staff/reports/<period:period>/report.xlsx": (*GUARDED, "403", "404", "404", "403", CODE),
    # Health: a bare "is it up" for everyone; the full check answers only on loopback (the test
    # client's address) and says 503 here, where no signer has made a checkpoint.
    "healthz": ("200", "200", "200", "200", "200", "200", "200"),
    "health/": ("503", "503", "503", "503", "503", "503", "503"),
    # The audit log: auditors only.
    "audit/": (*GUARDED, "403", "403", "200", "403", CODE),
    "audit/events/<int:sequence>/": (*GUARDED, "403", "403", "200", "403", CODE),
    "audit/verify/": (*GUARDED, "403", "403", "200", "403", CODE),
    "audit/export.jsonl": (*GUARDED, "403", "403", "200", "403", CODE),
    "audit/export.csv": (*GUARDED, "403", "403", "200", "403", CODE),
    "audit/checkpoints/": (*GUARDED, "403", "403", "200", "403", CODE),
    "audit/heads.jsonl": (*GUARDED, "403", "403", "200", "403", CODE),
    "audit/look/": (*GUARDED, "403", "403", "200", "403", CODE),  # needs a look
    # Django's admin: the admin role only; other signed-in staff get 403.
    "admin/": (*GUARDED, NOT_ADMIN, NOT_ADMIN, NOT_ADMIN, "200", CODE),
    "admin/login/": (*GUARDED, "403", "403", "403", "403", CODE),
    "admin/logout/": (*GUARDED, NOT_ADMIN, NOT_ADMIN, NOT_ADMIN, "405", CODE),
    "admin/password_change/": (*GUARDED, NOT_ADMIN, NOT_ADMIN, NOT_ADMIN, "200", CODE),
    "admin/password_change/done/": (
        *GUARDED,
        NOT_ADMIN,
        NOT_ADMIN,
        NOT_ADMIN,
        "200",
        CODE,
    ),
    "admin/autocomplete/": (*GUARDED, NOT_ADMIN, NOT_ADMIN, NOT_ADMIN, "403", CODE),
    "admin/jsi18n/": (*GUARDED, NOT_ADMIN, NOT_ADMIN, NOT_ADMIN, "200", CODE),
    # Staff have no public page: "view on site" finds nothing.
    "admin/r/<path:content_type_id>/<path:object_id>/": (
        *GUARDED,
        NOT_ADMIN,
        NOT_ADMIN,
        NOT_ADMIN,
        "404",
        CODE,
    ),
    # No administrator sets another person's password (a reset gives them an enrolment link).
    "admin/accounts/user/<id>/password/": (
        *GUARDED,
        NOT_ADMIN,
        NOT_ADMIN,
        NOT_ADMIN,
        "403",
        CODE,
    ),
    "admin/accounts/user/": (*GUARDED, NOT_ADMIN, NOT_ADMIN, NOT_ADMIN, "200", CODE),
    "admin/accounts/user/add/": (*GUARDED, NOT_ADMIN, NOT_ADMIN, NOT_ADMIN, "200", CODE),
    "admin/accounts/user/<path:object_id>/history/": (
        *GUARDED,
        NOT_ADMIN,
        NOT_ADMIN,
        NOT_ADMIN,
        "200",
        CODE,
    ),
    "admin/accounts/user/<path:object_id>/delete/": (
        *GUARDED,
        NOT_ADMIN,
        NOT_ADMIN,
        NOT_ADMIN,
        "200",
        CODE,
    ),
    "admin/accounts/user/<path:object_id>/change/": (
        *GUARDED,
        NOT_ADMIN,
        NOT_ADMIN,
        NOT_ADMIN,
        "200",
        CODE,
    ),
    "admin/accounts/user/<path:object_id>/": (
        *GUARDED,
        NOT_ADMIN,
        NOT_ADMIN,
        NOT_ADMIN,
        "->/admin/accounts/user/{object_id}/change/",
        CODE,
    ),
    "admin/^(?P<app_label>accounts)/$": (
        *GUARDED,
        NOT_ADMIN,
        NOT_ADMIN,
        NOT_ADMIN,
        "200",
        CODE,
    ),
    "admin/(?P<url>.*)$": (*GUARDED, NOT_ADMIN, NOT_ADMIN, NOT_ADMIN, "404", CODE),
}

_REDIRECT_NAMES = {
    "/staff/login/": "->login",
    "/staff/login/code/": "->code",
    "/staff/login/enrol/": "->enrol",
    "/staff/": "->home",
}


def observed(response) -> str:
    if 300 <= response.status_code < 400:
        path = urlsplit(response["Location"]).path
        return _REDIRECT_NAMES.get(path, f"->{path}")
    return str(response.status_code)


def test_every_url_has_a_row_and_every_visitor_gets_exactly_what_the_row_says(team):
    world = build_world(team)
    visitors = clients(world)
    found = {}
    for page in patterns():
        url = page.url(world["params"])
        found[page.pattern] = tuple(observed(visitors[v].get(url)) for v in VISITORS)
    if os.environ.get("SECURITY_MATRIX_PRINT"):
        for pattern, row in found.items():
            print(f'    "{pattern}": {row!r},')
    missing = sorted(set(found) - set(MATRIX))
    assert not missing, f"URL patterns without a row in MATRIX: {missing}"
    stale = sorted(set(MATRIX) - set(found))
    assert not stale, f"rows for URL patterns that no longer exist: {stale}"
    wrong = [
        f"{pattern} as {visitor}: expected {want}, got {got}"
        for pattern, row in found.items()
        for visitor, want, got in zip(VISITORS, MATRIX[pattern], row, strict=True)
        if want.format(**world["params"]) != got
    ]
    assert not wrong, "\n".join(wrong)


# State-changing POSTs (the pages above that take a form), with a valid form: who may act.
# Each visitor posts with its own session; the login steps are covered by the GET table.
POSTS: dict[str, dict[str, str]] = {
    # First: the opening (with a reason) that the message, file and hide POSTs below need.
    "staff/cases/<str:reference>/": {"reason": "assess"},
    "staff/cases/<str:reference>/message/": {"text": "A reply"},
    "staff/cases/<str:reference>/files/": {},  # no file: case staff are told, nothing stored
    "staff/cases/<str:reference>/files/<uuid:uid>/": {},  # no such file: nobody learns more
    "staff/cases/<str:reference>/hold/": {"reason": "audit_review"},
    "staff/cases/<str:reference>/followups/": {"due_on": date.today().isoformat()},
    # No such follow-up on the case: case staff are told it is closed, nothing changes.
    "staff/cases/<str:reference>/followups/<int:id>/close/": {"outcome": "done"},
    # The case is not funded: case staff are told check-ins are for funded cases.
    "staff/cases/<str:reference>/checkins/": {"every_days": "3"},
    "staff/cases/<str:reference>/close/": {},
    "staff/reports/generate/": {"period": "2025-Q3"},
    "staff/cases/labels/": {"name": "visa in progress"},
    "staff/cases/labels/<int:id>/": {"do": "retire"},  # no such label: told, nothing changes
    "staff/cases/templates/<int:id>/": {"do": "retire"},  # none made yet: no such template
    "staff/cases/templates/": {"name": "Documents received", "text_en": "We have them."},
    "audit/verify/": {},
    "staff/team/": {},  # no grantee: the coordinator sees the form's message
    "staff/account-changes/": {},  # no change chosen: the admin is told, nothing changes
    "staff/enrol/<str:token>/": {"new_password": "x", "new_password_again": "x"},  # no such link
    # The security-key steps with an empty body: refused with a message, nothing enrolled.
    "staff/keys/register/begin/": {},
    "staff/keys/assert/begin/": {},
    "staff/security/keys/<int:key_id>/remove/": {},
    "staff/logout/": {},  # last: it signs each visitor out
}
BACK = "->/staff/cases/{reference}/"  # done, and back to the case page
REPORT = "->/staff/reports/2025-Q3/"  # generated (or generated before): shown
LABELS, TEMPLATES = "->/staff/cases/labels/", "->/staff/cases/templates/"  # done, and back
POST_MATRIX: dict[str, tuple[str, str, str, str, str, str, str]] = {
    "staff/cases/<str:reference>/": (*GUARDED, BACK, BACK, "403", "403", CODE),
    "staff/cases/<str:reference>/message/": (*GUARDED, BACK, BACK, "403", "403", CODE),
    "staff/cases/<str:reference>/files/": (*GUARDED, BACK, BACK, "403", "403", CODE),
    "staff/cases/<str:reference>/files/<uuid:uid>/": (*GUARDED, "403", "403", "403", "403", CODE),
    "staff/cases/<str:reference>/hold/": (*GUARDED, "403", BACK, "403", "403", CODE),
    "staff/cases/<str:reference>/followups/": (*GUARDED, BACK, BACK, "403", "403", CODE),
    "staff/cases/<str:reference>/followups/<int:id>/close/": (
        *GUARDED,
        BACK,
        BACK,
        "403",
        "403",
        CODE,
    ),
    "staff/cases/<str:reference>/checkins/": (*GUARDED, BACK, BACK, "403", "403", CODE),
    "staff/cases/<str:reference>/close/": (*GUARDED, BACK, BACK, "403", "403", CODE),
    "staff/reports/generate/": (*GUARDED, "403", REPORT, REPORT, "403", CODE),
    "staff/cases/labels/": (*GUARDED, "403", LABELS, "403", "403", CODE),
    "staff/cases/labels/<int:id>/": (*GUARDED, "403", LABELS, "403", "403", CODE),
    "staff/cases/templates/": (*GUARDED, "403", TEMPLATES, "403", "403", CODE),
    "staff/cases/templates/<int:id>/": (*GUARDED, "403", "404", "403", "403", CODE),
    "audit/verify/": (*GUARDED, "403", "403", "200", "403", CODE),
    "staff/logout/": (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    "staff/team/": (*GUARDED, "403", "200", "403", "403", CODE),
    "staff/account-changes/": (*GUARDED, "403", "403", "403", "->/staff/account-changes/", CODE),
    "staff/enrol/<str:token>/": ("404", "404", "404", "404", "404", "404", "404"),
    # No key step enrols or signs in without a password step; an empty body is a 400 with words.
    "staff/keys/register/begin/": (LOGIN, LOGIN, "400", "400", "400", "400", "400"),
    "staff/keys/assert/begin/": (LOGIN, LOGIN, "400", "400", "400", "400", "400"),
    "staff/security/keys/<int:key_id>/remove/": (
        *GUARDED,
        *("->/staff/security/",) * 4,
        CODE,
    ),
}


def test_state_changing_posts_are_refused_to_everyone_the_table_does_not_name(team):
    world = build_world(team)
    visitors = clients(world)
    pages = {page.pattern: page for page in patterns()}
    found = {}
    for pattern, form in POSTS.items():
        url = pages[pattern].url(world["params"])
        found[pattern] = tuple(observed(visitors[v].post(url, form)) for v in VISITORS)
    if os.environ.get("SECURITY_MATRIX_PRINT"):
        for pattern, row in found.items():
            print(f'    "{pattern}": {row!r},')
    assert set(POST_MATRIX) == set(POSTS)
    wrong = [
        f"POST {pattern} as {visitor}: expected {want}, got {got}"
        for pattern, row in found.items()
        for visitor, want, got in zip(VISITORS, POST_MATRIX[pattern], row, strict=True)
        if want.format(**world["params"]) != got
    ]
    assert not wrong, "\n".join(wrong)


# Actions on a case: each visitor posts a valid form, carrying the state and version the case page
# would, to a fresh case made ready for that action (assessed and proposed by someone else; a new
# receipt code asked for by Kim, and confirmed by Colin, where the action needs that first).
# (state the case is in, form)
CASE_ACTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "assess": ("received", {"risk_level": "2", "verified_by": "interview", "support": "legal"}),
    "decline": ("received", {"reason": "duplicate"}),
    "propose": ("assessed", {"amount": "100", "currency": "EUR", "purpose": "visa"}),
    "approve": ("proposed", {}),
    "reject": ("proposed", {"reason": "amount_wrong"}),
    "cancel-funding": ("funded", {"reason": "plans_changed"}),
    "relocate": ("funded", {"relocated_on": "{today}", "region": "eu"}),
    "withdraw": ("received", {"confirm": "on"}),
    "take": ("received", {}),
    "reassign": ("received", {"assignee": "{helper}"}),
    "notes": ("received", {"text": "Called the partner organisation."}),
    "new-code": ("received", {"verified": "on"}),
    "new-code/confirm": ("new code asked", {"checked": "on"}),
    "new-code/issue": ("new code confirmed", {}),
    "new-code/cancel": ("new code asked", {}),
    "labels": ("received", {}),  # no label ticked: saved as it is
    "duplicate": ("received", {"original": "{other}"}),  # a duplicate of the world's case
}
DONE, NO = "->/staff/cases/{reference}/", "403"
ACTION_MATRIX: dict[str, tuple[str, str, str, str, str, str, str]] = {
    "assess": (*GUARDED, DONE, DONE, NO, NO, CODE),
    "decline": (*GUARDED, DONE, DONE, NO, NO, CODE),
    "propose": (*GUARDED, DONE, DONE, NO, NO, CODE),
    "approve": (*GUARDED, NO, DONE, NO, NO, CODE),  # four eyes: coordinators only
    "reject": (*GUARDED, NO, DONE, NO, NO, CODE),  # a coordinator, or the proposer
    "cancel-funding": (*GUARDED, NO, DONE, NO, NO, CODE),
    "relocate": (*GUARDED, DONE, DONE, NO, NO, CODE),
    "withdraw": (*GUARDED, DONE, DONE, NO, NO, CODE),
    "take": (*GUARDED, DONE, DONE, NO, NO, CODE),
    "reassign": (*GUARDED, NO, DONE, NO, NO, CODE),
    "notes": (*GUARDED, DONE, DONE, NO, NO, CODE),
    "new-code": (*GUARDED, DONE, DONE, NO, NO, CODE),  # case staff, having verified
    "new-code/confirm": (*GUARDED, NO, DONE, NO, NO, CODE),  # a coordinator who did not ask
    "new-code/issue": (*GUARDED, NO, NO, NO, NO, CODE),  # only Kim, who asked, may issue it
    "new-code/cancel": (*GUARDED, NO, DONE, NO, NO, CODE),  # the one who asked, or a coordinator
    "labels": (*GUARDED, DONE, DONE, NO, NO, CODE),
    "duplicate": (*GUARDED, DONE, DONE, NO, NO, CODE),
}


def _case_ready(state: str, *, helper, approver):
    """A fresh case in `state`; "new code asked": Kim asked for a new receipt code for it,
    "new code confirmed": and Colin confirmed it (neither is a visitor)."""
    from evacuation.services import receipts
    from tests.factories import case_in_state

    if not state.startswith("new code"):
        return case_in_state(state, assessor=helper, approver=approver)
    case = case_in_state("received", assessor=helper)
    receipts.code_replacement_request(case=case, actor=helper)
    if state == "new code confirmed":
        receipts.code_replacement_confirm(case=case, actor=approver)
    case.refresh_from_db()
    return case


def test_actions_on_a_case_are_refused_to_everyone_the_table_does_not_name(team):
    from datetime import date

    from evacuation.models import FundingProposal

    world = build_world(team)
    visitors = clients(world)
    helper, approver = team.kim, team.colin  # they work the cases; no visitor touched them
    assert set(ACTION_MATRIX) == set(CASE_ACTIONS) == set(ACTION_SEGMENTS)
    wrong = []
    for segment, (state, form) in CASE_ACTIONS.items():
        for visitor, want in zip(VISITORS, ACTION_MATRIX[segment], strict=True):
            case = _case_ready(state, helper=helper, approver=approver)
            data = {
                name: value.format(
                    today=date.today().isoformat(), helper=helper.pk, other=world["reference"]
                )
                for name, value in form.items()
            }
            data.update(seen_state=case.state, seen_version=case.version)
            proposal = FundingProposal.objects.filter(case=case, status="pending").first()
            if proposal:
                data["proposal"] = str(proposal.pk)
            url = f"/staff/cases/{case.reference}/{segment}/"
            # Whoever may open the case opens it first: this table is about roles; acting on a
            # case's content without an opening is refused to everyone (test_openings.py).
            visitors[visitor].post(f"/staff/cases/{case.reference}/", {"reason": "assess"})
            response = visitors[visitor].post(url, data)
            got = observed(response)
            if got != want.format(reference=case.reference):
                wrong.append(f"POST {segment} as {visitor}: expected {want}, got {got}")
            assert b'class="receipt"' not in response.content, f"{segment}: a code to {visitor}"
    assert not wrong, "\n".join(wrong)


# The applicant's pages without a language in the URL: every visitor is sent to the page in a
# language (the Accept-Language header's, else English), never served from the bare address.
UNPREFIXED = {"/": "->/en/", "/request/": "->/en/request/", "/status/": "->/en/status/"}


def test_applicant_addresses_without_a_language_send_every_visitor_to_one(team):
    world = build_world(team)
    visitors = clients(world)
    wrong = [
        f"GET {url} as {visitor}: expected {want}, got {got}"
        for url, want in UNPREFIXED.items()
        for visitor, client in visitors.items()
        if (got := observed(client.get(url))) != want
    ]
    assert not wrong, "\n".join(wrong)
    russian = visitors["anonymous"].get("/request/", headers={"Accept-Language": "ru"})
    assert observed(russian) == "->/ru/request/"
