"""Staff personal keys: an HPKE key pair whose private half is wrapped under Argon2id(password).

Grants of the organisation key are sealed to the personal public key, so granting needs
nobody's password, and only the staff member's password (at sign-in) opens them.

Bound to hardware: for each security key that offers the WebAuthn PRF extension, the private
half is sealed to a key pair derived from that key's PRF output, and the sealed copy is wrapped
under Argon2id(password) (a `StaffKeyBinding`). Once one key is bound the password-only copy
is deleted, so a database dump plus the password opens nothing. A password change re-wraps the
outer layer of every binding and needs none of the keys; adding a key needs the private half,
which the session that signed in with a key holds (vault.session).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from vault import crypto
from vault.errors import HardwareBound, LastBinding, NoPersonalKey, WrongPassword
from vault.models import OrgKeyGrant, StaffKey, StaffKeyBinding


def grant_info(version: int, user_pk) -> bytes:
    """What a grant of organisation key `version` to one person is bound to (HPKE info)."""
    return f"safe-passage|org-grant|v{version}|user|{user_pk}".encode()


def _wrap_ad(user_pk) -> bytes:
    return b"safe-passage|staff-key|" + str(user_pk).encode()


def _binding_info(user_pk, credential: str) -> bytes:
    return f"safe-passage|staff-binding|user|{user_pk}|credential|{credential}".encode()


def _binding_ad(user_pk, credential: str) -> bytes:
    return b"safe-passage|staff-binding-wrap|" + _binding_info(user_pk, credential)


def _password_kek(staff_key: StaffKey, password: str) -> bytes:
    params = crypto.Argon2Params(
        staff_key.argon2_memory_kib, staff_key.argon2_iterations, staff_key.argon2_lanes
    )
    return crypto.argon2_key(password.encode("utf-8"), salt=bytes(staff_key.salt), params=params)


def _wrap(user_pk, private_bytes: bytes, password: str) -> dict:
    params = crypto.Argon2Params.from_settings()
    salt = crypto.random_salt()
    kek = crypto.argon2_key(password.encode("utf-8"), salt=salt, params=params)
    return {
        "wrapped_private": crypto.aead_encrypt(kek, private_bytes, ad=_wrap_ad(user_pk)),
        "salt": salt,
        "argon2_memory_kib": params.memory_kib,
        "argon2_iterations": params.iterations,
        "argon2_lanes": params.lanes,
        "updated_at": timezone.now(),
    }


def personal_key_new(*, user, password: str) -> crypto.KeyPair:
    """A new key pair for the user, replacing any old one; grants sealed to the old one go."""
    keypair = crypto.keypair_generate()
    fields = _wrap(user.pk, keypair.private_bytes, password)
    with transaction.atomic():
        OrgKeyGrant.objects.filter(user=user).delete()
        StaffKeyBinding.objects.filter(user=user).delete()
        StaffKey.objects.update_or_create(
            user=user,
            defaults={**fields, "public_key": keypair.public_bytes, "created_at": timezone.now()},
        )
    return keypair


def personal_key_create(*, user, password: str) -> int:
    """A new personal key for the user, replacing any old one. Grants sealed to the old key can
    no longer be opened, so they are deleted; returns how many (a coordinator must grant again)."""
    with transaction.atomic():
        dropped = OrgKeyGrant.objects.filter(user=user).count()
        personal_key_new(user=user, password=password)
    return dropped


def personal_key_open(*, user, password: str) -> crypto.KeyPair:
    """Raises NoPersonalKey, HardwareBound (only a bound security key opens it, with the
    password: `bindings_unwrap`), or WrongPassword when the password does not unwrap it."""
    staff_key = StaffKey.objects.filter(user=user).first()
    if staff_key is None:
        raise NoPersonalKey("No personal key.")
    if not staff_key.wrapped_private:
        raise HardwareBound("The personal key is bound to security keys.")
    kek = _password_kek(staff_key, password)
    try:
        raw = crypto.aead_decrypt(kek, staff_key.wrapped_private, ad=_wrap_ad(user.pk))
    except crypto.DecryptionFailed as exc:
        raise WrongPassword("The password does not open the personal key.") from exc
    return crypto.keypair_from_private_bytes(raw)


def personal_key_rewrap(*, user, old_password: str, new_password: str) -> bool:
    """Password change: same key pair (grants stay valid), wrapped under the new password.
    Returns True. The caller has checked `old_password`; if it still does not open the key (the
    password was set outside the vault), the key is beyond reach: a new one is made, grants are
    dropped and this returns False (record KEY_REVOKED; a coordinator grants again)."""
    try:
        keypair = personal_key_open(user=user, password=old_password)
    except NoPersonalKey:
        personal_key_create(user=user, password=new_password)
        return True
    except HardwareBound:
        return _bindings_rewrap(user=user, old_password=old_password, new_password=new_password)
    except WrongPassword:
        personal_key_create(user=user, password=new_password)
        return False
    fields = _wrap(user.pk, keypair.private_bytes, new_password)
    StaffKey.objects.filter(user=user).update(**fields)
    return True


def personal_key_refresh(*, user, keypair: crypto.KeyPair, password: str) -> bool:
    """Re-wraps under the current Argon2 settings if the stored key used older ones (called at
    sign-in, when the password is at hand). Returns whether it re-wrapped."""
    params = crypto.Argon2Params.from_settings()
    stale = (
        StaffKey.objects.filter(user=user)
        .exclude(wrapped_private=b"")
        .exclude(
            argon2_memory_kib=params.memory_kib,
            argon2_iterations=params.iterations,
            argon2_lanes=params.lanes,
        )
        .exists()
    )
    if stale:
        StaffKey.objects.filter(user=user).update(**_wrap(user.pk, keypair.private_bytes, password))
    return stale


def has_personal_key(user) -> bool:
    return StaffKey.objects.filter(user=user).exists()


def prf_salt(user) -> bytes:
    """What this person's security keys evaluate their PRF on (made once; not secret)."""
    staff_key = StaffKey.objects.filter(user=user).first()
    if staff_key is None:
        raise NoPersonalKey("No personal key.")
    if not staff_key.prf_salt:
        salt = crypto.random_key()
        StaffKey.objects.filter(pk=staff_key.pk, prf_salt=b"").update(prf_salt=salt)
        staff_key.refresh_from_db(fields=["prf_salt"])
    return bytes(staff_key.prf_salt)


