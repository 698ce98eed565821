"""Unlocking the organisation key for one signed-in session.

At the password step the personal key is unwrapped and kept in the session encrypted under
a random per-session key K; K itself lives only in a separate HttpOnly, SameSite=Strict
cookie (set by `vault.middleware.SessionKeyCookieMiddleware`). After the second factor the
personal key opens the user's grants and is dropped; the session keeps the organisation
private key(s), again only encrypted under K. The sessions table alone therefore holds
nothing that opens a case; the cookie alone holds a random key and nothing else.
Logout, session expiry or `lock()` forget it; the middleware then deletes the cookie.

The same data lists the cases the person opened (with a reason, on the record) in this session:
a case key is unwrapped only for one of them (`StaffKeys.case_cipher`), and an opening lasts
until the person closes the case or the session ends.

A view resolves what the session holds once, with `staff_keys(request)`, and hands the
resulting `StaffKeys` to services: nothing below the view ever sees the request.
"""

from __future__ import annotations

from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest

from vault import crypto
from vault.cases import CaseCipher, case_cipher_from_org_key, current_org_key
from vault.errors import (
    CaseKeyMissing,
    DecryptionFailed,
    HardwareBound,
    NoGrant,
    NoPersonalKey,
    NotOpened,
    VaultLocked,
    VaultNotInitialised,
    WrongPassword,
)
from vault.models import CaseKey, OrgKeyGrant
from vault.staff import (
    binding_add,
    binding_open,
    binding_remove,
    bindings_unwrap,
    grant_info,
    personal_key_new,
    personal_key_open,
    personal_key_refresh,
)
from vault.triage import TriageReader
from vault.triage import ensure as triage_ensure
from vault.triage import private_key as triage_private_key

SESSION_KEY = "vault"
NEW_KEY_ATTR = "_vault_new_cookie_key"
FORGET_ATTR = "_vault_forget_cookie"


def _personal_ad(user_pk) -> bytes:
    return f"safe-passage|session|personal|user|{user_pk}".encode()


def _bound_ad(user_pk, credential: str) -> bytes:
    return f"safe-passage|session|bound|user|{user_pk}|{credential}".encode()


def _org_ad(version: int, user_pk) -> bytes:
    return f"safe-passage|session|org|v{version}|user|{user_pk}".encode()


def _b64(data: bytes) -> str:
    return urlsafe_b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return urlsafe_b64decode(text.encode())


def cookie_value(key: bytes) -> str:
    return urlsafe_b64encode(key).decode().rstrip("=")


def _cookie_key(request: HttpRequest) -> bytes | None:
    key = getattr(request, NEW_KEY_ATTR, None)
    if key is not None:
        return key
    raw = request.COOKIES.get(settings.VAULT_SESSION_COOKIE_NAME, "")
    try:
        key = urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError:
        return None
    return key if len(key) == crypto.KEY_LEN else None


def _vault_data(request: HttpRequest) -> dict | None:
    """The session's vault data, only if it belongs to the user signed in on this request."""
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    if session is None or user is None or not user.is_authenticated or not user.is_active:
        return None
    # django-otp marks the user; a session whose second factor did not pass opens nothing.
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and not is_verified():
        return None
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or data.get("user") != str(user.pk):
        return None
    return data


def lock(request: HttpRequest) -> None:
    """Forgets every key this session held; the response deletes the cookie."""
    session = getattr(request, "session", None)
    if session is not None and SESSION_KEY in session:
        del session[SESSION_KEY]
    setattr(request, FORGET_ATTR, True)


def unlock_begin(request: HttpRequest, *, user, password: str) -> bool:
    """Call right after the password was checked (and after django's login(), which may flush
    the session). Returns False when the password no longer opened the personal key (it was
    set outside the vault): a new personal key was made and the user's grants were dropped."""
    lock(request)
    intact = True
    bound: dict[str, bytes] = {}
    keypair = None
    try:
        keypair = personal_key_open(user=user, password=password)
        personal_key_refresh(user=user, keypair=keypair, password=password)
    except NoPersonalKey:
        keypair = personal_key_new(user=user, password=password)
    except HardwareBound:
        try:
            bound = bindings_unwrap(user=user, password=password)
        except WrongPassword:
            keypair = personal_key_new(user=user, password=password)
            intact = False
    except WrongPassword:
        keypair = personal_key_new(user=user, password=password)
        intact = False
    key = crypto.random_key()
    setattr(request, NEW_KEY_ATTR, key)
    setattr(request, FORGET_ATTR, False)
    data: dict = {"user": str(user.pk)}
    if keypair is not None:
        data["pending"] = _b64(
            crypto.aead_encrypt(key, keypair.private_bytes, ad=_personal_ad(user.pk))
        )
    else:
        # Bound to security keys: what the password opened is sealed to each key's PRF, and
        # only the key used at the second step opens its copy (`unlock_complete(prf=...)`).
        data["pending_bound"] = {
            credential: _b64(crypto.aead_encrypt(key, blob, ad=_bound_ad(user.pk, credential)))
            for credential, blob in bound.items()
        }
    request.session[SESSION_KEY] = data
    return intact


