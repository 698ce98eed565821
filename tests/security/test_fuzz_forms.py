"""Hypothesis throws hostile field values at every form: nothing answers 5xx, and input the form
rejects leaves nothing behind (no case, no key, no session, no state change)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    RECEIPT_RE,
    Applicant,
    code_with_secret,
    intake_data,
    set_cookies,
    submit_intake,
    vault_ready,
)

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    database=None,
)

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR '1'='1' --",
    "'; DROP TABLE evacuation_case; --",
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "\u202e\u0645\u0631\u062d\u0628\u0627",  # right-to-left override + Arabic
    "Z\u0351\u0352\u0353\u0354" * 50,  # stacked combining marks
    "\ufeff\u200b\u200d",
    "\U0001f3f3\ufe0f\u200d\U0001f308" * 10,
    "\uff11\uff12\uff13\uff14-\uff15\uff16\uff17\uff18",  # full-width digits
    "../../etc/passwd",
    "%00%0d%0aSet-Cookie: x=1",
    "9" * 400,
    "-1",
    "1e309",
    "NaN",
    "x" * 6000,
    "я" * 5001,
]

values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=300),
    # Long values, made cheaply: a short random text repeated past the fields' limits.
    st.text(min_size=1, max_size=40).map(lambda text: text * (7000 // len(text) + 1)),
    st.integers().map(str),
    st.binary(max_size=64).map(lambda b: b.decode("latin-1")),
)
field_value = st.one_of(values, st.lists(values, min_size=2, max_size=3))  # duplicated fields

# A hidden field the page gives (a one-time form token, the status page's capability, a wrong
# code of the right shape): the test puts the page's own value where the fuzzer left this.
FROM_PAGE = "<from the page>"


def from_page(form: dict, **real: str) -> dict:
    """The fuzzed form with each FROM_PAGE value that is still there replaced by the real one."""
    return {
        name: real[name] if value == FROM_PAGE and name in real else value
        for name, value in form.items()
    }


def mangled(base: dict, extra_names: list[str]):
    """A form built from `base`: some fields replaced, some dropped, some added."""
    names = sorted(set(base) | set(extra_names))
    return st.fixed_dictionaries(
        {},
        optional=dict.fromkeys(names, field_value),
    ).flatmap(
        lambda replaced: st.sets(st.sampled_from(names), max_size=len(names)).map(
            lambda dropped: {
                k: v for k, v in {**base, **replaced}.items() if k not in dropped or k in replaced
            }
        )
    )


def counts() -> tuple:
    from django.contrib.sessions.models import Session

    from audit.models import AuditEvent
    from evacuation.models import Case
    from vault.models import ApplicantKey, CaseKey

    return (
        Case.objects.count(),
        CaseKey.objects.count(),
        ApplicantKey.objects.count(),
        Session.objects.count(),
        AuditEvent.objects.filter(action__startswith="case.").count(),
    )


@pytest.fixture
def vault():
    vault_ready()


@FUZZ
@given(
    form=mangled(
        {**intake_data(), "form_token": FROM_PAGE},
        ["unexpected", "csrfmiddlewaretoken", "switch_language", "written_down"],
    )
)
def test_the_intake_form_never_fails_and_stores_nothing_it_rejects(vault, form):
    applicant = Applicant()
    applicant.open("/request/")
    action, hidden = applicant.form("intake")
    before = counts()
    response = applicant.client.post(action, from_page(form, **hidden))
    assert response.status_code < 500
    assert not set_cookies(response), "an applicant page set a cookie"
    accepted = re.search(RECEIPT_RE, response.content.decode()) is not None
    after = counts()
    if accepted:
        assert response.status_code == 200
        assert after[:3] == (before[0] + 1, before[1] + 1, before[2] + 1)
    else:
        assert after == before, "a rejected intake left something in the database"


@FUZZ
@given(
    raw=st.one_of(st.binary(max_size=2000), st.sampled_from([b"a=%ZZ", b"&&&==", b"\xff" * 100])),
    content_type=st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "multipart/form-data",
            "application/json",
            "text/plain; charset=utf-32",
        ]
    ),
    where=st.sampled_from(
        ["/en/request/", "/en/status/", "/ru/status/", "/staff/login/", "/staff/login/code/"]
    ),
)
def test_malformed_bodies_get_a_plain_answer_not_a_crash(vault, raw, content_type, where):
    before = counts()
    response = Client().generic("POST", where, raw, content_type=content_type)
    assert response.status_code < 500
    assert counts()[:3] == before[:3]


@pytest.fixture
def a_case(vault):
    reference, code = submit_intake()
    return reference, code


@FUZZ
@given(
    form=mangled(
        {"code": FROM_PAGE, "form_token": FROM_PAGE},
        ["step", "code", "capability", "switch_language"],
    )
)
def test_the_status_form_never_fails_and_a_wrong_code_changes_nothing(a_case, form):
    """The look-up form, fuzzed; where the fuzzer left the code, a code of the right shape with
    the case's own locator and a wrong secret (the guess that costs a seized server most)."""
    from evacuation.models import Case

    reference, code = a_case
    state_before = Case.objects.get(reference=reference).state
    applicant = Applicant()
    applicant.open("/status/")
    action, hidden = applicant.form("lookup")
    form = from_page(form, **hidden, code=code_with_secret(code, "0" * 16))
    before = counts()
    response = applicant.client.post(action, form)
    assert response.status_code < 500
    assert not set_cookies(response), "an applicant page set a cookie"
    assert counts() == before
    assert Case.objects.get(reference=reference).state == state_before
    assert reference.encode() not in response.content, "a wrong code revealed the case"
    assert b'name="capability"' not in response.content, "a wrong code opened the case"


