"""What each staff member wants to be told, and what they were already told.

A notice names a person, a kind ("applicant_wrote") and what it is about, as an internal key
("message:41"): it is for this table alone, so that nobody is told twice. The mail itself never
says any of it (evacuation.notifications.mail): it only says that something needs attention.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NoticeMode(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately")
    DIGEST = "digest", _("Once a day, in a digest")
    OFF = "off", _("Never")


class NoticePreference(models.Model):
    """One staff member's choice; a member without a row is told immediately, in English, and
    is not on call."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preference"
    )
    mode = models.CharField(
        max_length=12, choices=NoticeMode.choices, default=NoticeMode.IMMEDIATELY
    )
    # A staff language (settings.STAFF_LANGUAGES); empty: English.
    language = models.CharField(max_length=8, blank=True)
    # Told when an urgent request waits an hour with nobody on it (set by coordinators).
    on_call = models.BooleanField(default=False)
    digest_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"notice preference {self.user_id}"


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")  # claimed by one sender; sent_at: when it took it
    SENT = "sent", _("Sent")
    MUTED = "muted", _("Not sent: notifications were off")
    FAILED = "failed", _("Not sent: the mail server refused the address")


class Notice(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=32)  # a code of evacuation.notifications.kinds
    about = models.CharField(max_length=64)  # internal only: "message:41", "case:7", ...
    status = models.CharField(
        max_length=8, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # How often the mail server refused the recipient (settings.NOTIFY_SEND_ATTEMPTS: given up).
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "about"], name="notice_told_once")
        ]
        indexes = [models.Index(fields=["status", "recipient"], name="notice_pending")]

    def __str__(self) -> str:
        return f"notice {self.pk}"