def is_hardware_bound_pending(request: HttpRequest) -> bool:
    """Whether this session's password step found the personal key bound to security keys."""
    session = getattr(request, "session", None)
    data = session.get(SESSION_KEY) if session is not None else None
    return isinstance(data, dict) and "pending_bound" in data


def _pending_personal(request: HttpRequest, data: dict, key: bytes, prf) -> crypto.KeyPair | None:
    user_pk = request.user.pk
    try:
        if "pending" in data:
            raw = crypto.aead_decrypt(key, _unb64(data["pending"]), ad=_personal_ad(user_pk))
            return crypto.keypair_from_private_bytes(raw)
        if prf is None or prf[0] not in data.get("pending_bound", {}):
            return None
        credential, output = prf
        inner = crypto.aead_decrypt(
            key, _unb64(data["pending_bound"][credential]), ad=_bound_ad(user_pk, credential)
        )
        return binding_open(user_pk=user_pk, credential=credential, inner=inner, prf_output=output)
    except (DecryptionFailed, ValueError):
        return None


def unlock_complete(
    request: HttpRequest, *, prf: tuple[str, bytes] | None = None, keep_personal: bool = False
) -> bool:
    """Call after the second factor passed. Opens the user's grants with the personal key held
    since `unlock_begin` (for a hardware-bound person: the copy of the security key used, with
    its PRF output, `prf=(credential, output)`), keeps the organisation key(s) under K and drops
    the personal key, unless `keep_personal` (a session that signed in with a security key keeps
    it, so that it can bind another key: `key_bind`). Returns True when the current organisation
    key is now open, False otherwise (no grant, vault not initialised, cookie missing, signed in
    without the bound key): the session then holds no organisation key, and no key at all
    unless it keeps the personal one."""
    data = _vault_data(request)
    key = _cookie_key(request)
    pending = {"pending", "pending_bound"}
    if data is not None and key is not None and not pending & data.keys() and "org" in data:
        return staff_keys(request).is_unlocked()  # called twice: the first call did the work
    if data is None or not pending & data.keys() or key is None:
        lock(request)
        return False
    user_pk = request.user.pk
    personal = _pending_personal(request, data, key, prf)
    if personal is None:
        lock(request)
        return False
    org: dict[str, str] = {}
    grants = OrgKeyGrant.objects.filter(user_id=user_pk, org_key__destroyed_at__isnull=True)
    for grant in grants:
        version = grant.org_key_id
        try:
            private_bytes = crypto.unseal(
                personal.private, bytes(grant.sealed), info=grant_info(version, user_pk)
            )
        except DecryptionFailed:
            continue  # sealed to an older personal key; useless, harmless
        org[str(version)] = _b64(
            crypto.aead_encrypt(key, private_bytes, ad=_org_ad(version, user_pk))
        )
    try:
        current = current_org_key().version
    except VaultNotInitialised:
        current = None
    if not org and not keep_personal:
        lock(request)
        return False
    data = {"user": str(user_pk), "org": org}
    if keep_personal:
        data["personal"] = _b64(
            crypto.aead_encrypt(key, personal.private_bytes, ad=_personal_ad(user_pk))
        )
    request.session[SESSION_KEY] = data
    return str(current) in org


def _session_personal(request: HttpRequest) -> bytes | None:
    """The personal private key this session holds (unlocked, or between the two sign-in steps
    for a person whose key is not bound yet), or None."""
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    data = session.get(SESSION_KEY) if session is not None else None
    key = _cookie_key(request)
    if not isinstance(data, dict) or user is None or data.get("user") != str(user.pk) or not key:
        return None
    blob = data.get("personal") or data.get("pending")
    if not blob:
        return None
    try:
        return crypto.aead_decrypt(key, _unb64(blob), ad=_personal_ad(user.pk))
    except (DecryptionFailed, ValueError):
        return None


def key_bind(request: HttpRequest, *, user, password: str, credential: str, prf_output: bytes):
    """Binds the personal key to a security key just enrolled or used (see vault.staff)."""
    binding_add(
        user=user,
        password=password,
        credential=credential,
        prf_output=prf_output,
        private_bytes=_session_personal(request),
    )


def key_unbind(request: HttpRequest, *, user, password: str, credential: str, keep_one: bool):
    """Unbinds a security key about to be removed; see vault.staff.binding_remove."""
    return binding_remove(
        user=user,
        credential=credential,
        password=password,
        private_bytes=_session_personal(request),
        keep_one=keep_one,
    )


