"""After real requests, a copy of the whole database holds none of what the applicants wrote."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from evacuation.models import Case
from tests.factories import (
    Applicant,
    database_dump,
    submit_intake,
    vault_ready,
    verified_client,
)
from vault.org import grant_from_recovery

pytestmark = pytest.mark.django_db

MARKERS = {
    "name": "MarkerName7f3a",
    "contact_handle": "@marker_handle_91c2",
    "country": "MarkerCountryQ8",
    "city": "Маркергород",
    "situation": "MarkerSituation: угрозы от соседей 4d1e",
    "voucher": "MarkerVoucher Org 66b0",
}
SOURCE_ADDRESS = "203.0.113.77"
# What the applicant writes later, from their status page.
LATER = {"message": "MarkerMessage 0b7e", "add": "MarkerAddition 5c29"}


def _forms_of(text: str) -> list[bytes]:
    """The marker as stored raw, JSON-escaped, or lower-cased."""
    escaped = json.dumps(text)[1:-1]
    return [text.encode(), escaped.encode(), text.lower().encode()]


def test_no_marker_receipt_code_or_address_appears_anywhere_in_the_database(carla, settings):
    settings.RATE_LIMITS_ENABLED = True  # buckets must hold a keyed hash, not the address
    recovery = vault_ready()
    client = Client(REMOTE_ADDR=SOURCE_ADDRESS)
    reference, code = submit_intake(client, **MARKERS)
    applicant = Applicant(client)
    applicant.check(code)
    assert 'name="capability"' in applicant.page, "the code opened the status page"
    for form_name, text in LATER.items():
        applicant.act(form_name, text=text)
        assert text in applicant.page  # sent, and shown back to them
    grant_from_recovery(grantee=carla, recovery_secret=recovery)
    opened = verified_client(carla).post(
        f"/staff/cases/{reference}/", {"reason": "assess"}, follow=True
    )
    assert MARKERS["name"] in opened.content.decode()  # the data is really there, encrypted
    assert all(text in opened.content.decode() for text in LATER.values())

    dump = database_dump()
    assert reference.encode() in dump  # the dump does see our rows
    assert Case.objects.get(reference=reference).payload  # and the ciphertext
    for field, marker in {**MARKERS, **LATER}.items():
        for form in _forms_of(marker):
            assert form not in dump, f"{field} found in clear in the database"
    digits = "".join(ch for ch in code if ch.isdigit())
    assert code.encode() not in dump and digits.encode() not in dump
    assert SOURCE_ADDRESS.encode() not in dump
