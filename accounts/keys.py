"""Security keys and passkeys: the policy, and the two WebAuthn ceremonies.

django-otp-webauthn keeps the credentials (a django-otp device each) and verifies what the
browser returns with the `webauthn` library; our own script (static/staff/webauthn.js) runs the
ceremonies because the PRF extension's binary output must reach the vault, which binds the
personal key to it (vault.staff). The rules, one place each:

- `key_required`: the roles in WEBAUTHN_REQUIRED_ROLES sign in with a key. A backup code still
  signs them in, once each, but such a session opens no case data (`opens_case_data`).
- `offers_keys`: keys work on the relying-party host only; the onion host only if
  WEBAUTHN_ONION_RP_ID names it. Where keys are not offered, the policy cannot ask for one: a
  required role signs in with TOTP there, and that session opens no case data either.
- `may_enrol`: a key is enrolled only by the session an enrolment link started, or by a
  session that signed in with a key; never by password and TOTP alone, so a phished code
  cannot enrol the attacker's key.
"""

from __future__ import annotations

from base64 import urlsafe_b64decode, urlsafe_b64encode

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from webauthn.helpers.structs import UserVerificationRequirement

from accounts.models import User
from audit.actions import Action
from audit.services import record
from core.middleware import is_onion

FACTOR = "accounts.factor"  # how this session passed its second factor: webauthn|totp|backup
ENROL_LINK = "accounts.enrol_link"  # this session began with the person's enrolment link
REGISTRATION_STATE = "accounts.key_registration"
ASSERTION_STATE = "accounts.key_assertion"
NAME_MAX = 40


def _host(request: HttpRequest) -> str:
    return request.get_host().rsplit(":", 1)[0].lower()


def rp_id(request: HttpRequest) -> str:
    onion = settings.WEBAUTHN_ONION_RP_ID
    return onion if onion and _host(request) == onion else settings.WEBAUTHN_RP_ID


def offers_keys(request: HttpRequest) -> bool:
    """Whether a security key works on the address this request came to."""
    host = _host(request)
    if is_onion(request):
        return bool(settings.WEBAUTHN_ONION_RP_ID) and host == settings.WEBAUTHN_ONION_RP_ID
    rp = settings.WEBAUTHN_RP_ID
    return bool(rp) and (host == rp or host.endswith("." + rp))


def required_roles() -> frozenset[str]:
    roles = frozenset(settings.WEBAUTHN_REQUIRED_ROLES)
    return frozenset() if "none" in roles else roles


def key_required(user) -> bool:
    return user.is_authenticated and user.role in required_roles()


def keys_of(user) -> list[WebAuthnCredential]:
    return list(WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk"))


def has_key(user) -> bool:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def opens_case_data(request: HttpRequest, user) -> bool:
    """Whether the second factor this session passed may unlock case data for this person."""
    return not key_required(user) or request.session.get(FACTOR) == "webauthn"


def may_enrol(request: HttpRequest) -> bool:
    return bool(request.session.get(ENROL_LINK)) or request.session.get(FACTOR) == "webauthn"


def credential_ref(device: WebAuthnCredential) -> str:
    """How the vault names a credential: the SHA-256 hex django-otp-webauthn keys it by."""
    return device.credential_id_sha256


def b64url(data: bytes) -> str:
    return urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Helper(WebAuthnHelper):
    """django-otp-webauthn's helper, told our relying party, origin and extensions.

    User verification is required in both ceremonies: an authenticator's PRF (CTAP hmac-secret)
    answers differently with and without it, so one setting keeps a bound key opening its copy.
    """

    def get_allowed_origins(self) -> list[str]:
        if not offers_keys(self.request):
            return []
        return [f"{self.request.scheme}://{self.request.get_host()}"]

    def get_registration_extensions(self) -> dict:
        return {"credProps": True, "prf": {}}

    def get_generate_registration_options_kwargs(self, *, user) -> dict:
        kwargs = super().get_generate_registration_options_kwargs(user=user)
        kwargs["authenticator_selection"].user_verification = UserVerificationRequirement.REQUIRED
        return kwargs


class KeyRefused(Exception):
    """The browser's answer did not verify, or does not belong to this person."""


def registration_begin(request: HttpRequest, *, user: User) -> dict:
    options, state = Helper(request).register_begin(user)
    request.session[REGISTRATION_STATE] = state
    return options


def registration_complete(request: HttpRequest, *, user: User, data: dict, name: str):
    """Verifies the new credential and saves it under `name`; one audit event."""
    state = request.session.pop(REGISTRATION_STATE, None)
    if state is None:
        raise KeyRefused
    try:
        device = Helper(request).register_complete(user, state, data)
    except Exception as exc:  # the library raises many kinds for a bad answer
        raise KeyRefused from exc
    prf = bool(((data.get("clientExtensionResults") or {}).get("prf") or {}).get("enabled"))
    with transaction.atomic():
        device.name = name[:NAME_MAX] or "security key"
        device.confirmed = True
        device.save(update_fields=["name", "confirmed"])
        record(
            action=Action.SECURITY_KEY_ENROLLED,
            actor=user,
            target_type="user",
            target_ref=str(user.pk),
            data={
                "keys": len(keys_of(user)),
                "prf": prf,
                "via": "enrolment_link" if request.session.get(ENROL_LINK) else "key_session",
            },
        )
    return device, prf


def assertion_begin(request: HttpRequest, *, user: User, prf_salt: bytes | None, only=None) -> dict:
    """Options for the browser to sign with one of the person's keys (`only`: that one)."""
    options, state = Helper(request).authenticate_begin(user=user, require_user_verification=True)
    if only is not None:
        wanted = b64url(bytes(only.credential_id))
        options["allowCredentials"] = [
            c for c in options.get("allowCredentials", []) if c["id"] == wanted
        ]
        state["only"] = only.pk
    if prf_salt is not None:
        options["extensions"] = {"prf": {"eval": {"first": b64url(prf_salt)}}}
    request.session[ASSERTION_STATE] = state
    return options


def assertion_complete(request: HttpRequest, *, user: User, data: dict) -> WebAuthnCredential:
    """The person's key that signed this session's challenge; raises KeyRefused otherwise."""
    state = request.session.pop(ASSERTION_STATE, None)
    if state is None:
        raise KeyRefused
    try:
        device = Helper(request).authenticate_complete(user, state, data)
    except Exception as exc:  # unknown key, another person's, bad signature, replay
        raise KeyRefused from exc
    if state.get("only") is not None and device.pk != state["only"]:
        raise KeyRefused
    return device


def prf_output(data: dict) -> bytes | None:
    """The PRF result our script sent beside the assertion (base64url), or None."""
    raw = data.get("prf")
    if not isinstance(raw, str) or not raw:
        return None
    try:
        output = unb64url(raw)
    except ValueError:
        return None
    return output if len(output) == 32 else None


def key_remove(*, user: User, device: WebAuthnCredential, bound: bool) -> None:
    with transaction.atomic():
        device.delete()
        record(
            action=Action.SECURITY_KEY_REMOVED,
            actor=user,
            target_type="user",
            target_ref=str(user.pk),
            data={"keys": len(keys_of(user)), "bound": bound},
        )


def key_bound(*, user: User, keys: int) -> None:
    record(
        action=Action.SECURITY_KEY_BOUND,
        actor=user,
        target_type="user",
        target_ref=str(user.pk),
        data={"keys": keys},
    )
