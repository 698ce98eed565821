"""Reads for the case pages. No selector returns personal data unless given decrypted intake."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from evacuation.choices import ContactMethod, HelpNeeded, TravelDocuments
from evacuation.forms import IntakeForm
from evacuation.models import Case

# Columns any case-staff page may show without opening the case.
FACT_FIELDS = (
    "id",
    "uid",
    "reference",
    "state",
    "urgency",
    "created_at",
    "updated_at",
    "last_staff_action_at",
    "last_applicant_activity_at",
)


def cases_for_queue() -> QuerySet[Case]:
    return Case.objects.only(*FACT_FIELDS).order_by("-created_at")


def case_facts(*, reference: str) -> Case:
    return get_object_or_404(Case.objects.only(*FACT_FIELDS), reference=reference)


def case_for_opening(*, reference: str) -> Case:
    return get_object_or_404(Case, reference=reference)


_CHOICE_LABELS = {
    "contact_method": dict(ContactMethod.choices),
    "travel_documents": dict(TravelDocuments.choices),
    "help_needed": dict(HelpNeeded.choices),
}


def intake_for_display(intake: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs in form order, with codes turned back into words."""
    rows = []
    for name, field in IntakeForm.base_fields.items():
        if name == "consent" or name not in intake:
            continue
        value = intake[name]
        labels = _CHOICE_LABELS.get(name)
        if labels and isinstance(value, list):
            value = "; ".join(str(labels.get(v, v)) for v in value)
        elif labels:
            value = labels.get(value, value)
        rows.append((str(field.label), "" if value is None else str(value)))
    return rows
