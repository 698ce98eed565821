"""Staff personal keys: an HPKE key pair whose private half is wrapped under Argon2id(password).

Grants of the organisation key are sealed to the personal public key, so granting needs
nobody's password, and only the staff member's password (at sign-in) opens them.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from vault import crypto
from vault.errors import NoPersonalKey, WrongPassword
from vault.models import OrgKeyGrant, StaffKey


def grant_info(version: int, user_pk) -> bytes:
    """What a grant of organisation key `version` to one person is bound to (HPKE info)."""
    return f"safe-passage|org-grant|v{version}|user|{user_pk}".encode()


def _wrap_ad(user_pk) -> bytes:
    return b"safe-passage|staff-key|" + str(user_pk).encode()


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
    """Raises NoPersonalKey, or WrongPassword when the password does not unwrap it."""
    staff_key = StaffKey.objects.filter(user=user).first()
    if staff_key is None:
        raise NoPersonalKey("No personal key.")
    params = crypto.Argon2Params(
        staff_key.argon2_memory_kib, staff_key.argon2_iterations, staff_key.argon2_lanes
    )
    kek = crypto.argon2_key(password.encode("utf-8"), salt=bytes(staff_key.salt), params=params)
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
