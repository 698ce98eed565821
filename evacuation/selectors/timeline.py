"""A case's history, read from the audit log: who did what and when, never what was said."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from accounts.models import Role
from audit.actions import Action
from audit.models import ActorKind, AuditEvent
from evacuation.choices import (
    DeclineReason,
    FundingCancelReason,
    FundingPurpose,
    OpenReason,
    Region,
    RiskLevel,
    Support,
    Urgency,
    VerifiedBy,
    label,
)
from evacuation.models import Case, Direction

TIMELINE_LIMIT = 200
# The applicant checking their status is not casework: the facts show the last time they did.
TIMELINE_QUIET = (Action.CASE_STATUS_VIEWED,)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    who: str
    role: str
    what: str
    details: str


def case_timeline(*, case: Case) -> tuple[list[TimelineEntry], bool]:
    """The case's history from the audit log, oldest first: the latest TIMELINE_LIMIT events and
    whether older ones were left out."""
    events = list(
        AuditEvent.objects.filter(target_type="case", target_ref=case.reference)
        .exclude(action__in=TIMELINE_QUIET)
        .select_related("actor")
        .only(
            "sequence",
            "created_at",
            "actor_kind",
            "actor_role",
            "action",
            "data",
            "actor__username",
        )
        .order_by("-sequence")[: TIMELINE_LIMIT + 1]
    )
    more = len(events) > TIMELINE_LIMIT
    events = events[:TIMELINE_LIMIT][::-1]
    assignee_ids = {e.data.get("assignee") for e in events if e.action == Action.CASE_ASSIGNED} - {
        None
    }
    names = (
        dict(get_user_model().objects.filter(pk__in=assignee_ids).values_list("pk", "username"))
        if assignee_ids
        else {}
    )
    return [_timeline_entry(event, names) for event in events], more


def _timeline_entry(event: AuditEvent, names: dict[int, str]) -> TimelineEntry:
    if event.actor_kind == ActorKind.STAFF and event.actor is not None:
        who = event.actor.username
    else:
        who = str(ActorKind(event.actor_kind).label) if event.actor_kind in ActorKind.values else ""
    role = str(Role(event.actor_role).label) if event.actor_role in Role.values else ""
    try:
        what = str(Action(event.action).label)
    except ValueError:
        what = event.action
    return TimelineEntry(
        at=event.created_at,
        who=who,
        role=role,
        what=what,
        details=_event_details(event.action, event.data or {}, names),
    )


def _event_details(action: str, data: dict[str, Any], names: dict[int, str]) -> str:
    if action == Action.CASE_RECEIVED:
        return label(Urgency, data.get("urgency"))
    if action == Action.CASE_OPENED:
        return label(OpenReason, data.get("reason"))
    if action == Action.CASE_ASSESSED:
        level = data.get("risk_level")
        parts = [
            str(RiskLevel(level).label) if level in RiskLevel.values else "",
            label(VerifiedBy, data.get("verified_by")),
            "; ".join(
                label(Support, code) for code in str(data.get("support") or "").split(",") if code
            ),
        ]
        return " · ".join(part for part in parts if part)
    if action == Action.CASE_DECLINED:
        reason = label(DeclineReason, data.get("reason"))
        with_note = _("with an internal note")
        return f"{reason} · {with_note}" if data.get("has_note") else reason
    if action in (Action.FUNDING_PROPOSED, Action.FUNDING_APPROVED):
        return (
            f"{data.get('amount', '')} {data.get('currency', '')} · "
            f"{label(FundingPurpose, data.get('purpose'))}"
        )
    if action == Action.FUNDING_CANCELLED:
        return label(FundingCancelReason, data.get("reason"))
    if action == Action.CASE_RELOCATED:
        return label(Region, data.get("region"))
    if action == Action.CASE_WITHDRAWN:
        return _("at the applicant's request") if data.get("by") == "staff" else ""
    if action == Action.CASE_ASSIGNED:
        assignee = data.get("assignee")
        if assignee is None:
            return _("to nobody")
        return _("to %(name)s") % {"name": names.get(assignee, "#" + str(assignee))}
    if action == Action.MESSAGE_SENT:
        return label(Direction, data.get("direction"))
    if action in (Action.CASE_LABEL_ADDED, Action.CASE_LABEL_REMOVED):
        return str(data.get("label") or "")
    if action == Action.CASE_MARKED_DUPLICATE:
        return str(data.get("original") or "")
    if action == Action.CASE_DUPLICATE_LINKED:
        return str(data.get("duplicate") or "")
    return ""
