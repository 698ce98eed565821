"""The audit event for a queue page that showed triage summaries (evacuation/rules.py: TRIAGE):
one per page, naming the references shown, never what the summaries say."""

from __future__ import annotations

from audit.actions import Action
from audit.services import record


def triage_shown(*, actor, references: list[str]) -> None:
    """One event for a queue page shown to someone whose session opens summaries (the caller
    knows), naming the references whose summary was on it (none: an old case has none)."""
    record(
        action=Action.TRIAGE_SHOWN,
        actor=actor,
        data={"count": len(references), "references": ",".join(references)},
    )
