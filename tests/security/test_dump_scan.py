"""A thief who copies the whole database after a full journey finds none of what the applicant
wrote, nor their receipt code, nor the staff password: `pg_dump` of everything on PostgreSQL,
the raw database file image on SQLite."""

from __future__ import annotations

import re
import subprocess

import pytest
from django.db import connection

from tests.factories import (
    DEFAULT_PASSWORD,
    Applicant,
    applicant_with,
    case_opened,
    hidden_fields,
    intake_data,
    photo_with_gps,
    verified_client,
)

pytestmark = pytest.mark.django_db(transaction=True)

MARKERS = {
    "name": "MarkerNameQx7Vu",
    "contact_handle": "@MarkerHandleZp4",
    "country": "MarkerCountryKw2",
    "city": "MarkerCityRb9",
    "situation": "MarkerSituationTj5 they came to my flat at night",
    "voucher": "MarkerVoucherHn3, Signal +000 111",
}
REJECTED_MARKER = "MarkerRejectedYc8"
STAFF_MESSAGE = "MarkerStaffMessageLd6 meet at the station"
APPLICANT_MESSAGE = "MarkerApplicantMessageFv1 my brother too"
NOTE = "MarkerNoteGu4 checked with the referee"
ADDITION = "MarkerAdditionBe8 the passport of my mother expired"


def _dump() -> bytes:
    """Everything the database holds, as its own tools or files would give it to a thief."""
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        return subprocess.run(
            [
                "pg_dump",
                "--no-owner",
                "-h",
                str(db["HOST"] or "127.0.0.1"),
                "-p",
                str(db["PORT"] or 5432),
                "-U",
                str(db["USER"] or "postgres"),
                db["NAME"],
            ],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    raw = connection.connection
    image = raw.serialize() if hasattr(raw, "serialize") else b""
    text = "\n".join(raw.iterdump()).encode()
    return image + b"\n" + text


def _found(dump: bytes, secret: str) -> bool:
    haystack = dump.lower()
    needle = secret.encode()
    return needle.lower() in haystack or needle.hex().encode() in haystack


def test_a_full_journey_leaves_no_marker_in_a_dump_of_the_whole_database(team):
    applicant = Applicant()
    # A request the form rejects (no consent) must leave nothing at all.
    applicant.open("/request/")
    rejected = applicant.act("intake", **intake_data(name=REJECTED_MARKER, consent=""))
    assert rejected.status_code == 200 and REJECTED_MARKER.encode() in rejected.content
    reference, code = applicant.submit(**MARKERS)
    applicant = applicant_with(code)

    staff = verified_client(team.carla)
    case_opened(staff, reference, "reply")
    staff.post(f"/staff/cases/{reference}/message/", {"text": STAFF_MESSAGE})
    applicant.check(code)  # back on the status page, which now shows the reply
    assert STAFF_MESSAGE in applicant.page
    applicant.act("message", text=APPLICANT_MESSAGE)
    assert "Your message is sent." in applicant.page
    applicant.act("add", text=ADDITION)
    assert "What you added is sent." in applicant.page
    applicant.act("upload", file=("photo.jpg", photo_with_gps("MarkerGpsDatumWc3")))
    assert "Your file is sent." in applicant.page
    page = staff.get(f"/staff/cases/{reference}/").content.decode()
    staff.post(f"/staff/cases/{reference}/notes/", {**hidden_fields(page, "note"), "text": NOTE})
    opened = staff.post(f"/staff/cases/{reference}/", {"reason": "assess"}, follow=True)
    for shown in (MARKERS["name"], STAFF_MESSAGE, APPLICANT_MESSAGE, ADDITION, NOTE):
        assert shown.encode() in opened.content, f"{shown!r} did not open for staff"

    from evacuation.models import Case

    assert Case.objects.get().attachments.count() == 1
    applicant.act("confirm_withdraw")
    withdrawn = applicant.act("withdraw")
    assert withdrawn.status_code == 200 and "Your request has been withdrawn." in applicant.page
    assert Case.objects.get().state == "withdrawn"

    dump = _dump()
    assert len(dump) > 10_000
    assert _found(dump, reference), "the scan cannot even find what is stored in clear"
    digits = re.sub(r"\D", "", code)
    secrets = {
        **MARKERS,
        "rejected": REJECTED_MARKER,
        "staff message": STAFF_MESSAGE,
        "applicant message": APPLICANT_MESSAGE,
        "applicant's addition": ADDITION,
        "internal note": NOTE,
        "photo's GPS datum": "MarkerGpsDatumWc3",
        "receipt code": code,
        "receipt digits": digits,
        # The 7-digit locator is stored to find the row; the 16-digit secret never is.
        "receipt secret": digits[7:23],
        "staff password": DEFAULT_PASSWORD,
    }
    leaked = [label for label, secret in secrets.items() if _found(dump, secret)]
    assert not leaked, f"found in the database dump: {leaked}"