def bound_credentials(user) -> set[str]:
    return set(StaffKeyBinding.objects.filter(user=user).values_list("credential", flat=True))


def _binding_keypair(user_pk, credential: str, prf_output: bytes) -> crypto.KeyPair:
    if len(prf_output) < crypto.KEY_LEN:
        raise ValueError("A PRF output is 32 bytes.")
    return crypto.keypair_derive(prf_output, info=_binding_info(user_pk, credential))


def _check_password(staff_key: StaffKey, kek: bytes) -> None:
    """WrongPassword unless `kek` opens this person's password-only copy or one binding."""
    if staff_key.wrapped_private:
        blobs = [(bytes(staff_key.wrapped_private), _wrap_ad(staff_key.user_id))]
    else:
        blobs = [
            (bytes(b.wrapped), _binding_ad(staff_key.user_id, b.credential))
            for b in StaffKeyBinding.objects.filter(user_id=staff_key.user_id)[:1]
        ]
    for blob, ad in blobs:
        try:
            crypto.aead_decrypt(kek, blob, ad=ad)
        except crypto.DecryptionFailed as exc:
            raise WrongPassword("The password does not open the personal key.") from exc


def binding_add(
    *, user, password: str, credential: str, prf_output: bytes, private_bytes: bytes | None
) -> None:
    """Binds the personal key to one more security key. `private_bytes` is the personal private
    key the session holds; without it the password-only copy must still exist (first key).
    Deletes the password-only copy. Raises WrongPassword, HardwareBound (no private key at hand
    and already bound), NoPersonalKey, ValueError (a private key that is not this person's)."""
    with transaction.atomic():
        staff_key = StaffKey.objects.select_for_update().filter(user=user).first()
        if staff_key is None:
            raise NoPersonalKey("No personal key.")
        kek = _password_kek(staff_key, password)
        _check_password(staff_key, kek)
        if private_bytes is None:
            private_bytes = personal_key_open(user=user, password=password).private_bytes
        if crypto.keypair_from_private_bytes(private_bytes).public_bytes != bytes(
            staff_key.public_key
        ):
            raise ValueError("That private key is not this person's.")
        pair = _binding_keypair(user.pk, credential, prf_output)
        inner = crypto.seal(
            pair.public_bytes, private_bytes, info=_binding_info(user.pk, credential)
        )
        StaffKeyBinding.objects.update_or_create(
            credential=credential,
            defaults={
                "user": user,
                "public_key": pair.public_bytes,
                "wrapped": crypto.aead_encrypt(kek, inner, ad=_binding_ad(user.pk, credential)),
            },
        )
        StaffKey.objects.filter(pk=staff_key.pk).update(
            wrapped_private=b"", updated_at=timezone.now()
        )


