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
    "labels": {"labels": "1"},
    "duplicate": {"original": "EV-ABCD-EF"},
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


# --- the notifications page (POST /staff/cases/notifications/ and .../on-call/) ------------------


@pytest.fixture
def kim_and_cora(kim, cora):
    from tests.factories import verified_client

    return verified_client(kim), verified_client(cora)


@FUZZ
@given(
    choice=mangled({"mode": "digest", "language": "ru"}, ["mode", "language"]),
    duty=mangled({"member": "1", "on_call": "1"}, ["member", "on_call"]),
)
def test_the_notification_forms_never_fail_and_save_only_valid_choices(kim_and_cora, choice, duty):
    from django.conf import settings as django_settings

    from audit.models import AuditEvent
    from evacuation.models import NoticeMode, NoticePreference

    kim_client, cora_client = kim_and_cora
    kim_user = kim_client.get("/staff/").wsgi_request.user
    if duty.get("member") == "1":
        duty = {**duty, "member": str(kim_user.pk)}
    before = AuditEvent.objects.filter(action__startswith="notice.").count()
    response = kim_client.post("/staff/cases/notifications/", choice)
    assert response.status_code in (200, 302), response.status_code
    response = cora_client.post("/staff/cases/notifications/on-call/", duty)
    assert response.status_code == 302, response.status_code
    for preference in NoticePreference.objects.all():
        assert preference.mode in NoticeMode.values
        assert preference.language in ("", *django_settings.STAFF_LANGUAGES)

    def sent(name):  # what the form reads of a field sent once or several times
        value = choice.get(name)
        return value[-1] if isinstance(value, list) else value

    saved = NoticePreference.objects.filter(user=kim_user).first()
    if sent("mode") in NoticeMode.values and sent("language") in django_settings.STAFF_LANGUAGES:
        assert (saved.mode, saved.language) == (sent("mode"), sent("language"))
    after = AuditEvent.objects.filter(action__startswith="notice.").count()
    assert after - before <= 2  # at most one change of each, each recorded once
    # A caseworker never puts anyone on call.
    assert kim_client.post("/staff/cases/notifications/on-call/", duty).status_code == 403


# --- follow-ups and check-ins (evacuation/staff/followup_views.py, "I am safe" on /status/) ------


@pytest.fixture
def carla_on_a_funded_case(team):
    """Carla signed in, and a funded case (assessed by Kim, approved by Colin) with its code."""
    from evacuation.models import Case
    from evacuation.services import casework
    from tests.factories import opened_by, verified_client

    reference, code = submit_intake()
    case = Case.objects.get(reference=reference)
    keys = opened_by(team.kim, case)
    case = casework.case_assess(
        case=case, actor=team.kim, keys=keys, risk_level=2, verified_by="referee", support=["legal"]
    )
    casework.funding_propose(
        case=case, actor=team.kim, keys=keys, amount="100", currency="EUR", purpose="visa"
    )
    casework.funding_approve(case=case, actor=team.colin)
    return verified_client(team.carla), reference, code


FOLLOWUP_FORMS = {
    "followups": {"due_on": "2026-01-01"},
    "followups/1/close": {"outcome": "done"},
    "checkins": {"every_days": "3"},
}


@FUZZ
@given(
    endpoint=st.sampled_from(sorted(FOLLOWUP_FORMS)),
    form=mangled({"due_on": "2026-01-01", "every_days": "3"}, ["outcome", "stop", "due_on"]),
)
def test_the_follow_up_and_check_in_forms_never_fail_and_store_only_valid_values(
    carla_on_a_funded_case, endpoint, form
):
    from datetime import timedelta

    from django.utils import timezone

    from evacuation.models import Case, CheckinSchedule, FollowUp

    client, reference, _code = carla_on_a_funded_case
    state = Case.objects.get(reference=reference).state
    response = client.post(f"/staff/cases/{reference}/{endpoint}/", form)
    assert response.status_code == 302, response.status_code
    today = timezone.localdate()
    for followup in FollowUp.objects.all():
        assert today - timedelta(days=1) <= followup.due_on <= today + timedelta(days=368)
    for schedule in CheckinSchedule.objects.all():
        assert 1 <= schedule.every_days <= 30
    assert Case.objects.get(reference=reference).state == state


