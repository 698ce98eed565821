"""A PDF a caseworker attaches reaches the applicant without its author, as a download."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader, PdfWriter

from audit.models import AuditEvent
from evacuation.models import Attachment
from tests.factories import (
    applicant_with,
    case_opened,
    database_dump,
    submit_intake,
    verified_client,
)

pytestmark = pytest.mark.django_db


def _pdf_by(author: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Author": author, "/Title": "Marker Title"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_from_staff_reaches_the_applicant_without_its_author(team):
    reference, code = submit_intake()
    sent = _pdf_by("Marker Caseworker Name")
    assert b"Marker Caseworker Name" in sent
    upload = SimpleUploadedFile("ticket-for-ivanova.pdf", sent, content_type="application/pdf")
    staff = verified_client(team.carla)
    case_opened(staff, reference, "reply")
    staff.post(f"/staff/cases/{reference}/files/", {"file": upload})

    attachment = Attachment.objects.get()
    assert attachment.kind == "pdf" and attachment.direction == "to_applicant"
    assert b"Marker Caseworker Name" not in database_dump()

    applicant = applicant_with(code)
    assert "From your caseworker: document-1.pdf" in applicant.page
    response = applicant.act("download", file=str(attachment.uid))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="document-1.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"Marker Caseworker Name" not in response.content
    assert not PdfReader(io.BytesIO(response.content)).metadata
    event = AuditEvent.objects.get(action="file.downloaded")
    assert (event.actor_kind, event.data) == ("applicant", {"kind": "pdf"})
