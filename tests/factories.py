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


def submit_intake(client: Client | None = None, **overrides) -> tuple[str, str]:
    """Posts the intake form; returns (reference, receipt code) read from the page shown once."""
    import re

    from evacuation.models import Case

    response = (client or Client()).post("/request/", intake_data(**overrides))
    assert response.status_code == 200, f"intake failed with {response.status_code}"
    match = re.search(RECEIPT_RE, response.content.decode())
    assert match, "no receipt code on the page"
    reference = Case.objects.order_by("-id").values_list("reference", flat=True).first()
    return reference, match.group(1)


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
    case = casework.case_assess(
        case=case, actor=assessor, risk_level=3, verified_by="referee", support=["relocation"]
    )
    if state == "declined":
        return casework.case_decline(case=case, actor=assessor, reason="no_capacity")
    if state == "assessed":
        return case
    casework.funding_propose(
        case=case, actor=assessor, amount="1200.00", currency="EUR", purpose="transport"
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
