"""Reads for the workspace: labels, reply templates, duplicate links, and a reference as typed.

Each function is one query (or none), whatever the number of labels, templates or links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Q

from evacuation.models import (
    REFERENCE_ALPHABET,
    Case,
    CaseLabel,
    DuplicateLink,
    Label,
    ReplyTemplate,
)

_TYPED_REFERENCE = re.compile(rf"(?:EV)?([{REFERENCE_ALPHABET}]{{6}})")


def reference_typed(text: str) -> str | None:
    """A reference as a person types it ("ev-abcd-ef", "EVABCDEF", "abcd ef", "ABCDEF") in its
    stored form ("EV-ABCD-EF"), or None when it cannot be one."""
    if not isinstance(text, str):
        return None
    compact = re.sub(r"[\s\-_./\u2013\u2014]+", "", text).upper()
    match = _TYPED_REFERENCE.fullmatch(compact)
    if match is None:
        return None
    chars = match.group(1)
    return f"EV-{chars[:4]}-{chars[4:]}"


def labels_all() -> list[Label]:
    """Every label, those in use first (the management page)."""
    return list(Label.objects.order_by(F("retired_at").asc(nulls_first=True), "name", "pk"))


def labels_in_use() -> list[Label]:
    """The labels that may be put on a case, or filtered on."""
    return list(Label.objects.filter(retired_at__isnull=True).order_by("name", "pk"))


def case_labels(*, case: Case) -> list[Label]:
    """The labels on one case, retired ones included (they stay where they were put); read once
    per loaded case (the page shows them and its label form ticks them)."""
    if not hasattr(case, "_workspace_labels"):
        case._workspace_labels = list(
            Label.objects.filter(labellings__case=case).order_by("name", "pk")
        )
    return case._workspace_labels


def labels_for_rows(case_ids: list[int]) -> dict[int, list[str]]:
    """The label names of a page of cases, in one query: {case id: [names]}."""
    found: dict[int, list[str]] = {}
    if not case_ids:
        return found
    pairs = (
        CaseLabel.objects.filter(case_id__in=case_ids)
        .order_by("label__name", "label_id")
        .values_list("case_id", "label__name")
    )
    for case_id, name in pairs:
        found.setdefault(case_id, []).append(name)
    return found


@dataclass(frozen=True)
class Duplicates:
    """How one case is linked to others: the case it duplicates, and the cases that duplicate
    it (references only)."""

    of: str = ""
    by: tuple[str, ...] = ()


def case_duplicates(*, case: Case) -> Duplicates:
    links = (
        DuplicateLink.objects.filter(Q(duplicate=case) | Q(original=case))
        .order_by("marked_at", "pk")
        .values_list("duplicate_id", "duplicate__reference", "original__reference")
    )
    of = ""
    by = []
    for duplicate_id, duplicate_reference, original_reference in links:
        if duplicate_id == case.pk:
            of = original_reference
        else:
            by.append(duplicate_reference)
    return Duplicates(of=of, by=tuple(by))


def templates_all() -> list[ReplyTemplate]:
    return list(ReplyTemplate.objects.order_by(F("retired_at").asc(nulls_first=True), "name", "pk"))


def templates_in_use() -> list[ReplyTemplate]:
    return list(ReplyTemplate.objects.filter(retired_at__isnull=True).order_by("name", "pk"))


def template_languages() -> list[tuple[str, str]]:
    """The languages a template has a text for: those the applicant pages offer."""
    offered = set(settings.APPLICANT_LANGUAGES)
    return [(code, str(name)) for code, name in settings.LANGUAGES if code in offered]
