"""With a single administrator, account changes go through the server's command line: each is
an audit event, a reset gives an enrolment link, and cooling-off applies as in the admin."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccountChange, Role
from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_resetstaff_prints_a_one_time_link_and_stops_the_old_sign_in(cora):
    out = StringIO()
    call_command("resetstaff", "cora", base_url="https://staff.example", stdout=out)
    match = re.search(r"https://staff\.example(/staff/enrol/[A-Za-z0-9_-]+/)", out.getvalue())
    assert match
    cora.refresh_from_db()
    assert not cora.has_usable_password() and cora.admin_changed_at is not None
    assert not TOTPDevice.objects.filter(user=cora).exists()
    reset = AuditEvent.objects.get(action="password.reset", target_ref=str(cora.pk))
    assert reset.actor_kind == "system"
    assert AccountChange.objects.get(user=cora).status == "applied"
    refused = Client().post("/staff/login/", {"username": "cora", "password": DEFAULT_PASSWORD})
    assert "did not work" in refused.content.decode()
    person = Client()
    assert 'name="new_password"' in person.get(match.group(1)).content.decode()


def test_setrole_changes_the_role_with_an_audit_event_and_starts_cooling_off(carla):
    call_command("setrole", "carla", role=Role.COORDINATOR, stdout=StringIO())
    carla.refresh_from_db()
    assert carla.role == Role.COORDINATOR and carla.admin_changed_at is not None
    event = AuditEvent.objects.get(action="staff.role_changed", target_ref=str(carla.pk))
    assert event.actor_kind == "system"
    assert event.data == {"old_role": "caseworker", "new_role": "coordinator"}
    with pytest.raises(CommandError, match="already has the role"):
        call_command("setrole", "carla", role=Role.COORDINATOR, stdout=StringIO())
    with pytest.raises(CommandError, match="No staff account"):
        call_command("setrole", "nobody", role=Role.COORDINATOR, stdout=StringIO())
