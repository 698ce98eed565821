"""The audit event for a queue page that showed triage summaries (evacuation/rules.py: TRIAGE):
one per page, naming the references shown, never what the summaries say."""

from __future__ import annotations

from django.db import transaction

from audit.actions import Action
from audit.services import record
from core.bulk import update_by_pk
from evacuation.models import Case


def triage_shown(*, actor, references: list[str], kept: dict[int, bytes] | None = None) -> None:
    """One event for a queue page shown to someone whose session opens summaries (the caller
    knows), naming the references whose summary was on it (none: an old case has none). In the
    same transaction, the summaries first read on this page are stored in their KEPT form
    (vault.triage: the same secret, cheaper to open), by one UPDATE."""
    with transaction.atomic(savepoint=False):
        if kept:
            update_by_pk(Case, ["triage"], [(blob, pk) for pk, blob in kept.items()])
        _record(actor, references)


def _record(actor, references: list[str]) -> None:
    record(
        action=Action.TRIAGE_SHOWN,
        actor=actor,
        data={"count": len(references), "references": ",".join(references)},
    )
