"""Builders shared by every test: the cast of staff, signed-in clients, cases and the vault."""

from __future__ import annotations

from dataclasses import dataclass

from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from accounts.services import staff_create

DEFAULT_PASSWORD = "correct horse battery staple 42"


def make_staff(
    *,
    username: str,
    role: str = Role.CASEWORKER,
    password: str = DEFAULT_PASSWORD,
    totp: bool = True,
) -> User:
    user = staff_create(username=username, role=role, password=password, actor="system")
    if totp:
        TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return user


# --- the cast: the same people, in the same roles, in every test ------------------------------
# tests/conftest.py makes each of them a fixture (`carla`, ...) and the whole `team`. A test that
# needs someone unusual (a disabled account, no authenticator yet) makes that one person itself.

CAST: dict[str, str] = {
    "carla": Role.CASEWORKER,
    "kim": Role.CASEWORKER,
    "cora": Role.COORDINATOR,
    "colin": Role.COORDINATOR,
    "audrey": Role.AUDITOR,
    "adam": Role.ADMIN,
}


def cast_member(name: str) -> User:
    """One of the cast, TOTP enrolled, with a personal key and no grant yet."""
    return make_staff(username=name, role=CAST[name])


@dataclass(frozen=True)
class Team:
    """The whole cast with the vault initialised: the case staff (carla, kim, cora, colin) hold
    the organisation key; audrey and adam, whose roles open no cases, do not."""

    carla: User  # caseworker
    kim: User  # caseworker
    cora: User  # coordinator
    colin: User  # coordinator
    audrey: User  # auditor
    adam: User  # admin
    recovery: str  # the vault's recovery secret

    @property
    def case_staff(self) -> tuple[User, ...]:
        return (self.carla, self.kim, self.cora, self.colin)

    @property
    def everyone(self) -> tuple[User, ...]:
        return (*self.case_staff, self.audrey, self.adam)


def team_ready(**people: User) -> Team:
    """The Team of these cast members, granting the organisation key to the case staff."""
    recovery = vault_ready(*(people[name] for name in ("carla", "kim", "cora", "colin")))
    return Team(**people, recovery=recovery)


