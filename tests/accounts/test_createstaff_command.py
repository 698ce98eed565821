from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_it_creates_staff_from_a_password_file(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("a long enough passphrase 7\n")
    call_command("createstaff", "carol", role="coordinator", password_file=secret)
    carol = User.objects.get(username="carol")
    assert carol.role == "coordinator"
    assert carol.check_password("a long enough passphrase 7")
    assert not carol.is_staff  # only administrators reach Django's admin
    assert AuditEvent.objects.filter(action="staff.created", target_ref=str(carol.pk)).exists()


def test_it_refuses_a_short_password(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("short\n")
    with pytest.raises(CommandError, match="too short"):
        call_command("createstaff", "dave", role="caseworker", password_file=secret)
    assert not User.objects.filter(username="dave").exists()


def test_it_refuses_an_existing_username(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("a long enough passphrase 7\n")
    call_command("createstaff", "erin", role="auditor", password_file=secret)
    with pytest.raises(CommandError, match="already exists"):
        call_command("createstaff", "erin", role="auditor", password_file=secret)


def test_it_reads_the_password_from_a_prompt_when_no_file_is_given(monkeypatch):
    answers = iter(["a long enough passphrase 7", "a long enough passphrase 7"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command("createstaff", "frank", role="admin")
    frank = User.objects.get(username="frank")
    assert frank.is_staff and frank.is_superuser


def test_the_admin_role_alone_gets_djangos_admin_flags():
    user = User.objects.create_user("gina", password="a long enough passphrase 7", role="admin")
    user.role = "caseworker"
    user.save()
    assert not user.is_staff and not user.is_superuser
