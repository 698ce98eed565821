"""Internal notes and the note that may come with declining: stored only as ciphertext under the
case key; with a locked session nothing is stored and the person is told why."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from evacuation.models import Case, Note
from evacuation.services import casework
from tests.factories import VaultBrowser, case_in_state
from vault.models import OrgKeyGrant
from vault.session import StaffKeys, staff_keys

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("team")]

SECRET = "Met referee Marker-Zhanna at the partner office"


@pytest.fixture
def unlocked(team) -> VaultBrowser:
    browser = VaultBrowser(team.carla)
    assert browser.sign_in()
    return browser


def _note(request, **fields):
    """note_add as the view calls it: with the keys this request's session holds."""
    return casework.note_add(keys=staff_keys(request), **fields)


def test_a_note_is_stored_encrypted_and_its_event_carries_no_text(carla, unlocked):
    case = case_in_state("received", assessor=carla)
    unlocked.open_case(case)
    note = unlocked.run(
        lambda request: casework.note_add(
            keys=staff_keys(request), case=case, actor=carla, text=SECRET
        )
    )
    stored = bytes(Note.objects.get(pk=note.pk).body)
    assert SECRET.encode() not in stored and b"Marker-Zhanna" not in stored
    cipher_of = lambda r: staff_keys(r).case_cipher(str(case.uid), opening=True)  # noqa: E731
    text = unlocked.run(lambda r: cipher_of(r).decrypt_text(note.purpose, stored))
    assert text == SECRET
    event = AuditEvent.objects.get(action="case.note_added")
    assert event.data == {} and event.actor == carla and event.target_ref == case.reference
    assert Case.objects.get(pk=case.pk).last_staff_action_at is not None


def _lost_its_key(browser: VaultBrowser, case) -> VaultBrowser:
    """A session that opened the case, then lost the key grant (a coordinator took it back)."""
    browser.open_case(case)
    OrgKeyGrant.objects.filter(user=browser.user).delete()
    return browser


def test_a_session_that_never_opened_the_case_writes_no_note(carla, unlocked):
    case = case_in_state("received", assessor=carla)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="Open this case first"):
        unlocked.run(lambda r: _note(r, case=case, actor=carla, text=SECRET))
    assert not Note.objects.exists() and AuditEvent.objects.count() == events


def test_with_a_locked_session_a_note_is_refused_with_a_reason_and_nothing_stored(carla, unlocked):
    case = case_in_state("received", assessor=carla)
    locked = _lost_its_key(unlocked, case)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="cannot open this case's key"):
        locked.run(
            lambda r: casework.note_add(keys=staff_keys(r), case=case, actor=carla, text=SECRET)
        )
    assert not Note.objects.exists() and AuditEvent.objects.count() == events


def test_declining_with_a_note_on_a_locked_session_declines_nothing(carla, unlocked):
    case = case_in_state("assessed", assessor=carla)
    locked = _lost_its_key(unlocked, case)
    with pytest.raises(ValidationError, match="cannot open this case's key"):
        locked.run(
            lambda r: casework.case_decline(
                keys=staff_keys(r), case=case, actor=carla, reason="not_verified", note=SECRET
            )
        )
    assert Case.objects.get(pk=case.pk).state == "assessed"
    assert not Note.objects.exists()
    assert not AuditEvent.objects.filter(action="case.declined").exists()


def test_declining_with_a_note_keeps_the_note_encrypted_and_says_there_is_one(carla, unlocked):
    case = case_in_state("assessed", assessor=carla)
    unlocked.open_case(case)
    unlocked.run(
        lambda r: casework.case_decline(
            keys=staff_keys(r), case=case, actor=carla, reason="not_verified", note=SECRET
        )
    )
    assert Case.objects.get(pk=case.pk).state == "declined"
    assert SECRET.encode() not in bytes(Note.objects.get(case=case).body)
    event = AuditEvent.objects.get(action="case.declined")
    assert event.data == {"reason": "not_verified", "has_note": True}


@pytest.mark.parametrize("text", ["", "   ", "x" * 5001, "a\x00b"])
def test_empty_overlong_or_unstorable_notes_are_refused(carla, unlocked, text):
    case = case_in_state("received", assessor=carla)
    with pytest.raises(ValidationError):
        unlocked.run(
            lambda r: casework.note_add(keys=staff_keys(r), case=case, actor=carla, text=text)
        )
    assert not Note.objects.exists()


def test_an_auditor_cannot_write_notes(carla, audrey):
    from django.core.exceptions import PermissionDenied

    case = case_in_state("received", assessor=carla)
    with pytest.raises(PermissionDenied):
        casework.note_add(case=case, actor=audrey, keys=StaffKeys(), text=SECRET)