def totp_code(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def fresh_totp_code(user: User) -> str:
    """A current code that the device will accept (a test may sign one person in many times
    within one 30-second step; django-otp would rightly refuse the replay)."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    device.refresh_from_db()
    return totp_code(device)


def sign_in(client: Client, user: User, password: str = DEFAULT_PASSWORD) -> Client:
    """Signs in through the real pages: password, then a TOTP code (this unlocks the vault)."""
    response = client.post("/staff/login/", {"username": user.username, "password": password})
    assert response.status_code == 302, "password step failed"
    response = client.post("/staff/login/code/", {"token": fresh_totp_code(user)})
    assert response.status_code == 302 and response["Location"] == "/staff/", "code step failed"
    return client


def verified_client(user: User, password: str = DEFAULT_PASSWORD) -> Client:
    return sign_in(Client(), user, password)


# --- vault (key custody) builders -------------------------------------------------------------


def vault_ready(*grantees: User) -> str:
    """Initialises the vault and grants the organisation key to `grantees`.
    Returns the recovery secret (tests only: real code never keeps it)."""
    from vault.org import vault_init

    return vault_init(grantees=grantees).recovery_secret


def holds_current_grant(user: User) -> bool:
    """Whether the user holds a grant of the current organisation key version."""
    from vault.cases import current_org_key
    from vault.errors import VaultNotInitialised
    from vault.models import OrgKeyGrant

    try:
        version = current_org_key().version
    except VaultNotInitialised:
        return False
    return OrgKeyGrant.objects.filter(user=user, org_key_id=version).exists()


class VaultBrowser:
    """One staff browser seen by the vault alone: a database-backed session plus the cookie jar,
    with each call run as a request through the vault's cookie middleware (no pages needed)."""

    def __init__(self, user: User) -> None:
        from django.contrib.sessions.backends.db import SessionStore

        self.user = user
        self.session = SessionStore()
        self.session.save()
        self.cookies: dict[str, str] = {}
        self.last_response = None

    def run(self, action=None, *, user: User | None = None, with_cookies: bool = True):
        """Runs action(request) inside a request; returns its result."""
        from django.contrib.sessions.backends.db import SessionStore
        from django.http import HttpResponse
        from django.test import RequestFactory

        from vault.middleware import SessionKeyCookieMiddleware

        request = RequestFactory().get("/staff/")
        request.session = SessionStore(session_key=self.session.session_key)
        request.user = user or self.user
        if with_cookies:
            request.COOKIES.update(self.cookies)
        outcome = {}

        def view(req):
            if action is not None:
                outcome["value"] = action(req)
            return HttpResponse()

        response = SessionKeyCookieMiddleware(view)(request)
        request.session.save()
        self.session = request.session
        for name, morsel in response.cookies.items():
            if morsel.value:
                self.cookies[name] = morsel.value
            else:
                self.cookies.pop(name, None)
        self.last_response = response
        return outcome.get("value")

    def sign_in(self, password: str = DEFAULT_PASSWORD) -> bool:
        """The vault's half of sign-in: password step, then the step after the second factor."""
        from vault import session as vault_session

        self.run(lambda r: vault_session.unlock_begin(r, user=self.user, password=password))
        return self.run(vault_session.unlock_complete)

    def open_case(self, case, reason: str = "assess"):
        """Opens `case` as the case page's "Open" does: recorded, then kept for the session."""
        from evacuation.services import opening
        from vault import session as vault_session

        def action(request):
            keys = vault_session.staff_keys(request)
            opened = opening.case_open(case=case, actor=self.user, keys=keys, reason=reason)
            vault_session.opening_remember(request, case.uid)
            return opened

        return self.run(action)


def opened_by(user: User, *cases):
    """The StaffKeys of a session that opened `cases` and holds no key: enough for decisions
    that need an opening but decrypt nothing (assess, propose, decline without a note)."""
    from vault.session import StaffKeys

    user_pk = getattr(user, "pk", None)  # the applicant and anonymous visitors hold none
    return StaffKeys(user_pk=user_pk, opened=frozenset(str(case.uid) for case in cases))


def case_opened(client: Client, reference: str, reason: str = "assess"):
    """Opens the case through its page's "Open" form; the opening lasts for the session."""
    response = client.post(f"/staff/cases/{reference}/", {"reason": reason})
    assert response.status_code == 302, response.status_code
    return response


# --- evacuation: intake builders and a whole-database dump -------------------------------------

RECEIPT_RE = r'<p class="receipt"[^>]*>\s*([0-9][0-9 -]*[0-9])\s*</p>'


def intake_data(**overrides) -> dict:
    """A complete, valid /request/ form (as posted by a browser)."""
    data = {
        "name": "Applicant Alias",
        "contact_method": "signal",
        "contact_handle": "@applicant_alias",
        "country": "Country Now",
        "city": "City Now",
        "situation": "Threatened by my neighbours.",
        "urgency": "weeks",
        "party_size": "2",
        "travel_documents": "valid_passport",
        "help_needed": ["transport", "medical"],
        "voucher": "",
        "consent": "on",
    }
    data.update(overrides)
    return data


class Applicant:
    """One person on the applicant's pages, through the real forms, as a browser without
    JavaScript would: every form's hidden fields (its one-time token, the status page's
    capability) are read from the page the form is on, never made up by the test.

    `page` is the last answer's text; `act(name, ...)` sends the form `data-form="name"` of that
    page with its hidden fields plus the given ones (a file as `file=(name, bytes)`)."""

    def __init__(self, client: Client | None = None, *, language: str = "en") -> None:
        self.client = client or Client()
        self.language = language
        self.response = None

    @property
    def page(self) -> str:
        return self.response.content.decode()

    def open(self, path: str = "/"):
        self.response = self.client.get(f"/{self.language}{path}")
        return self.response

    def form(self, name: str, /) -> tuple[str, dict[str, str]]:
        """(action, hidden fields) of the form `data-form="name"` on the current page."""
        import html
        import re

        match = re.search(
            rf'<form method="post" action="([^"]+)"[^>]*data-form="{re.escape(name)}"[^>]*>'
            r"(.*?)</form>",
            self.page,
            re.S,
        )
        assert match, f"no {name!r} form on the page"
        hidden = {
            field: html.unescape(value)
            for field, value in re.findall(
                r'<input type="hidden" name="(\w+)" value="([^"]*)"', match.group(2)
            )
        }
        return html.unescape(match.group(1)), hidden

    def act(self, form_name: str, /, *, headers: dict | None = None, **fields):
        from django.core.files.uploadedfile import SimpleUploadedFile

        action, data = self.form(form_name)
        for key, value in fields.items():
            if isinstance(value, tuple):  # (file name, bytes): an upload
                value = SimpleUploadedFile(value[0], value[1])
            data[key] = value
        self.response = self.client.post(action, data, headers=headers or {})
        return self.response

    def resend(self):
        """The browser's reload of the last POST: the same form sent again, as it was."""
        request = self.response.wsgi_request
        data = {
            key: values if len(values) > 1 else values[0] for key, values in request.POST.lists()
        }
        self.response = self.client.post(request.path, data)
        return self.response

    def submit(self, **overrides) -> tuple[str, str]:
        """Sends a request; returns (reference, receipt code) read from the page shown once."""
        import re

        self.open("/request/")
        response = self.act("intake", **intake_data(**overrides))
        assert response.status_code == 200, f"intake failed with {response.status_code}"
        match = re.search(RECEIPT_RE, self.page)
        assert match, "no receipt code on the page"
        reference = re.search(r"<strong>(EV-[\w-]+)</strong>", self.page).group(1)
        return reference, match.group(1)

    def check(self, code: str):
        """Types the receipt code on the status page; the answer is the status page (or not)."""
        self.open("/status/")
        return self.act("lookup", code=code)


def submit_intake(client: Client | None = None, **overrides) -> tuple[str, str]:
    """Sends a request through the real form; returns (reference, receipt code)."""
    return Applicant(client).submit(**overrides)


def applicant_with(code: str, **kwargs) -> Applicant:
    """A person who has typed their code and is on their status page."""
    applicant = Applicant(**kwargs)
    response = applicant.check(code)
    assert response.status_code == 200 and 'name="capability"' in applicant.page, "code refused"
    return applicant


def case_key(case_uid: str):
    """A case's keys made and stored as an intake makes them: returns (cipher, receipt code).
    A locator another case holds is drawn again, as the intake does (with a thousand cases, a
    clash among the 10^7 locators comes about one run in twenty)."""
    from django.db import IntegrityError, transaction

    from vault import cases

    new = cases.case_key_new(case_uid=case_uid)
    while True:
        try:
            with transaction.atomic():
                return cases.case_key_store(new)
        except IntegrityError:
            new = new.with_new_locator()


def database_dump(*, sessions_decoded: bool = False) -> bytes:
    """Every row of every table, as bytes: what a thief who copies the database holds. With
    `sessions_decoded`, every stored session decoded as well (what the thief reads from them)."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection

    chunks: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes | bytearray):
                        chunks.append(bytes(value))
                    else:
                        chunks.append(str(value).encode())
    if sessions_decoded:
        for stored in Session.objects.all():
            chunks.append(repr(SessionStore().decode(stored.session_data)).encode())
    return b"\n".join(chunks)


# --- evacuation workflow builders (cases walked through the real services) ---------------------


def make_case(**intake_overrides):
    """A case in `received`, made by case_submit (real keys; needs vault_ready() first)."""
    from evacuation.applicant.forms import IntakeForm
    from evacuation.services.intake import case_submit

    form = IntakeForm(intake_data(**intake_overrides))
    assert form.is_valid(), form.errors
    case, _code = case_submit(form_data=form.cleaned_data)
    return case


def case_in_state(state: str, *, assessor: User, approver: User | None = None, **intake):
    """A case walked to `state` through the workflow services: `assessor` (case staff) assesses,
    proposes 1200.00 EUR and confirms relocation; `approver` (a coordinator) approves.
    "proposed" means assessed with a pending proposal by `assessor`."""
    from datetime import date

    from evacuation.services import casework

    case = make_case(**intake)
    if state == "received":
        return case
    if state == "withdrawn":
        return casework.case_withdraw(case=case, actor="applicant")
    keys = opened_by(assessor, case)
    case = casework.case_assess(
        case=case,
        actor=assessor,
        keys=keys,
        risk_level=3,
        verified_by="referee",
        support=["relocation"],
    )
    if state == "declined":
        return casework.case_decline(case=case, actor=assessor, keys=keys, reason="no_capacity")
    if state == "assessed":
        return case
    casework.funding_propose(
        case=case, actor=assessor, keys=keys, amount="1200.00", currency="EUR", purpose="transport"
    )
    if state == "proposed":
        case.refresh_from_db()
        return case
    assert approver is not None, "a funded case needs an approver"
    casework.funding_approve(case=case, actor=approver)
    case.refresh_from_db()
    if state == "funded":
        return case
    assert state == "relocated", f"unknown state {state!r}"
    return casework.case_confirm_relocation(
        case=case, actor=assessor, relocated_on=date.today(), region="eu"
    )


def hidden_fields(page: str, action: str) -> dict[str, str]:
    """The hidden inputs of one action form on a staff case page (what the browser would send
    back: the state and version the page was drawn with, the proposal it showed)."""
    import html
    import re

    section = re.search(
        rf'<details class="action" id="action-{re.escape(action)}"[^>]*>(.*?)</details>', page, re.S
    )
    assert section, f"no {action!r} form on the page"
    return {
        name: html.unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)"', section.group(1)
        )
        if name != "csrfmiddlewaretoken"
    }


def staff_case_page(client: Client, reference: str) -> str:
    response = client.get(f"/staff/cases/{reference}/")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- files -------------------------------------------------------------------------------------

GPS_IFD = 0x8825


def photo_with_gps(marker: str = "MarkerDatum") -> bytes:
    """A small JPEG carrying a GPS position (55°45'N 37°37'E) and `marker` as its map datum."""
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "MarkerCameraMaker"  # Make
    exif[GPS_IFD] = {1: "N", 2: (55.0, 45.0, 0.0), 3: "E", 4: (37.0, 37.0, 0.0), 18: marker}
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


# --- threads -----------------------------------------------------------------------------------


def at_once(count: int, action) -> list:
    """Runs action(i) in `count` threads released together by a barrier; returns each thread's
    result, or the exception it raised (for the test to report in its own thread)."""
    import threading

    from django.db import connection

    start = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            start.wait(timeout=30)
            results[i] = action(i)
        except BaseException as exc:  # reported by the test, in its own thread
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


# --- audit helpers -------------------------------------------------------------------------------


def checkpoint_now():
    """The audit signer signs the head now (as `manage.py audit_signer --once --now`)."""
    from audit.signer import sign_if_due

    return sign_if_due(force=True)


# --- vault helpers -----------------------------------------------------------------------------


def unknown_locator() -> str:
    """A receipt-code locator that no live case holds (a code a guesser could make up)."""
    from vault.cases import locator_is_live
    from vault.receipts import locator_new

    while True:
        locator = locator_new()
        if not locator_is_live(locator):
            return locator


# --- intake helpers ----------------------------------------------------------------------------
# For the applicant's pages. Applicant.act takes the form's name as its first parameter, `name`,
# so it cannot send the intake form's own field `name`: send_form takes the fields as a dict.

CROSS_SITE = {"Sec-Fetch-Site": "cross-site"}


def send_form(applicant: Applicant, form_name: str, fields: dict | None = None, *, headers=None):
    """Sends the form `data-form="form_name"` of the applicant's page, as Applicant.act does:
    its hidden fields as the page has them, plus `fields` (a file as (name, bytes))."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    action, data = applicant.form(form_name)
    for key, value in (fields or {}).items():
        if isinstance(value, tuple):
            value = SimpleUploadedFile(value[0], value[1])
        data[key] = value
    applicant.response = applicant.client.post(action, data, headers=headers or {})
    return applicant.response


def intake_sent(applicant: Applicant, **overrides):
    """Opens the request form and sends it with intake_data(**overrides); returns the answer."""
    applicant.open("/request/")
    return send_form(applicant, "intake", intake_data(**overrides))


def request_sent(applicant: Applicant | None = None, **overrides) -> tuple[str, str]:
    """Applicant.submit through send_form: (reference, receipt code) read from the page."""
    import re

    applicant = applicant or Applicant()
    response = intake_sent(applicant, **overrides)
    assert response.status_code == 200, f"intake failed with {response.status_code}"
    code = receipt_on(applicant.page)
    assert code, "no receipt code on the page"
    return re.search(r"<strong>(EV-[\w-]+)</strong>", applicant.page).group(1), code


def receipt_on(page: str) -> str | None:
    """The receipt code a page shows, or None."""
    import re

    match = re.search(RECEIPT_RE, page)
    return match.group(1) if match else None


def post_again(applicant: Applicant, response):
    """The browser's reload of an earlier POST (`response` answered it), sent as it was."""
    applicant.response = response
    return applicant.resend()


def set_cookies(response) -> list[str]:
    """Every Set-Cookie of a response: the cookies Django would send and any raw header."""
    sent = [morsel.OutputString() for morsel in response.cookies.values()]
    sent += [value for header, value in response.items() if header.lower() == "set-cookie"]
    return sent


def without_page_tokens(page: str) -> str:
    """The page with what differs on every drawing blanked: form tokens and capabilities."""
    import re

    return re.sub(r'(name="(?:form_token|capability)" value=")[^"]*"', r'\1"', page)


def code_typed(page: str) -> str:
    """What the look-up page's code field holds (what the person typed, kept for them)."""
    import html
    import re

    match = re.search(r'<input type="text" name="code"[^>]* value="([^"]*)"', page)
    assert match, "no code field on the page"
    return html.unescape(match.group(1))


def language_switch(applicant: Applicant, language: str, fields: dict | None = None):
    """Presses the language switch to `language`: a submit button of the page's form with
    formaction to the other language's URL, so the form (its hidden fields and `fields`, what
    was typed) goes along. The applicant is then on the page in `language`."""
    import html
    import re

    button = re.search(
        r'<button type="submit" form="(\w+)" formaction="([^"]+)"[^>]*'
        rf'name="switch_language" value="{re.escape(language)}"',
        applicant.page,
    )
    assert button, f"no switch to {language!r} on the page"
    form = re.search(
        rf'<form method="post"[^>]*\bid="{button.group(1)}"[^>]*>(.*?)</form>',
        applicant.page,
        re.S,
    )
    assert form, f"the switch belongs to no form {button.group(1)!r}"
    data = {
        field: html.unescape(value)
        for field, value in re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(1)
        )
    }
    data.update(fields or {}, switch_language=language)
    applicant.language = language
    applicant.response = applicant.client.post(html.unescape(button.group(2)), data)
    return applicant.response


