"""What staff add to a case besides its state: funding proposals, internal notes, and the
replacement of a lost receipt code."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from evacuation.choices import Currency, FundingCancelReason, FundingPurpose, ProposalStatus
from evacuation.models.case import Case
from evacuation.models.correspondence import bound_purpose

NOTE_MAX_LENGTH = 5000


class FundingProposal(models.Model):
    """One request for money. A second person approves it; at most one is pending per case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="funding_proposals")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    purpose = models.CharField(max_length=16, choices=FundingPurpose.choices)
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=20, blank=True, choices=FundingCancelReason.choices)

    class Meta:
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="pending"),
                name="one_pending_proposal_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.status})"


class Note(models.Model):
    """Internal, staff-only text; stored only as ciphertext under the case key."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sequence = models.PositiveIntegerField()  # its place among the case's notes, 1, 2, ...
    body = models.BinaryField()  # CaseCipher.encrypt_text(note.purpose, text)

    class Meta:
        ordering = ["sequence"]
        constraints = [
            models.UniqueConstraint(fields=["case", "sequence"], name="one_note_a_place")
        ]

    def __str__(self) -> str:
        return f"note {self.uid}"

    @property
    def purpose(self) -> str:
        """Author, time and place are bound in: a note cannot be re-attributed or moved."""
        return bound_purpose("note", self.uid, self.author_id, self.sequence, self.created_at)


class CodeReplacement(models.Model):
    """A lost receipt code replaced, four eyes: the caseworker who verified the applicant out of
    band asks, a coordinator who did not ask confirms, and the one who asked then issues the new
    code (shown once, to them alone) and passes it on. Holds no key and no code."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="code_replacements")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(issued_at__isnull=True, cancelled_at__isnull=True),
                name="one_open_code_replacement_per_case",
            )
        ]

    def __str__(self) -> str:
        return f"code replacement for case {self.case_id}"
