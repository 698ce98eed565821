"""Four eyes on staff accounts, and the one-time enrolment links.

One administrator asks (create an account, give a role that can open cases, propose or approve
funding, or administer accounts, reset someone's password and second factor); a second admin
confirms or cancels. Nobody asks for a change to their own account, and neither the asker nor
the person changed confirms it. A confirmed creation or reset produces an enrolment link, shown
once: with it the person sets their own password and enrols their own authenticator, so no
administrator ever sets or sees them. Each step is an audit event in the same transaction.

With a single administrator the `createstaff` command on the server remains the way to add
people (accounts.services.staff_create).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.cooling_off import cooling_off_until
from accounts.models import AccountChange, EnrolmentLink, Role, User
from accounts.services import key_revoke
from audit.actions import Action
from audit.services import record
from vault import staff as vault_staff

__all__ = ["cooling_off_until"]  # and the functions below

Kind = AccountChange.Kind
Status = AccountChange.Status
LINK_VALID_HOURS = 24
# Roles that may open cases, propose or approve funding, or administer accounts: giving one
# waits for a second administrator. Moving someone to the auditor role takes effect at once.
CONFIRMED_ROLES = frozenset({Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN})


def needs_second_admin(*, old_role: str, new_role: str) -> bool:
    return old_role != new_role and new_role in CONFIRMED_ROLES


def pending_exists(*, kind: str, user: User | None = None, username: str = "") -> bool:
    """Whether a change of `kind` to this account (or, for a creation, this username) waits."""
    waiting = AccountChange.objects.filter(kind=kind, status=Status.PENDING)
    if user is not None:
        return waiting.filter(user=user).exists()
    return waiting.filter(username__iexact=username).exists()


def _refuse_own_account(actor: User, user: User) -> None:
    _admin_only(actor)
    if actor.pk == user.pk:
        raise PermissionDenied(_("Nobody changes their own role or resets their own sign-in."))


def _admin_only(actor: User) -> None:
    if not actor.may("admin_site"):
        raise PermissionDenied


def _requested(change: AccountChange) -> AccountChange:
    record(
        action=Action.ACCOUNT_CHANGE_REQUESTED,
        actor=change.requested_by,
        target_type="user" if change.user_id else "",
        target_ref=str(change.user_id or ""),
        data={"change": change.pk, "kind": change.kind, "role": change.role},
    )
    return change


def request_create(*, actor: User, username: str, role: str) -> AccountChange:
    """A new staff account, made only when a second administrator confirms."""
    _admin_only(actor)
    if role not in Role.values:
        raise ValidationError(_("Choose a role."))
    taken = User.objects.filter(username__iexact=username).exists()
    if taken or pending_exists(kind=Kind.CREATE, username=username):
        raise ValidationError(_("A staff account with this username exists or is waiting."))
    with transaction.atomic():
        change = AccountChange.objects.create(
            kind=Kind.CREATE,
            username=username,
            role=role,
            requested_by=actor,
            requested_at=timezone.now(),
        )
        return _requested(change)


def request_role(*, actor: User, user: User, role: str) -> AccountChange:
    _refuse_own_account(actor, user)
    if role not in Role.values or role == user.role:
        raise ValidationError(_("Choose a different role."))
    if pending_exists(kind=Kind.ROLE, user=user):
        raise ValidationError(_("A change of this kind to this account is already waiting."))
    with transaction.atomic():
        change = AccountChange.objects.create(
            kind=Kind.ROLE,
            user=user,
            role=role,
            old_role=user.role,
            requested_by=actor,
            requested_at=timezone.now(),
        )
        return _requested(change)


def request_reset(*, actor: User, user: User) -> AccountChange:
    """Password and second factor reset: the person sets new ones with an enrolment link."""
    _refuse_own_account(actor, user)
    if pending_exists(kind=Kind.RESET, user=user):
        raise ValidationError(_("A change of this kind to this account is already waiting."))
    with transaction.atomic():
        change = AccountChange.objects.create(
            kind=Kind.RESET, user=user, requested_by=actor, requested_at=timezone.now()
        )
        return _requested(change)


def role_applied(*, actor: User, user: User, old_role: str) -> None:
    """A role change that needs no second admin (to a role that opens no case), already saved
    by the admin: kept for the person's notice and the cooling-off period."""
    _refuse_own_account(actor, user)
    now = timezone.now()
    with transaction.atomic():
        AccountChange.objects.create(
            kind=Kind.ROLE,
            status=Status.APPLIED,
            user=user,
            role=user.role,
            old_role=old_role,
            requested_by=actor,
            requested_at=now,
            decided_by=actor,
            decided_at=now,
        )
        User.objects.filter(pk=user.pk).update(admin_changed_at=now)