@FUZZ
@given(
    form=mangled(
        {"step": "checkin", "capability": FROM_PAGE, "form_token": FROM_PAGE},
        ["step", "capability", "form_token", "switch_language", "text"],
    )
)
def test_the_i_am_safe_form_never_fails_and_counts_at_most_one_check_in(
    carla_on_a_funded_case, team, form
):
    from evacuation.models import Case, CheckinSchedule, Message
    from evacuation.services import followups

    _client, reference, code = carla_on_a_funded_case
    case = Case.objects.get(reference=reference)
    followups.checkins_set(case=case, actor=team.carla, every_days=3)
    applicant = Applicant()
    applicant.check(code)
    action, hidden = applicant.form("checkin")
    before = CheckinSchedule.objects.get(case=case).checkins, Message.objects.count()
    response = applicant.client.post(action, from_page(form, **hidden))
    assert response.status_code < 500
    assert not set_cookies(response), "an applicant page set a cookie"
    after = CheckinSchedule.objects.get(case=case).checkins, Message.objects.count()
    assert after[0] - before[0] in (0, 1)
    assert after[1] == before[1]  # the check-in's token sends no message
    assert Case.objects.get(reference=reference).state == "funded"


# --- the workspace: labels, reply templates, the queue's search, duplicates ---------------------


@pytest.fixture
def cora_managing(team):
    from evacuation.models import Label, ReplyTemplate
    from tests.factories import verified_client

    label = Label.objects.create(name="visa in progress")
    template = ReplyTemplate.objects.create(name="Documents received", texts={"en": "Got them."})
    return verified_client(team.cora), label, template


def _workspace_is_clean() -> None:
    """Whatever was stored is one printable line of a name, and texts that fit one message."""
    from evacuation.models import MESSAGE_MAX_LENGTH, Label, ReplyTemplate

    names = [
        *Label.objects.values_list("name", flat=True),
        *ReplyTemplate.objects.values_list("name", flat=True),
    ]
    for name in names:
        assert name and name == name.strip() and name.isprintable() and len(name) <= 80, name
    for texts in ReplyTemplate.objects.values_list("texts", flat=True):
        assert texts and all(0 < len(text) <= MESSAGE_MAX_LENGTH for text in texts.values())
        assert all("\x00" not in text for text in texts.values())


@FUZZ
@given(
    form=mangled({"name": "waiting for documents", "do": "rename"}, ["name", "do"]),
    where=st.sampled_from(["new", "existing"]),
)
def test_the_label_forms_never_fail_and_store_only_clean_names(cora_managing, form, where):
    from audit.models import AuditEvent
    from evacuation.models import Label

    client, label, _template = cora_managing
    url = "/staff/cases/labels/" if where == "new" else f"/staff/cases/labels/{label.pk}/"
    before = Label.objects.count(), AuditEvent.objects.filter(action__startswith="label.").count()
    response = client.post(url, form)
    assert response.status_code < 500
    _workspace_is_clean()
    made = Label.objects.count() - before[0]
    events = AuditEvent.objects.filter(action__startswith="label.").count() - before[1]
    assert made in (0, 1) and events in (0, 1) and (made == 0 or events == 1)