def bindings_unwrap(*, user, password: str) -> dict[str, bytes]:
    """The password's layer taken off every binding: credential -> the copy sealed to that key,
    which only the key's PRF output opens (`binding_open`). Raises NoPersonalKey, WrongPassword."""
    staff_key = StaffKey.objects.filter(user=user).first()
    if staff_key is None:
        raise NoPersonalKey("No personal key.")
    kek = _password_kek(staff_key, password)
    inner: dict[str, bytes] = {}
    for binding in StaffKeyBinding.objects.filter(user=user):
        try:
            inner[binding.credential] = crypto.aead_decrypt(
                kek, bytes(binding.wrapped), ad=_binding_ad(user.pk, binding.credential)
            )
        except crypto.DecryptionFailed as exc:
            raise WrongPassword("The password does not open the personal key.") from exc
    return inner


def binding_open(*, user_pk, credential: str, inner: bytes, prf_output: bytes) -> crypto.KeyPair:
    """The personal key from one binding's inner copy and its key's PRF output. Raises
    DecryptionFailed when the output is not that key's (or not for this person)."""
    pair = _binding_keypair(user_pk, credential, prf_output)
    raw = crypto.unseal(pair.private, inner, info=_binding_info(user_pk, credential))
    return crypto.keypair_from_private_bytes(raw)


def _bindings_rewrap(*, user, old_password: str, new_password: str) -> bool:
    """A password change for a bound person: the outer layer of every binding, under a new salt
    and the current Argon2 settings; the security keys are not needed."""
    with transaction.atomic():
        staff_key = StaffKey.objects.select_for_update().get(user=user)
        inner = bindings_unwrap(user=user, password=old_password)
        params = crypto.Argon2Params.from_settings()
        salt = crypto.random_salt()
        kek = crypto.argon2_key(new_password.encode("utf-8"), salt=salt, params=params)
        for credential, blob in inner.items():
            StaffKeyBinding.objects.filter(user=user, credential=credential).update(
                wrapped=crypto.aead_encrypt(kek, blob, ad=_binding_ad(user.pk, credential))
            )
        StaffKey.objects.filter(pk=staff_key.pk).update(
            salt=salt,
            argon2_memory_kib=params.memory_kib,
            argon2_iterations=params.iterations,
            argon2_lanes=params.lanes,
            updated_at=timezone.now(),
        )
    return True


def binding_remove(
    *, user, credential: str, password: str, private_bytes: bytes | None, keep_one: bool
) -> bool:
    """Unbinds one security key (its credential is deleted by the caller). The last binding
    goes only when `keep_one` is false (the role need not use a key) and the session holds the
    private key: the password-only copy comes back. Returns whether a binding was removed.
    Raises LastBinding, WrongPassword."""
    with transaction.atomic():
        staff_key = StaffKey.objects.select_for_update().filter(user=user).first()
        bindings = StaffKeyBinding.objects.filter(user=user)
        if staff_key is None or not bindings.filter(credential=credential).exists():
            return False
        if bindings.count() > 1:
            bindings.filter(credential=credential).delete()
            return True
        if keep_one or private_bytes is None:
            raise LastBinding("The last bound security key cannot be removed now.")
        kek = _password_kek(staff_key, password)
        _check_password(staff_key, kek)
        bindings.delete()
        StaffKey.objects.filter(pk=staff_key.pk).update(**_wrap(user.pk, private_bytes, password))
    return True
