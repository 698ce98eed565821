"""`manage.py offboard USERNAME`: the day someone leaves or loses a device."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from evacuation.models import Case
from tests.factories import applicant_with, case_opened, submit_intake, verified_client
from vault.models import CaseKey, OrgKey, OrgKeyGrant

pytestmark = pytest.mark.django_db


def _secret_file(tmp_path, secret: str) -> str:
    path = tmp_path / "recovery.txt"
    path.write_text(secret + "\n")
    return str(path)


def _offboard(*args) -> str:
    out = StringIO()
    call_command("offboard", *args, "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_offboarding_disables_ends_sessions_revokes_and_re_keys_each_on_the_record(team, tmp_path):
    reference, code = submit_intake(situation="Marker-offboard-intake")
    carla = verified_client(team.carla)
    case_opened(carla, reference)
    kim = verified_client(team.kim)
    case_key_before = bytes(CaseKey.objects.get().sealed)
    assert carla.get("/staff/cases/").status_code == 200

    output = _offboard("carla", "--recovery-file", _secret_file(tmp_path, team.recovery))

    team.carla.refresh_from_db()
    assert not team.carla.is_active
    signed_in = {s.get_decoded().get("_auth_user_id") for s in Session.objects.all()}
    assert str(team.carla.pk) not in signed_in and str(team.kim.pk) in signed_in
    # Her browser is signed out (its session row is gone); a colleague's is not.
    assert carla.get("/staff/cases/").status_code == 302
    assert kim.get("/staff/cases/").status_code == 200
    assert not OrgKeyGrant.objects.filter(user=team.carla).exists()
    assert OrgKey.objects.get(version=1).destroyed_at is not None
    assert set(CaseKey.objects.values_list("org_key_id", flat=True)) == {2}
    assert bytes(CaseKey.objects.get().sealed) != case_key_before
    # What was done, in counts; no name.
    assert "Account disabled." in output
    assert "Sessions ended: 1." in output
    assert "Key grants revoked: 1." in output
    assert "1 cases given a new data key in 1 batches" in output
    assert "carla" not in output
    events = [
        (e.action, e.data)
        for e in AuditEvent.objects.filter(sequence__gt=0).order_by("sequence")
        if e.action.startswith(("staff.", "key.", "cases."))
    ]
    offboarding = [a for a, _ in events][-6:]
    assert offboarding == [
        "staff.disabled",
        "staff.sessions_ended",
        "key.revoked",
        "key.rotation_started",
        "cases.rekeyed",
        "key.rotated",
    ]
    assert ("staff.sessions_ended", {"count": 1}) in events
    assert ("key.revoked", {"reason": "offboarded"}) in events
    # Colleagues and the applicant (same code) still read the case.
    page = verified_client(team.kim).post(
        f"/staff/cases/{reference}/", {"reason": "reply"}, follow=True
    )
    assert "Marker-offboard-intake" in page.content.decode()
    assert applicant_with(code).page


def test_a_wrong_recovery_secret_changes_nothing(team, tmp_path):
    carla = verified_client(team.carla)
    sessions = Session.objects.count()
    with pytest.raises(CommandError, match="Nothing changed"):
        _offboard("carla", "--recovery-file", _secret_file(tmp_path, "A" * 52))
    team.carla.refresh_from_db()
    assert team.carla.is_active
    assert Session.objects.count() == sessions
    assert carla.get("/staff/cases/").status_code == 200
    assert OrgKeyGrant.objects.filter(user=team.carla).exists()
    assert OrgKey.objects.count() == 1
    assert not AuditEvent.objects.filter(action="staff.disabled").exists()


def test_an_unknown_username_is_refused_before_anything(team, tmp_path):
    with pytest.raises(CommandError, match="no staff member"):
        _offboard("nobody", "--recovery-file", _secret_file(tmp_path, team.recovery))
    assert OrgKey.objects.count() == 1


def test_offboarding_again_finds_the_account_done_and_rotates_once_more(team, tmp_path):
    submit_intake()
    path = _secret_file(tmp_path, team.recovery)
    _offboard("carla", "--recovery-file", path)
    again = _offboard("carla", "--recovery-file", path)
    assert "Account was already disabled." in again
    assert "Sessions ended: 0." in again and "Key grants revoked: 0." in again
    assert set(CaseKey.objects.values_list("org_key_id", flat=True)) == {3}
    assert Case.objects.count() == 1
