"""Writes to staff accounts: each in one transaction, each with its audit event."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import Role, User
from audit.actions import Action
from audit.services import record
from vault import org as vault_org
from vault import staff as vault_staff
from vault.session import StaffKeys

BACKUP_CODE_COUNT = 10


def staff_create(*, username: str, role: str, password: str, actor: User | str) -> User:
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}.")
    candidate = User(username=username, role=role)
    validate_password(password, user=candidate)
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password, role=role)
        vault_staff.personal_key_create(user=user, password=password)
        record(
            action=Action.STAFF_CREATED,
            actor=actor,
            target_type="user",
            target_ref=str(user.pk),
            data={"role": role, "via": "command" if isinstance(actor, str) else "admin"},
        )
    return user


def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator, waiting for its first code."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def totp_device_confirm(*, user: User, device: TOTPDevice, replacing: bool) -> None:
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record(
            action=Action.TOTP_REPLACED if replacing else Action.TOTP_ENROLLED,
            actor=user,
            target_type="user",
            target_ref=str(user.pk),
        )


def backup_codes_generate(*, user: User) -> list[str]:
    """Ten fresh single-use codes; any older ones stop working."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, name="backup")
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
        record(
            action=Action.BACKUP_CODES_GENERATED,
            actor=user,
            target_type="user",
            target_ref=str(user.pk),
            data={"count": len(codes)},
        )
    return codes


def password_change(*, user: User, old_password: str, new_password: str) -> None:
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        vault_staff.personal_key_rewrap(
            user=user, old_password=old_password, new_password=new_password
        )
        record(
            action=Action.PASSWORD_CHANGED, actor=user, target_type="user", target_ref=str(user.pk)
        )


def password_reset_by_admin(*, user: User, new_password: str, actor: User) -> None:
    """A reset cannot unwrap the old personal key: a new one is made and key grants lapse."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        dropped = vault_staff.personal_key_create(user=user, password=new_password)
        record(
            action=Action.PASSWORD_RESET, actor=actor, target_type="user", target_ref=str(user.pk)
        )
        if dropped:
            _key_revoked(user=user, actor=actor, reason="password_reset")


def second_factor_reset(*, user: User, actor: User) -> None:
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        WebAuthnCredential.objects.filter(user=user).delete()
        record(
            action=Action.STAFF_2FA_RESET, actor=actor, target_type="user", target_ref=str(user.pk)
        )


def staff_update(*, user: User, actor: User, old_role: str, was_active: bool) -> None:
    """Records what an administrator changed on an account (called inside the admin's save).
    Someone disabled, or moved to a role that opens no cases, loses their key grants here."""
    ref = str(user.pk)
    with transaction.atomic():
        if old_role != user.role:
            record(
                action=Action.STAFF_ROLE_CHANGED,
                actor=actor,
                target_type="user",
                target_ref=ref,
                data={"old_role": old_role, "new_role": user.role},
            )
        if was_active != user.is_active:
            action = Action.STAFF_ENABLED if user.is_active else Action.STAFF_DISABLED
            record(action=action, actor=actor, target_type="user", target_ref=ref)
        if not user.is_active:
            key_revoke(user=user, actor=actor, reason="disabled")
        elif not user.may("open_case"):
            key_revoke(user=user, actor=actor, reason="role_changed")


def key_grant(*, actor: User, keys: StaffKeys, grantee: User) -> int:
    """Seals the organisation key held by the acting coordinator's unlocked session (`keys`)
    to `grantee`; it opens for them from their next sign-in. Returns the key version.
    Raises PermissionDenied, ValueError (grantee may not open cases), and from the vault
    VaultLocked, NoPersonalKey or VaultNotInitialised."""
    if not actor.may("grant_key"):
        raise PermissionDenied
    if not (grantee.is_active and grantee.may("open_case")):
        raise ValueError("Only active case staff can be granted the organisation key.")
    with transaction.atomic():
        version = vault_org.grant_from_session(keys=keys, grantee=grantee)
        vault_org.grant_recorded(grantee, version=version, via="session", actor=actor)
    return version


def key_revoke(*, user: User, actor: User | str, reason: str) -> int:
    """Deletes every grant the user holds (their open session loses access at once).
    Records one event if there was anything to delete; returns how many grants went."""
    with transaction.atomic():
        deleted = vault_org.grant_revoke(grantee=user)
        if deleted:
            _key_revoked(user=user, actor=actor, reason=reason)
    return deleted


def _key_revoked(*, user: User, actor: User | str, reason: str) -> None:
    record(
        action=Action.KEY_REVOKED,
        actor=actor,
        target_type="user",
        target_ref=str(user.pk),
        data={"reason": reason},
    )
