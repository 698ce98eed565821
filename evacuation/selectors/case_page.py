"""Reads for one case's staff page: codes and dates only (the payload stays unread), in a fixed
number of queries: one row, its funding proposals, the staff it may be handed to."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import CASE_STAFF
from evacuation.choices import DeclineReason, Region, RiskLevel, Support, VerifiedBy, label
from evacuation.models import Case, FundingProposal

if TYPE_CHECKING:
    from accounts.models import User


def case_for_page(*, reference: str) -> Case:
    """The whole row (codes and dates, the payload stays unread) with the staff it names."""
    return get_object_or_404(
        Case.objects.select_related("assignee", "assessed_by", "held_by").defer("payload"),
        reference=reference,
    )


def case_for_opening(*, reference: str) -> Case:
    return get_object_or_404(
        Case.objects.select_related("assignee", "assessed_by"), reference=reference
    )


def case_for_action(*, reference: str) -> Case:
    return get_object_or_404(Case.objects.defer("payload"), reference=reference)


def case_fact_rows(case: Case) -> list[tuple[str, str]]:
    """What staff chose for the case, codes turned into words (nothing the applicant wrote)."""
    rows: list[tuple[str, str]] = []
    if case.risk_level:
        rows.append((_("Risk level"), str(RiskLevel(case.risk_level).label)))
    if case.verified_by:
        rows.append((_("Verified through"), label(VerifiedBy, case.verified_by)))
    if case.support:
        rows.append(
            (_("Support recommended"), "; ".join(label(Support, code) for code in case.support))
        )
    if case.assessed_at:
        who = case.assessed_by.username if case.assessed_by else ""
        rows.append((_("Assessed"), f"{_when(case.assessed_at)} · {who}"))
    if case.decline_reason:
        rows.append((_("Reason for declining"), label(DeclineReason, case.decline_reason)))
    if case.relocated_on:
        rows.append((_("Relocated on"), case.relocated_on.isoformat()))
    if case.relocation_region:
        rows.append((_("Region"), label(Region, case.relocation_region)))
    return rows


def case_proposals(*, case: Case) -> list[FundingProposal]:
    return list(
        case.funding_proposals.select_related("proposed_by", "decided_by").order_by(
            "-proposed_at", "-pk"
        )
    )


def assignable_staff() -> QuerySet[User]:
    """Active caseworkers and coordinators: the people a case may be handed to."""
    return (
        get_user_model()
        .objects.filter(is_active=True, role__in=CASE_STAFF)
        .only("pk", "username", "role")
        .order_by("username")
    )


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M UTC")