def code_with_secret(code: str, secret: str) -> str:
    """A well-formed code (its check digit fits) with `code`'s locator and another secret."""
    from vault.receipts import ReceiptCode, receipt_parse

    return str(ReceiptCode(locator=receipt_parse(code).locator, secret=secret))


def code_mistyped(code: str, at: int = 10) -> str:
    """`code` with one digit changed: its check digit no longer fits (a typo, not a wrong code)."""
    digits = [ch for ch in code if ch.isdigit()]
    digits[at] = str((int(digits[at]) + 1) % 10)
    return "-".join("".join(digits[i : i + 4]) for i in range(0, len(digits), 4))


# --- messages helpers ----------------------------------------------------------------------------
# Messages, files, withdrawal and retention, through the applicant's real pages.


def applicant_cipher(code: str):
    """The CaseCipher the applicant's receipt code opens (as the look-up page opens it)."""
    from vault.cases import case_cipher_for_applicant
    from vault.receipts import receipt_parse

    return case_cipher_for_applicant(receipt_parse(code))


def withdrawn_by_applicant(code: str, *, days_ago: int = 0):
    """The applicant withdraws through their status page ("withdraw, and keep what I told you
    for now"); the withdrawal is then dated `days_ago`. Returns the case."""
    from datetime import timedelta

    from django.utils import timezone

    from evacuation.models import Case

    applicant = applicant_with(code)
    applicant.act("confirm_withdraw")
    applicant.act("withdraw")
    assert "Your request has been withdrawn." in applicant.page, "withdrawal not confirmed"
    case = Case.objects.get(uid=applicant_cipher(code).case_uid)
    assert case.state == "withdrawn"
    if days_ago:
        Case.objects.filter(pk=case.pk).update(
            state_changed_at=timezone.now() - timedelta(days=days_ago)
        )
        case.refresh_from_db()
    return case


def withdrawn_case(*, days_ago: int, **intake) -> tuple:
    """A request sent through the form and withdrawn by its applicant `days_ago` days ago:
    returns (case, receipt code)."""
    _reference, code = request_sent(**intake)
    return withdrawn_by_applicant(code, days_ago=days_ago), code


def purge_expired(*args: str) -> str:
    """Runs `manage.py purge_expired` with `args`; returns what it printed."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("purge_expired", *args, stdout=out)
    return out.getvalue()


def without_typed_code(page: str) -> str:
    """The look-up page with its one-time parts blanked (without_page_tokens) and the code
    field emptied: what is left is what the page says about the code."""
    import re

    page = without_page_tokens(page)
    return re.sub(r'(<input type="text" name="code"[^>]* value=")[^"]*"', r'\1"', page)