def enabled_again(*, actor: User, user: User) -> None:
    """An account an administrator enabled again (offboarded or disabled before), already saved
    by the admin: it starts its cooling-off period, as a created, re-roled or reset one does,
    so a returning person cannot approve funding at once. (Its key grants went when it was
    disabled: a coordinator grants the key again.)"""
    _admin_only(actor)
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(admin_changed_at=now)
    user.admin_changed_at = now


def _locked_pending(change_pk: int) -> AccountChange:
    change = AccountChange.objects.select_for_update().filter(pk=change_pk).first()
    if change is None or change.status != Status.PENDING:
        raise ValidationError(_("This change is no longer waiting: it was decided already."))
    return change


def _apply(*, change: AccountChange, actor: User | str, now) -> None:
    """Makes the change (inside the caller's transaction), with its audit events. An account
    created, re-roled or reset here starts its cooling-off period (User.admin_changed_at)."""
    if change.kind == Kind.CREATE:
        if User.objects.filter(username__iexact=change.username).exists():
            raise ValidationError(_("A staff account with this username exists already."))
        user = User(username=change.username, role=change.role, admin_changed_at=now)
        user.set_unusable_password()
        user.save()
        change.user = user
        record(
            action=Action.STAFF_CREATED,
            actor=actor,
            target_type="user",
            target_ref=str(user.pk),
            data={"role": user.role, "via": "command" if isinstance(actor, str) else "admin"},
        )
    elif change.kind == Kind.ROLE:
        user = User.objects.select_for_update().get(pk=change.user_id)
        change.old_role = user.role
        user.role = change.role
        user.admin_changed_at = now
        user.save(update_fields=["role", "admin_changed_at", "is_staff", "is_superuser"])
        record(
            action=Action.STAFF_ROLE_CHANGED,
            actor=actor,
            target_type="user",
            target_ref=str(user.pk),
            data={"old_role": change.old_role, "new_role": user.role},
        )
        if not user.may("open_case"):
            key_revoke(user=user, actor=actor, reason="role_changed")
    else:
        user = User.objects.select_for_update().get(pk=change.user_id)
        user.set_unusable_password()  # the old password stops working, and its sessions
        user.admin_changed_at = now
        user.save(update_fields=["password", "admin_changed_at"])
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        WebAuthnCredential.objects.filter(user=user).delete()
        ref = str(user.pk)
        record(action=Action.PASSWORD_RESET, actor=actor, target_type="user", target_ref=ref)
        record(action=Action.STAFF_2FA_RESET, actor=actor, target_type="user", target_ref=ref)
        # The old password no longer opens the personal key: its grants go now.
        key_revoke(user=user, actor=actor, reason="password_reset")


def confirm(*, change_pk: int, actor: User) -> tuple[AccountChange, str | None]:
    """Applies a pending change as a second administrator. Returns the change and, for a
    creation or a reset, the enrolment link's token (shown once, never stored)."""
    _admin_only(actor)
    with transaction.atomic():
        change = _locked_pending(change_pk)
        if change.requested_by_id == actor.pk:
            raise PermissionDenied(
                _("A second administrator must confirm the change you asked for.")
            )
        if change.user_id == actor.pk:
            raise PermissionDenied(_("Nobody confirms a change to their own account."))
        now = timezone.now()
        _apply(change=change, actor=actor, now=now)
        change.status = Status.CONFIRMED
        change.decided_by = actor
        change.decided_at = now
        change.save()
        record(
            action=Action.ACCOUNT_CHANGE_CONFIRMED,
            actor=actor,
            target_type="user",
            target_ref=str(change.user_id),
            data={"change": change.pk, "kind": change.kind, "role": change.role},
        )
        token = None
        if change.kind in (Kind.CREATE, Kind.RESET):
            token = _link_issue(change=change, actor=actor)
    return change, token


