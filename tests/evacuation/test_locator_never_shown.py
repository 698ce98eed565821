"""The receipt code's locator (its first 7 digits) finds the applicant's row; it is not secret
against the database, but staff have no use for it, and whoever learns it can aim at that one
applicant's rate-limit trickle. So after a whole journey, with a lost code replaced, neither
locator is in any audit event's data, nor on any staff page: the queue, the case page (opened
or not), the audit log and its export (issue 13, point 6)."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.test import Client

from audit.models import AuditEvent
from tests.factories import (
    RECEIPT_RE,
    Applicant,
    applicant_with,
    case_opened,
    hidden_fields,
    photo_with_gps,
    staff_case_page,
    verified_client,
)

pytestmark = pytest.mark.django_db

NEW_CODE_PATHS = {
    "request_new_code": ("new-code", {"verified": "on"}),
    "confirm_new_code": ("new-code/confirm", {"checked": "on"}),
    "issue_new_code": ("new-code/issue", {}),
}


def _locator(code: str) -> str:
    return re.sub(r"\D", "", code)[:7]


def _shows(text: str, locator: str) -> bool:
    """Whether `text` holds the locator, as digits or grouped as codes are shown (1234-567,
    1234 567), in its HTML or its readable form."""
    pattern = r"[\s-]?".join(locator)
    return any(re.search(pattern, seen) for seen in (text, html.unescape(text)))


def _case_action(client: Client, reference: str, action: str):
    path, fields = NEW_CODE_PATHS[action]
    page = staff_case_page(client, reference)
    return client.post(
        f"/staff/cases/{reference}/{path}/", {**hidden_fields(page, action), **fields}
    )


def test_no_audit_event_and_no_staff_page_shows_a_locator(team):
    carla, cora, kim = (verified_client(getattr(team, name)) for name in ("carla", "cora", "kim"))
    audrey = verified_client(team.audrey)

    # The applicant sends a request, a message and a photo; staff read and answer.
    applicant = Applicant()
    reference, old_code = applicant.submit()
    status = applicant_with(old_code)
    status.act("message", text="Marker: we are four")
    status.act("upload", file=("photo.jpg", photo_with_gps()))
    case_opened(carla, reference, "reply")
    carla.post(f"/staff/cases/{reference}/message/", {"text": "Marker: call us tomorrow"})
    applicant_with(old_code)  # reads the reply

    # The code is lost: Carla asks, Cora confirms, Carla issues the new one.
    assert _case_action(carla, reference, "request_new_code").status_code == 302
    assert _case_action(cora, reference, "confirm_new_code").status_code == 302
    issued = _case_action(carla, reference, "issue_new_code")
    assert issued.status_code == 200
    new_code = re.search(RECEIPT_RE, issued.content.decode()).group(1)
    assert _locator(new_code) != _locator(old_code)
    applicant_with(new_code).act("message", text="Marker: thank you")
    Applicant().check(old_code)  # the old code, now a wrong one

    locators = {_locator(old_code), _locator(new_code)}
    events = list(AuditEvent.objects.order_by("sequence"))
    assert len(events) >= 10  # the journey was recorded: intake, openings, messages, the code
    for event in events:
        data = json.dumps(event.data)
        for locator in locators:
            assert not _shows(data, locator), f"{event.action} records a locator"

    pages = {
        "queue (carla)": carla.get("/staff/cases/"),
        "queue (kim)": kim.get("/staff/cases/"),
        "case page, opened (carla)": carla.get(f"/staff/cases/{reference}/"),
        "case page, not opened (kim)": kim.get(f"/staff/cases/{reference}/"),
        "case page (cora)": cora.get(f"/staff/cases/{reference}/"),
        "audit log (audrey)": audrey.get("/audit/"),
        "audit export (audrey)": audrey.get("/audit/export.jsonl"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        body = b"".join(response) if response.streaming else response.content
        text = body.decode()
        assert reference in text or name.startswith("audit"), name  # the case is on the page
        if name == "audit export (audrey)":
            assert '"code.replaced"' in text and '"message.sent"' in text  # every event's data
        for locator in locators:
            assert not _shows(text, locator), f"the {name} shows a locator"
    # The new code was shown once, on the answer that issued it, and its locator with it.
    assert _shows(issued.content.decode(), _locator(new_code))
