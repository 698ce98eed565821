"""Messages and files between staff and the applicant, stored only as ciphertext."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evacuation.models.case import Case

MESSAGE_MAX_LENGTH = 5000


def bound_purpose(kind: str, *parts) -> str:
    """The associated data of a case's ciphertext: its kind, its id and the clear fields that
    must not change under it (a time to the microsecond, in UTC)."""
    words = [kind]
    for part in parts:
        if isinstance(part, datetime):
            part = part.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")
        words.append("-" if part is None else str(part))
    return ":".join(words)


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
    sequence = models.PositiveIntegerField()  # its place in the case's thread, 1, 2, ...
    body = models.BinaryField()  # CaseCipher.encrypt_text(message.purpose, text)
    read_at = models.DateTimeField(null=True, blank=True)  # by staff, for applicant messages

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["case", "direction", "read_at"], name="message_unread")]
        constraints = [
            models.UniqueConstraint(fields=["case", "sequence"], name="one_message_a_place")
        ]

    def __str__(self) -> str:
        return f"message {self.uid}"

    @property
    def purpose(self) -> str:
        """Who wrote it, to whom, when and where in the thread are bound into the ciphertext:
        a database writer who flips a reply to "from the applicant", gives it another author or
        reorders the thread leaves a message that no longer opens."""
        return bound_purpose(
            "message", self.uid, self.direction, self.author_id, self.sequence, self.created_at
        )


class Attachment(models.Model):
    """A cleaned file (evacuation.files), sealed with its own key wrapped by the case key. The
    wrapped key has a column of its own, so a new case key (rotation) re-wraps it and never
    rewrites the body."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    direction = models.CharField(max_length=16, choices=Direction.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=8)  # jpeg, png, webp, pdf: from the content, not the name
    size = models.PositiveIntegerField()  # bytes of the cleaned file
    # CaseCipher.seal_file(attachment.purpose, cleaned bytes) -> (wrapped_key, blob)
    wrapped_key = models.BinaryField(default=b"")  # the file key, wrapped by the case key
    blob = models.BinaryField()  # the body, sealed under the file key

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"file {self.uid}"

    @property
    def purpose(self) -> str:
        return bound_purpose(
            "file", self.uid, self.direction, self.uploaded_by_id, self.kind, self.created_at
        )


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
        return bound_purpose("addition", self.uid, self.created_at)
