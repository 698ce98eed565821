"""Messages that cannot be sent say why and leave nothing behind."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from evacuation.models import Message
from tests.factories import applicant_with, submit_intake, vault_ready, verified_client

pytestmark = pytest.mark.django_db


def test_staff_whose_session_cannot_open_the_case_are_told_and_nothing_is_sent(carla, cora):
    vault_ready(carla)  # cora holds no key grant
    reference, _code = submit_intake()
    client = verified_client(cora)
    response = client.post(f"/staff/cases/{reference}/", {"reason": "reply"})
    assert response.status_code == 200
    assert "Your session cannot open case data" in response.content.decode()
    response = client.post(f"/staff/cases/{reference}/message/", {"text": "Hello"}, follow=True)
    assert response.status_code == 200
    assert "Open this case first, with a reason" in response.content.decode()
    assert not Message.objects.exists()
    assert not AuditEvent.objects.filter(action="message.sent").exists()


def test_an_auditor_cannot_write_to_an_applicant(team):
    reference, _code = submit_intake()
    auditor = verified_client(team.audrey)
    response = auditor.post(f"/staff/cases/{reference}/message/", {"text": "Hello"})
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_a_message_longer_than_the_limit_is_refused_with_a_message(team, settings):
    _reference, code = submit_intake()
    applicant = applicant_with(code)
    response = applicant.act("message", text="x" * 5001)
    assert response.status_code == 200
    assert "at most" in applicant.page
    assert not Message.objects.exists()
    assert not AuditEvent.objects.filter(action="message.sent").exists()
