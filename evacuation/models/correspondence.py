"""Messages and files between staff and the applicant, stored only as ciphertext."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evacuation.models.case import Case

MESSAGE_MAX_LENGTH = 5000


class Direction(models.TextChoices):
    TO_APPLICANT = "to_applicant", _("To the applicant")
    FROM_APPLICANT = "from_applicant", _("From the applicant")


class Message(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=16, choices=Direction.choices)
    author = models.ForeignKey(  # staff who wrote it; empty for the applicant
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    body = models.BinaryField()  # CaseCipher.encrypt_text(message.purpose, text)
    read_at = models.DateTimeField(null=True, blank=True)  # by staff, for applicant messages

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["case", "direction", "read_at"], name="message_unread")]

    def __str__(self) -> str:
        return f"message {self.uid}"

    @property
    def purpose(self) -> str:
        return f"message:{self.uid}"


class Attachment(models.Model):
    """A cleaned file (evacuation.files), sealed with its own key wrapped by the case key."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    direction = models.CharField(max_length=16, choices=Direction.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=8)  # jpeg, png, webp, pdf: from the content, not the name
    size = models.PositiveIntegerField()  # bytes of the cleaned file
    blob = models.BinaryField()  # CaseCipher.seal_file(attachment.purpose, cleaned bytes)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"file {self.uid}"

    @property
    def purpose(self) -> str:
        return f"file:{self.uid}"


class Addition(models.Model):
    """Something the applicant added to their request later; the request itself never changes.
    Stored only as ciphertext under the case key."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="additions")
    created_at = models.DateTimeField(default=timezone.now)
    body = models.BinaryField()  # CaseCipher.encrypt_text(addition.purpose, text)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"addition {self.uid}"

    @property
    def purpose(self) -> str:
        return f"addition:{self.uid}"