def apply_from_command(*, user: User, kind: str, role: str = "") -> str | None:
    """The server's command line (resetstaff, setrole): with a single administrator there is
    no second one to confirm, so whoever runs the command on the server decides; the change is
    recorded as applied by the system. Returns an enrolment link's token for a reset."""
    if kind not in (Kind.ROLE, Kind.RESET):
        raise ValueError(f"Unknown change {kind!r}.")
    if kind == Kind.ROLE and (role not in Role.values or role == user.role):
        raise ValidationError(_("Choose a different role."))
    with transaction.atomic():
        now = timezone.now()
        change = AccountChange.objects.create(
            kind=kind,
            status=Status.APPLIED,
            user=user,
            role=role,
            old_role=user.role,
            requested_at=now,
            decided_at=now,
        )
        _apply(change=change, actor="system", now=now)
        change.save()
        if kind == Kind.RESET:
            return _link_issue(change=change, actor="system")
    return None


def cancel(*, change_pk: int, actor: User) -> AccountChange:
    """Any administrator, the asker included, may cancel a pending change."""
    _admin_only(actor)
    with transaction.atomic():
        change = _locked_pending(change_pk)
        change.status = Status.CANCELLED
        change.decided_by = actor
        change.decided_at = timezone.now()
        change.save(update_fields=["status", "decided_by", "decided_at"])
        record(
            action=Action.ACCOUNT_CHANGE_CANCELLED,
            actor=actor,
            target_type="user" if change.user_id else "",
            target_ref=str(change.user_id or ""),
            data={"change": change.pk, "kind": change.kind},
        )
    return change


# --- enrolment links -------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _link_issue(*, change: AccountChange, actor: User) -> str:
    """A fresh link for the changed person; any earlier unused link of theirs stops working."""
    now = timezone.now()
    EnrolmentLink.objects.filter(user_id=change.user_id, used_at__isnull=True).delete()
    token = secrets.token_urlsafe(32)
    EnrolmentLink.objects.create(
        user_id=change.user_id,
        change=change,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + timedelta(hours=LINK_VALID_HOURS),
    )
    record(
        action=Action.ENROLMENT_LINK_ISSUED,
        actor=actor,
        target_type="user",
        target_ref=str(change.user_id),
        data={"change": change.pk, "kind": change.kind},
    )
    return token


def link_find(token: str) -> EnrolmentLink | None:
    """The link for `token` if it can still be used: unused, unexpired, its account active."""
    if not token or len(token) > 100:
        return None
    link = (
        EnrolmentLink.objects.select_related("user")
        .filter(token_hash=token_hash(token), used_at__isnull=True)
        .first()
    )
    if link is None or link.expires_at <= timezone.now() or not link.user.is_active:
        return None
    return link


def link_use(*, token: str, password: str) -> User:
    """The person sets their own password with the link (once); their second factor is enrolled
    next, at the existing enrolment step. A new personal key is made for the new password: any
    key grant sealed to the old one is dropped (a coordinator grants again). Raises
    ValidationError for a weak password or a link that no longer works."""
    link = link_find(token)
    if link is None:
        raise ValidationError(_("This enrolment link does not work any more."))
    user = link.user
    validate_password(password, user=user)
    with transaction.atomic():
        locked = EnrolmentLink.objects.select_for_update().filter(pk=link.pk, used_at__isnull=True)
        if not locked.exists():
            raise ValidationError(_("This enrolment link does not work any more."))
        locked.update(used_at=timezone.now())
        user.set_password(password)
        user.save(update_fields=["password"])
        # Whoever held a factor before the link must enrol again: the person enrols their own.
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        WebAuthnCredential.objects.filter(user=user).delete()
        dropped = vault_staff.personal_key_create(user=user, password=password)
        record(
            action=Action.ENROLMENT_LINK_USED,
            actor=user,
            target_type="user",
            target_ref=str(user.pk),
            data={"change": link.change_id},
        )
        if dropped:
            record(
                action=Action.KEY_REVOKED,
                actor=user,
                target_type="user",
                target_ref=str(user.pk),
                data={"reason": "password_reset"},
            )
    return user


# --- telling the person -----------------------------------------------------------------------


def notices_take(*, user: User) -> list[AccountChange]:
    """The administrators' changes to this account the person has not been told of yet
    (oldest first), marked as told."""
    with transaction.atomic():
        changes = list(
            AccountChange.objects.select_for_update()
            .filter(
                user=user,
                status__in=(Status.CONFIRMED, Status.APPLIED),
                notified_at__isnull=True,
            )
            .order_by("decided_at", "pk")
        )
        if changes:
            AccountChange.objects.filter(pk__in=[c.pk for c in changes]).update(
                notified_at=timezone.now()
            )
    return changes
