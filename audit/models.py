"""The audit chain: append-only events, the one chain-head row appends lock, signed checkpoints.

Rows are written only by `audit.services`; triggers installed by the migrations make the
database itself refuse to change or delete them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.actions import Action
from audit.chain import GENESIS_HASH


class ActorKind(models.TextChoices):
    STAFF = "staff", _("Staff member")
    APPLICANT = "applicant", _("Applicant")
    SYSTEM = "system", _("System")
    ANONYMOUS = "anonymous", _("Anonymous")


class AuditEvent(models.Model):
    sequence = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    # PROTECT: a staff member with history is disabled, never deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    target_type = models.CharField(max_length=10, blank=True)
    target_ref = models.CharField(max_length=64, blank=True, db_index=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["sequence"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"


class ChainHead(models.Model):
    """One row (pk=1): the last appended (sequence, hash). Appends lock it to stay gap-free."""

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"head #{self.sequence}"


class Checkpoint(models.Model):
    """(sequence, hash) signed with the Ed25519 key kept outside the database."""

    sequence = models.PositiveBigIntegerField(db_index=True)
    hash = models.CharField(max_length=64)
    signature = models.CharField(max_length=128)  # hex of the 64-byte Ed25519 signature
    key_fingerprint = models.CharField(max_length=95)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["sequence", "id"]
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")

    def __str__(self) -> str:
        return f"checkpoint #{self.sequence}"