@FUZZ
@given(form=mangled({"username": "carla", "password": "wrong"}, ["next", "token"]))
def test_the_login_form_never_fails_and_never_signs_in_without_the_password(carla, form):
    client = Client()
    response = client.post("/staff/login/", form)
    assert response.status_code < 500
    # Only the real password passes; no fuzzed value can be it.
    assert "_auth_user_id" not in client.session
    assert client.get("/staff/").status_code == 302


@FUZZ
@given(form=mangled({"token": "000000"}, ["otp_device", "otp_token", "token"]))
def test_the_code_form_never_fails_and_never_verifies_a_wrong_code(carla, form):
    from tests.factories import DEFAULT_PASSWORD

    client = Client()
    client.post("/staff/login/", {"username": carla.username, "password": DEFAULT_PASSWORD})
    response = client.post("/staff/login/code/", form)
    assert response.status_code < 500
    home = client.get("/staff/")
    if home.status_code == 200:
        pytest.fail("a fuzzed code passed the second factor")


@pytest.fixture
def carla_on_a_case(team):
    """Carla, signed in and holding the key, and a case she may open."""
    from tests.factories import verified_client

    reference, _code = submit_intake()
    return verified_client(team.carla), reference


@FUZZ
@given(form=mangled({"reason": "assess"}, ["reason", "action", "state"]))
def test_the_staff_case_form_never_fails_and_records_only_valid_openings(carla_on_a_case, form):
    from audit.models import AuditEvent
    from evacuation.choices import OpenReason
    from evacuation.models import Case

    client, reference = carla_on_a_case
    state = Case.objects.get(reference=reference).state
    opened_before = AuditEvent.objects.filter(action="case.opened").count()
    response = client.post(f"/staff/cases/{reference}/", form)
    assert response.status_code < 500
    reason = form.get("reason")
    valid = isinstance(reason, str) and reason in OpenReason.values
    opened_after = AuditEvent.objects.filter(action="case.opened").count()
    if not valid:
        assert opened_after == opened_before
    assert Case.objects.get(reference=reference).state == state


def test_a_password_guesser_is_locked_out_with_a_plain_page_not_a_crash(carla):
    client = Client()
    statuses = [
        client.post("/staff/login/", {"username": carla.username, "password": f"guess {n}"})
        for n in range(8)
    ]
    assert all(response.status_code < 500 for response in statuses), [
        r.status_code for r in statuses
    ]
    assert statuses[-1].status_code == 429
    assert "_auth_user_id" not in client.session


