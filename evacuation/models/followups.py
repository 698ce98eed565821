"""Follow-ups and check-ins (issue 19): dates and counts only, nothing the applicant wrote.

A follow-up is a day on which someone should look at a case again: set by case staff on the
case page, or made by the relocation itself (30 and 90 days after it). It stays open until it is
marked done or dismissed, and while it is open it keeps the case from the retention purge
(evacuation.services.retention).

A check-in schedule asks the applicant of a funded case, while they travel, to press "I am safe"
on their status page every `every_days` days. `due_at` is when the next press is due (kept in
the row so one indexed query finds every missed one); a missed check-in is one not pressed by
`due_at` plus CHECKIN_GRACE_HOURS (evacuation.selectors.followups).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evacuation.models.case import Case

CHECKIN_EVERY_DAYS_MAX = 30


class FollowUpKind(models.TextChoices):
    SET = "set", _("Follow up")
    AFTER_RELOCATION_30 = "relocated_30", _("30 days after relocation")
    AFTER_RELOCATION_90 = "relocated_90", _("90 days after relocation")


class FollowUpOutcome(models.TextChoices):
    OPEN = "", _("Open")
    DONE = "done", _("Done")
    DISMISSED = "dismissed", _("Dismissed")


class FollowUp(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followups")
    kind = models.CharField(max_length=16, choices=FollowUpKind.choices, default=FollowUpKind.SET)
    due_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(
        max_length=10, choices=FollowUpOutcome.choices, default=FollowUpOutcome.OPEN, blank=True
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(
                fields=["due_on", "case"], condition=models.Q(outcome=""), name="followup_open_due"
            )
        ]

    def __str__(self) -> str:
        return f"follow-up {self.pk} on {self.due_on}"

    @property
    def is_open(self) -> bool:
        return self.outcome == FollowUpOutcome.OPEN


class CheckinSchedule(models.Model):
    """At most one per case; `stopped_at` set when the caseworker ends it."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="checkin_schedule")
    every_days = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    last_checkin_at = models.DateTimeField(null=True, blank=True)
    checkins = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=models.Q(stopped_at__isnull=True),
                name="checkin_running_due",
            )
        ]

    def __str__(self) -> str:
        return f"check-ins every {self.every_days} days for case {self.case_id}"

    @property
    def running(self) -> bool:
        return self.stopped_at is None
