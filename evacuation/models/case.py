"""The case and its state machine.

A case row holds only what the organisation may know without opening it: its
state, urgency, dates and the codes staff chose from fixed lists. Everything the
applicant wrote is one ciphertext (`payload`) under the case's own key, which only
the vault can open.

Who may fire a transition is decided in evacuation.rules (the `permission=` of each
transition), where the case page's offers and the services ask the same question.
"""

from __future__ import annotations

import secrets
import threading
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from evacuation.choices import (
    OPEN_STATES,
    DeclineReason,
    HoldReason,
    ProposalStatus,
    Region,
    RiskLevel,
    State,
    Urgency,
    VerifiedBy,
)
from evacuation.rules import (
    may_approve_funding,
    may_assess,
    may_cancel_funding,
    may_confirm_relocation,
    may_decline,
    may_withdraw,
)

# No 0/O, 1/I/L, so a reference read out over a bad phone line survives.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def reference_new() -> str:
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
    return f"EV-{chars[:4]}-{chars[4:]}"


URGENCY_PRIORITY = {Urgency.NOW: 0, Urgency.WEEKS: 1, Urgency.PLANNING: 2}
# The purpose `payload` is encrypted for (CaseCipher binds it into the associated data).
PAYLOAD_PURPOSE = "intake"


# django-fsm lifts the protection of `state` on the field itself, which every instance shares,
# for the length of a refresh: two threads refreshing at once would put it back under each other
# (a 500 on a page that loads a deferred field). One refresh at a time per process.
_REFRESH_LOCK = threading.RLock()  # re-entrant: a refresh may load a deferred field itself


class Case(ConcurrentTransitionMixin, models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=12, unique=True, default=reference_new, editable=False)
    state = FSMField(default=State.RECEIVED, choices=State.choices, protected=True, db_index=True)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, db_index=True)
    # 0 for "in danger now": the queue sorts on (priority, created_at) with one index.
    priority = models.PositiveSmallIntegerField(default=2, editable=False)
    # CaseCipher.encrypt("intake", json): every personal field the applicant gave; empty once
    # the case is purged.
    payload = models.BinaryField(editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    state_changed_at = models.DateTimeField(default=timezone.now)
    last_staff_action_at = models.DateTimeField(null=True, blank=True)
    # The day (never the time) the applicant last wrote or acted: the applicant's visits leave
    # no trace in clear. What they last saw is sealed under the case key (`seen`).
    last_applicant_activity_on = models.DateField(default=timezone.localdate)
    # CaseCipher.encrypt("seen", ...): how many replies the applicant has seen; empty once purged.
    seen = models.BinaryField(default=b"", editable=False)
    # The coarse triage summary, sealed to the organisation-wide triage key (vault.triage): the
    # queue shows it without opening the case (evacuation/rules.py: TRIAGE). b"" when none.
    triage = models.BinaryField(default=b"", editable=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    # Assessment
    risk_level = models.PositiveSmallIntegerField(null=True, blank=True, choices=RiskLevel.choices)
    verified_by = models.CharField(max_length=20, blank=True, choices=VerifiedBy.choices)
    support = models.JSONField(default=list, blank=True)  # codes from choices.Support
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assessed_at = models.DateTimeField(null=True, blank=True)
    # Endings
    decline_reason = models.CharField(max_length=24, blank=True, choices=DeclineReason.choices)
    relocated_on = models.DateField(null=True, blank=True)
    relocation_region = models.CharField(max_length=20, blank=True, choices=Region.choices)
    # Retention: a hold keeps the case from being purged; purged_at marks a shredded case.
    hold_reason = models.CharField(max_length=24, blank=True, choices=HoldReason.choices)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    held_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    # The applicant asked for everything to be deleted now (only a hold keeps it until released).
    delete_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["priority", "created_at", "id"], name="case_queue_order"),
            models.Index(fields=["state", "priority", "created_at", "id"], name="case_queue_state"),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args, **kwargs) -> None:
        self.priority = URGENCY_PRIORITY.get(self.urgency, 2)
        super().save(*args, **kwargs)

    def refresh_from_db(self, *args, **kwargs) -> None:
        with _REFRESH_LOCK:
            super().refresh_from_db(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_purged(self) -> bool:
        return self.purged_at is not None

    @property
    def version(self) -> str:
        """What a form carries to say which version of the case its user saw (every save moves
        it), so a case that changed meanwhile is refused instead of being changed blind."""
        return str(int(self.updated_at.timestamp() * 1_000_000))

    def pending_proposal(self):
        """The funding proposal waiting for approval, or None (at most one exists)."""
        return self.funding_proposals.filter(status=ProposalStatus.PENDING).first()

    def open_code_replacement(self):
        """The receipt-code replacement asked for and not yet issued or cancelled, or None.
        Read once per loaded case (the rules ask it several times for one page)."""
        if not hasattr(self, "_open_code_replacement"):
            self._open_code_replacement = self.code_replacements.filter(
                issued_at__isnull=True, cancelled_at__isnull=True
            ).first()
        return self._open_code_replacement

    @transition(field=state, source=State.RECEIVED, target=State.ASSESSED, permission=may_assess)
    def assess(self) -> None:
        """Risk level, how it was verified and the support recommended are set by the service."""

    @transition(
        field=state,
        source=[State.RECEIVED, State.ASSESSED],
        target=State.DECLINED,
        permission=may_decline,
    )
    def decline(self) -> None:
        """Ends the case with a reason from a fixed list."""

    @transition(
        field=state, source=State.ASSESSED, target=State.FUNDED, permission=may_approve_funding
    )
    def approve_funding(self) -> None:
        """A second person approves the pending funding proposal."""

    @transition(
        field=state, source=State.FUNDED, target=State.ASSESSED, permission=may_cancel_funding
    )
    def cancel_funding(self) -> None:
        """Back to assessed; the approved proposal is marked cancelled with a reason."""

    @transition(
        field=state,
        source=State.FUNDED,
        target=State.RELOCATED,
        permission=may_confirm_relocation,
    )
    def confirm_relocation(self) -> None:
        """The person is safe: a date and a coarse region, never an address."""

    @transition(
        field=state,
        source=[State.RECEIVED, State.ASSESSED, State.FUNDED],
        target=State.WITHDRAWN,
        permission=may_withdraw,
    )
    def withdraw(self) -> None:
        """Stops all work on the case; only the applicant's word starts it."""