@FUZZ
@given(
    form=mangled(
        {"step": "message", "text": "Hello", "capability": FROM_PAGE, "form_token": FROM_PAGE},
        ["step", "text", "file", "code", "capability", "form_token", "switch_language"],
    )
)
def test_the_applicant_message_form_never_fails_and_stores_only_real_messages(a_case, form):
    """The status page's message form, fuzzed (its capability and one-time token as the page
    gave them, unless the fuzzer changed them): never a crash, and at most the one message or
    addition the form could honestly make; nothing else changes."""
    from evacuation.models import MESSAGE_MAX_LENGTH, Addition, Case, Message

    reference, code = a_case
    applicant = Applicant()
    applicant.check(code)
    action, hidden = applicant.form("message")
    state = Case.objects.get(reference=reference).state
    before = Message.objects.count(), Addition.objects.count()
    response = applicant.client.post(action, from_page(form, **hidden))
    assert response.status_code < 500
    assert not set_cookies(response), "an applicant page set a cookie"
    text, step = form.get("text"), form.get("step")
    text = text[-1] if isinstance(text, list) else text
    step = step[-1] if isinstance(step, list) else step
    cleaned = (text or "").replace("\x00", "").strip() if isinstance(text, str) else ""
    fits = len(cleaned) > 0 and len(text) <= MESSAGE_MAX_LENGTH
    made = Message.objects.count() - before[0], Addition.objects.count() - before[1]
    assert made[0] in ((0, 1) if fits and step == "message" else (0,))
    assert made[1] == 0  # the message form's token is not the addition form's
    assert Case.objects.get(reference=reference).state == state


STAFF_FORMS = {
    "assess": {"risk_level": "2", "verified_by": "interview", "support": "legal"},
    "decline": {"reason": "duplicate", "note": ""},
    "propose": {"amount": "100", "currency": "EUR", "purpose": "visa"},
    "notes": {"text": "A note"},
    "message": {"text": "A reply"},
    "hold": {"reason": "audit_review"},
    "new-code": {"verified": "on"},
    "new-code/confirm": {"checked": "on"},
    "new-code/issue": {},
    "new-code/cancel": {},
}


@FUZZ
@given(
    endpoint=st.sampled_from(sorted(STAFF_FORMS)),
    form=mangled({"seen_state": "received", "seen_version": "0"}, ["seen_version", "text"]),
    extra=st.dictionaries(st.sampled_from(["reason", "amount", "text", "support"]), values),
)
def test_the_staff_action_forms_never_fail(carla_on_a_case, endpoint, form, extra):
    client, reference = carla_on_a_case
    response = client.post(
        f"/staff/cases/{reference}/{endpoint}/", {**STAFF_FORMS[endpoint], **form, **extra}
    )
    assert response.status_code < 500


# --- the reports' generate form (POST /staff/reports/generate/) --------------------------------

PERIOD_LIKE = [
    "2025-04",
    "2025-Q2",
    "2025",
    " 2025-q3 ",
    "2025-13",
    "2025-00",
    "2025-Q0",
    "2025-Q5",
    "1999",
    "0000-01",
    "2025-4",
    "25-04",
    "2025-04-01",
    "2999",
    "2999-Q1",
    "2999-12",
]


@pytest.fixture
def cora_reporting(cora):
    from tests.factories import verified_client

    return verified_client(cora)


@FUZZ
@given(form=mangled({"period": "2025-04"}, ["period", "kind"]), code=st.sampled_from(PERIOD_LIKE))
def test_the_report_generate_form_never_fails_and_makes_only_closed_reports_once(
    cora_reporting, form, code
):
    from audit.models import AuditEvent
    from reports.models import Report
    from reports.periods import Period, PeriodError

    client = cora_reporting
    if form.get("period") == "2025-04":
        form = {**form, "period": code}  # a period-shaped value, valid or not, open or closed
    reports_before = Report.objects.count()
    response = client.post("/staff/reports/generate/", form)
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        assert Report.objects.count() == reports_before, "a refused period made a report"
    else:
        period = Period.parse(response["Location"].strip("/").rsplit("/", 1)[-1])
        assert period.is_closed()
        assert Report.objects.filter(period_kind=period.kind, period_start=period.start).exists()
    for report in Report.objects.all():  # every report is of a closed period
        assert report.period.is_closed()
    generated = list(
        AuditEvent.objects.filter(action="report.generated").values_list("data", flat=True)
    )
    periods = [data["period"] for data in generated]
    assert len(periods) == len(set(periods)) == Report.objects.count(), "one event a report"
    for code_seen in periods:
        try:
            Period.parse(code_seen)
        except PeriodError:  # pragma: no cover - would mean a malformed period was reported
            pytest.fail(f"a report.generated event for a malformed period {code_seen!r}")