@dataclass(frozen=True, repr=False)
class StaffKeys:
    """The organisation keys one staff member's unlocked session holds, still sealed under the
    session's cookie key: each is opened only when a case, a grant or a rotation needs it, and
    only while the person still holds the grant (a withdrawn grant takes effect at once).
    Never printed, never pickled; it dies with the request that made it."""

    user_pk: int | None = None
    _sealed: dict[str, str] = field(default_factory=dict)
    _cookie_key: bytes | None = None
    opened: frozenset[str] = frozenset()  # the cases opened in this session (see the module)

    def __reduce__(self):
        raise TypeError("StaffKeys are not to be pickled or cached.")

    def org_private_bytes(self, version: int) -> bytes | None:
        """The organisation private key of `version`, or None (not unlocked, grant gone)."""
        if self._cookie_key is None or str(version) not in self._sealed:
            return None
        if not OrgKeyGrant.objects.filter(user_id=self.user_pk, org_key_id=version).exists():
            return None
        try:
            return crypto.aead_decrypt(
                self._cookie_key,
                _unb64(self._sealed[str(version)]),
                ad=_org_ad(version, self.user_pk),
            )
        except (DecryptionFailed, ValueError):
            return None

    def org_keys(self) -> dict[int, bytes]:
        """Every organisation private key this session holds, by version (granting, rotating)."""
        keys = {}
        for version in self._sealed:
            raw = self.org_private_bytes(int(version))
            if raw is not None:
                keys[int(version)] = raw
        return keys

    def is_unlocked(self) -> bool:
        """Whether this session opens cases sealed to the current organisation key."""
        try:
            version = current_org_key().version
        except VaultNotInitialised:
            return False
        return self.org_private_bytes(version) is not None

    def has_opened(self, case_uid) -> bool:
        return str(case_uid) in self.opened

    def case_cipher(self, case_uid: str, *, opening: bool = False) -> CaseCipher:
        """Opens the case with the organisation key this session holds, for a case this person
        opened in this session; `opening=True` only for the opening itself, which records why.

        Raises NotOpened (no opening in this session), NoGrant (a VaultLocked: the person holds
        no grant for the key the case needs; a coordinator must grant), VaultLocked (the session
        is not unlocked or lacks that key version, e.g. after a rotation: sign in again),
        CaseKeyMissing (shredded)."""
        case_uid = str(case_uid)
        if not (opening or self.has_opened(case_uid)):
            raise NotOpened("Open this case, with a reason, first.")
        case_key = CaseKey.objects.filter(case_uid=case_uid).first()
        if case_key is None:
            raise CaseKeyMissing("This case has no key.")
        raw = self.org_private_bytes(case_key.org_key_id)
        if raw is None:
            if not OrgKeyGrant.objects.filter(
                user_id=self.user_pk, org_key_id=case_key.org_key_id
            ).exists():
                raise NoGrant("No grant for the organisation key this case needs.")
            raise VaultLocked("This session cannot open cases: sign in again.")
        return case_cipher_from_org_key(
            crypto.keypair_from_private_bytes(raw).private, case_key=case_key
        )


def staff_keys(request: HttpRequest) -> StaffKeys:
    """What this request's session holds, resolved once by the view for the services."""
    data = _vault_data(request)
    if data is None:
        return StaffKeys()
    return StaffKeys(
        user_pk=request.user.pk,
        _sealed=dict(data.get("org", {})),
        _cookie_key=_cookie_key(request),
        opened=frozenset(data.get("opened", [])),
    )


def _triage_ad(user_pk) -> bytes:
    return f"safe-passage|session|triage|user|{user_pk}".encode()


def triage_reader(request: HttpRequest) -> TriageReader | None:
    """What opens the queue's triage summaries for this session, or None. The triage key is
    opened from the organisation key once and then kept like it, sealed under the session's
    cookie key; it is used only while the person still holds a live grant."""
    data = _vault_data(request)
    key = _cookie_key(request)
    if data is None or key is None or not data.get("org"):
        return None
    user_pk = request.user.pk
    if not OrgKeyGrant.objects.filter(user_id=user_pk, org_key__destroyed_at=None).exists():
        return None
    sealed = data.get("triage")
    if sealed:
        try:
            raw = crypto.aead_decrypt(key, _unb64(sealed), ad=_triage_ad(user_pk))
            return TriageReader(crypto.keypair_from_private_bytes(raw))
        except (DecryptionFailed, ValueError):
            pass
    reader_keys = staff_keys(request).org_keys()
    private = triage_private_key(reader_keys) if reader_keys else None
    if private is None and reader_keys and triage_ensure(reader_keys):
        private = triage_private_key(reader_keys)
    if private is None:
        return None
    request.session[SESSION_KEY] = {
        **data,
        "triage": _b64(crypto.aead_encrypt(key, private.private_bytes, ad=_triage_ad(user_pk))),
    }
    return TriageReader(private)


def opening_remember(request: HttpRequest, case_uid) -> None:
    """After the opening was recorded (evacuation.services.opening): the case stays open for
    this person until they close it or the session ends. Does nothing in a locked session."""
    data = _vault_data(request)
    if data is None:
        return
    opened = [uid for uid in data.get("opened", []) if uid != str(case_uid)]
    request.session[SESSION_KEY] = {**data, "opened": [*opened, str(case_uid)]}


def opening_forget(request: HttpRequest, case_uid) -> bool:
    """Closes the case for this session; True if it was open."""
    data = _vault_data(request)
    if data is None or str(case_uid) not in data.get("opened", []):
        return False
    opened = [uid for uid in data["opened"] if uid != str(case_uid)]
    request.session[SESSION_KEY] = {**data, "opened": opened}
    return True


def has_vault_data(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    return session is not None and SESSION_KEY in session
