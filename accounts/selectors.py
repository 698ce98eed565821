"""Reads for the staff pages."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet, Value

from accounts.models import AccountChange, User
from accounts.roles import CASE_STAFF
from vault.cases import current_org_key
from vault.errors import VaultNotInitialised
from vault.models import OrgKeyGrant, StaffKey, StaffKeyBinding


def current_key_version() -> int | None:
    """The organisation key version new grants are for; None before `init_vault`."""
    try:
        return current_org_key().version
    except VaultNotInitialised:
        return None


def case_staff_with_access(*, version: int | None) -> QuerySet[User]:
    """Active caseworkers and coordinators, each annotated with `has_access` (holds a grant of
    key `version`) and `has_personal_key` (signed in or was created with a password)."""
    grants = (
        Exists(OrgKeyGrant.objects.filter(user=OuterRef("pk"), org_key_id=version))
        if version is not None
        else Value(False)
    )
    return (
        User.objects.filter(is_active=True, role__in=CASE_STAFF)
        .annotate(
            has_access=grants,
            has_personal_key=Exists(StaffKey.objects.filter(user=OuterRef("pk"))),
            hardware_bound=Exists(StaffKeyBinding.objects.filter(user=OuterRef("pk"))),
        )
        .order_by("role", "username")
    )


def holds_key(*, user: User, version: int | None) -> bool:
    return (
        version is not None and OrgKeyGrant.objects.filter(user=user, org_key_id=version).exists()
    )


def account_changes_pending() -> QuerySet[AccountChange]:
    return AccountChange.objects.filter(status=AccountChange.Status.PENDING).select_related(
        "user", "requested_by"
    )


def account_changes_recent(limit: int = 20) -> list[AccountChange]:
    """The last decided changes, newest first (what was confirmed, cancelled or applied)."""
    return list(
        AccountChange.objects.exclude(status=AccountChange.Status.PENDING)
        .select_related("user", "requested_by", "decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )


def account_changes_waiting_for(*, user: User) -> int:
    """How many pending account changes this administrator may confirm (not asked by them,
    not about their own account)."""
    return account_changes_pending().exclude(requested_by=user).exclude(user=user).count()