@FUZZ
@given(
    form=mangled(
        {"name": "Documents received 2", "text_en": "Thank you.", "text_ru": "Спасибо."},
        ["name", "text_en", "text_ru", "text_uk", "do"],
    ),
    where=st.sampled_from(["new", "existing"]),
)
def test_the_template_forms_never_fail_and_store_only_what_fits(cora_managing, form, where):
    from evacuation.models import ReplyTemplate

    client, _label, template = cora_managing
    url = "/staff/cases/templates/" if where == "new" else f"/staff/cases/templates/{template.pk}/"
    before = ReplyTemplate.objects.count()
    response = client.post(url, form)
    assert response.status_code < 500
    _workspace_is_clean()
    assert ReplyTemplate.objects.count() - before in ((0, 1) if where == "new" else (0,))


@FUZZ
@given(
    query=mangled(
        {"q": "EV-ABCD-EF", "label": "1", "assignee": "1", "state": "all", "page": "1"},
        ["q", "label", "assignee", "state", "urgency", "mine", "page"],
    )
)
def test_the_queue_search_never_fails(carla_on_a_case, query):
    client, _reference = carla_on_a_case
    response = client.get("/staff/cases/", query)
    assert response.status_code == 200


@FUZZ
@given(query=mangled({"template": "1", "language": "ru"}, ["template", "language"]))
def test_choosing_a_reply_template_never_fails(carla_on_a_case, query):
    from tests.factories import case_opened

    client, reference = carla_on_a_case
    case_opened(client, reference, "reply")
    response = client.get(f"/staff/cases/{reference}/", query)
    assert response.status_code == 200


@FUZZ
@given(original=values)
def test_marking_a_duplicate_never_fails_and_never_links_a_case_to_itself(
    carla_on_a_case, original
):
    from evacuation.models import Case, DuplicateLink
    from tests.factories import case_opened

    client, reference = carla_on_a_case
    case_opened(client, reference, "assess")
    case = Case.objects.get(reference=reference)
    response = client.post(
        f"/staff/cases/{reference}/duplicate/",
        {"seen_state": case.state, "seen_version": case.version, "original": original},
    )
    assert response.status_code < 500
    assert not DuplicateLink.objects.exists()  # no other case: nothing to link to
    assert Case.objects.get(reference=reference).state == "received"


# --- security keys (accounts/key_views.py: the JSON steps the script posts, and removal) --------

KEY_FIELDS = ["credential", "prf", "purpose", "name", "password", "id", "rawId", "response"]
key_body = st.dictionaries(
    st.sampled_from(KEY_FIELDS),
    st.one_of(
        field_value,
        st.dictionaries(st.sampled_from(KEY_FIELDS), values, max_size=4),
    ),
    max_size=5,
)
KEY_STEPS = [
    "/staff/keys/register/begin/",
    "/staff/keys/register/complete/",
    "/staff/keys/assert/begin/",
    "/staff/keys/assert/complete/",
]


@FUZZ
@given(body=key_body, where=st.sampled_from(KEY_STEPS), verified=st.booleans())
def test_the_security_key_steps_never_fail_and_never_add_or_verify_anything(
    carla, body, where, verified
):
    from django_otp_webauthn.models import WebAuthnCredential

    from tests.factories import DEFAULT_PASSWORD, fresh_totp_code

    client = Client(HTTP_HOST="localhost")
    client.post("/staff/login/", {"username": carla.username, "password": DEFAULT_PASSWORD})
    if verified:
        client.post("/staff/login/code/", {"token": fresh_totp_code(carla)})
    response = client.post(where, body, content_type="application/json")
    assert response.status_code in (200, 400), response.status_code
    assert not WebAuthnCredential.objects.filter(user=carla).exists()
    if not verified:
        assert client.get("/staff/")["Location"] == "/staff/login/code/"


@FUZZ
@given(form=mangled({"password": "x"}, ["password", "key_id"]), key=st.integers(-5, 10**12))
def test_the_key_removal_form_never_fails(carla, form, key):
    from tests.factories import verified_client

    client = verified_client(carla)
    response = client.post(f"/staff/security/keys/{abs(key)}/remove/", form)
    assert response.status_code == 302 and response["Location"] == "/staff/security/"
