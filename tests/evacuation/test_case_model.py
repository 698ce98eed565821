from __future__ import annotations

import re

import pytest
from django.db import models

from evacuation.models import REFERENCE_ALPHABET, Case, State, reference_new
from tests.factories import request_sent, vault_ready

pytestmark = pytest.mark.django_db


def test_references_use_only_unambiguous_characters():
    references = {reference_new() for _ in range(2000)}
    assert len(references) == 2000
    for reference in references:
        assert re.fullmatch(
            rf"EV-[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{2}}", reference
        )
    assert not set("01IOL") & set(REFERENCE_ALPHABET)


def test_the_state_changes_only_through_transitions():
    vault_ready()
    reference, _code = request_sent()
    case = Case.objects.get(reference=reference)
    with pytest.raises(AttributeError):
        case.state = State.FUNDED
    case.withdraw()
    assert case.state == State.WITHDRAWN


def test_the_case_row_keeps_only_codes_dates_and_staff_in_clear():
    # A tripwire: a new clear column on Case must be checked to hold nothing personal, then listed.
    # Every one below is a date, a staff member, or a code from a fixed list in choices.py.
    # `payload` and `seen` are ciphertexts under the case key, `triage` sealed to the triage key
    # (vault.triage); the receipt code leaves nothing on the row (its locator is in
    # vault.models.ApplicantKey). The applicant's activity is kept to the day only.
    clear = {
        field.name
        for field in Case._meta.concrete_fields
        if field.name not in {"id", "uid", "reference", "state", "payload", "seen", "triage"}
    }
    assert clear == {
        "urgency",
        "created_at",
        "updated_at",
        "last_staff_action_at",
        "last_applicant_activity_on",
        "priority",
        "state_changed_at",
        "assignee",
        "risk_level",
        "verified_by",
        "support",
        "assessed_by",
        "assessed_at",
        "decline_reason",
        "relocated_on",
        "relocation_region",
        "hold_reason",
        "held_by",
        "held_at",
        "purged_at",
        "delete_requested_at",
    }
    assert isinstance(Case._meta.get_field("last_applicant_activity_on"), models.DateField)
    assert not isinstance(Case._meta.get_field("last_applicant_activity_on"), models.DateTimeField)
    assert not any("receipt" in field.name for field in Case._meta.get_fields())
