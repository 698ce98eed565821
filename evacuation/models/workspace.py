"""The caseworker's workspace: labels for the state of the work, reply templates, and the link
from a duplicate request to the one that goes on.

All of it is staff-written and stored in clear, visible to all case staff: a label names the
state of the work ("waiting for documents"), never a fact about the person; a template is a
reply staff wrote once for many applicants, never personal data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

LABEL_MAX_LENGTH = 60
TEMPLATE_NAME_MAX_LENGTH = 80


class Label(models.Model):
    name = models.CharField(max_length=LABEL_MAX_LENGTH, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # A retired label stays on the cases that carry it, but is no longer put on new ones.
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class CaseLabel(models.Model):
    case = models.ForeignKey("evacuation.Case", on_delete=models.CASCADE, related_name="labellings")
    label = models.ForeignKey(Label, on_delete=models.PROTECT, related_name="labellings")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "label"], name="case_label_once"),
        ]
        indexes = [models.Index(fields=["label", "case"], name="case_label_by_label")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.label_id}"


class ReplyTemplate(models.Model):
    """A reply staff can start from; `texts` maps a language code (settings.LANGUAGES, those the
    applicant pages offer) to the text in that language."""

    name = models.CharField(max_length=TEMPLATE_NAME_MAX_LENGTH, unique=True)
    texts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class DuplicateLink(models.Model):
    """`duplicate` was closed as a duplicate of `original` (staff only: neither case's receipt
    code reaches the other)."""

    duplicate = models.OneToOneField(
        "evacuation.Case", on_delete=models.CASCADE, related_name="duplicate_link"
    )
    original = models.ForeignKey(
        "evacuation.Case", on_delete=models.CASCADE, related_name="duplicate_links"
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"{self.duplicate_id} -> {self.original_id}"
