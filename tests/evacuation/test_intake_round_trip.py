from __future__ import annotations

import re

import pytest
from django.test import Client

from audit.models import AuditEvent
from evacuation.models import Case, State
from tests.factories import (
    RECEIPT_RE,
    intake_data,
    submit_intake,
    vault_ready,
    verified_client,
)
from vault.org import grant_from_recovery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def recovery() -> str:
    return vault_ready()


def test_it_shows_the_receipt_code_once_in_the_answer_to_the_post():
    response = Client().post("/request/", intake_data())
    assert response.status_code == 200  # no redirect: the code never travels in a URL
    page = response.content.decode()
    code = re.search(RECEIPT_RE, page).group(1)
    assert len(re.sub(r"\D", "", code)) >= 20  # five groups of four digits, about 66 bits
    case = Case.objects.get()
    assert case.reference in page
    assert re.fullmatch(r"EV-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}", case.reference)
    assert case.state == State.RECEIVED
    assert code not in Client().get("/status/").content.decode()


def test_it_records_the_intake_with_the_urgency_and_nothing_personal():
    reference, _code = submit_intake(urgency="now", name="Zoya Marker")
    event = AuditEvent.objects.get(action="case.received")
    assert event.target_ref == reference
    assert event.data == {"urgency": "now"}


def test_a_caseworker_with_a_grant_opens_the_case_and_reads_every_field(recovery, carla):
    reference, _code = submit_intake(
        name="Sasha Roundtrip",
        contact_handle="+7 900 000 00 00",
        contact_method="phone",
        situation="They came to my flat twice.",
        voucher="Friend at Org X",
        help_needed=["medical", "visa"],
    )
    grant_from_recovery(grantee=carla, recovery_secret=recovery)
    client = verified_client(carla)

    facts = client.get(f"/staff/cases/{reference}/").content.decode()
    assert "Sasha Roundtrip" not in facts  # only facts until opened with a reason

    response = client.post(f"/staff/cases/{reference}/", {"reason": "assess"})
    page = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Sasha Roundtrip",
        "+7 900 000 00 00",
        "They came to my flat twice.",
        "Friend at Org X",
    ):
        assert text in page
    assert "Medical care, including continuity of HIV treatment" in page
    event = AuditEvent.objects.get(action="case.opened")
    assert event.data == {"reason": "assess"}
    assert event.target_ref == reference


def test_opening_needs_a_reason_from_the_list(recovery, carla):
    reference, _code = submit_intake(name="Sasha Noreason")
    grant_from_recovery(grantee=carla, recovery_secret=recovery)
    client = verified_client(carla)
    for reason in ("", "because I wanted to"):
        page = client.post(f"/staff/cases/{reference}/", {"reason": reason}).content.decode()
        assert "Sasha Noreason" not in page
    assert not AuditEvent.objects.filter(action="case.opened").exists()
