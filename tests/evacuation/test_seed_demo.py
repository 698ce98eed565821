from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from audit.models import AuditEvent
from evacuation.models import Case
from tests.factories import sign_in
from vault.models import OrgKeyGrant

pytestmark = pytest.mark.django_db

DEMO_USERNAMES = {"demo-caseworker", "demo-coordinator", "demo-auditor", "demo-admin"}
PASSWORD_ROW = re.compile(r"^\s+(demo-[a-z]+)\s+([a-z]+)\s+(\S+)$", re.MULTILINE)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_the_first_run_creates_four_staff_and_prints_each_password_once():
    output = seed()
    rows = {name: (role, password) for name, role, password in PASSWORD_ROW.findall(output)}
    assert set(rows) == DEMO_USERNAMES
    for name, (role, password) in rows.items():
        user = User.objects.get(username=name)
        assert user.role == role
        assert user.check_password(password)
        assert len(password) >= 20
    assert len({password for _, password in rows.values()}) == 4
    assert "authenticator" in output


def test_the_first_run_grants_the_key_to_case_staff_only_and_fills_the_queue():
    seed()
    holders = set(OrgKeyGrant.objects.values_list("user__username", flat=True))
    assert holders == {"demo-caseworker", "demo-coordinator"}
    assert Case.objects.count() >= 10
    assert set(Case.objects.values_list("urgency", flat=True)) == {"now", "weeks", "planning"}


def test_a_second_run_creates_nothing_and_shows_no_password():
    first = seed()
    passwords = [password for _, _, password in PASSWORD_ROW.findall(first)]
    counts = (User.objects.count(), Case.objects.count(), AuditEvent.objects.count())

    second = seed()

    assert "demo staff already exist" in second
    assert not PASSWORD_ROW.findall(second)
    assert not any(password in second for password in passwords)
    assert "RECOVERY SECRET" not in second
    assert (User.objects.count(), Case.objects.count(), AuditEvent.objects.count()) == counts


def test_demo_cases_are_plainly_fictional_and_open_for_the_demo_caseworker():
    output = seed()
    password = {n: p for n, _, p in PASSWORD_ROW.findall(output)}["demo-caseworker"]
    caseworker = User.objects.get(username="demo-caseworker")
    TOTPDevice.objects.create(user=caseworker, name="authenticator", confirmed=True)
    client = sign_in(Client(), caseworker, password)
    case = Case.objects.order_by("created_at").first()
    page = client.post(f"/staff/cases/{case.reference}/", {"reason": "assess"}, follow=True)
    assert page.status_code == 200
    assert "Demo Applicant" in page.content.decode()


def test_it_refuses_to_run_in_production(settings):
    settings.ENVIRONMENT = "production"
    with pytest.raises(CommandError, match="production"):
        seed()
    assert not User.objects.filter(username__in=DEMO_USERNAMES).exists()
    assert not Case.objects.exists()


def test_force_lets_it_run_in_production_on_purpose(settings, monkeypatch):
    settings.ENVIRONMENT = "production"
    # Production derives nothing below the Argon2id floor (vault.crypto): lowered to the suite's
    # fast parameters here, so that this is about the command, not about hashing.
    monkeypatch.setattr("vault.crypto.MIN_MEMORY_KIB", settings.VAULT_ARGON2_MEMORY_KIB)
    monkeypatch.setattr("vault.crypto.MIN_ITERATIONS", settings.VAULT_ARGON2_ITERATIONS)
    seed("--force")
    assert User.objects.filter(username__in=DEMO_USERNAMES).count() == 4


def test_the_demo_has_labels_a_reply_template_and_triage_answers(db):
    from django.core.management import call_command

    from evacuation.models import Case, Label, ReplyTemplate

    call_command("seed_demo", verbosity=0)
    assert set(Label.objects.values_list("name", flat=True)) >= {"visa in progress"}
    assert ReplyTemplate.objects.count() == 1
    assert all(bytes(case.triage) for case in Case.objects.all())
