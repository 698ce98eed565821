"""Someone who can write to the database (but holds no key) tries to change what a case says:
flip a reply to "from the applicant", give it another author, reorder the thread, or seal a case
key of their own choosing to the applicant. Each is caught: the message no longer opens, or the
key is refused as tampering before anything is read or written under it."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from evacuation.models import Case, Direction, Message
from evacuation.services import correspondence
from tests.factories import (
    Applicant,
    applicant_cipher,
    applicant_with,
    submit_intake,
    verified_client,
)
from vault import crypto
from vault.cases import applicant_dek_info, case_dek_info
from vault.models import ApplicantKey, CaseKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(team):
    """A case with a reply from carla and an answer from the applicant."""
    reference, code = submit_intake()
    case = Case.objects.get(reference=reference)
    cipher = applicant_cipher(code)
    correspondence.message_to_applicant(
        case=case, cipher=cipher, actor=team.carla, text="Reply Marker from carla"
    )
    correspondence.message_from_applicant(case=case, cipher=cipher, text="Answer Marker")
    return case, code


def _opened(client, reference: str) -> str:
    return client.post(
        f"/staff/cases/{reference}/", {"reason": "reply"}, follow=True
    ).content.decode()


def test_an_untouched_thread_reads_in_order(thread, team):
    case, code = thread
    page = _opened(verified_client(team.carla), case.reference)
    assert page.index("Reply Marker from carla") < page.index("Answer Marker")
    assert "Reply Marker" in applicant_with(code).page


@pytest.mark.parametrize(
    "change",
    [
        {"direction": Direction.FROM_APPLICANT},  # the reply passed off as the applicant's
        {"author": None},  # its author taken away
        {"sequence": 9},  # moved in the thread
    ],
    ids=["direction", "author", "place"],
)
def test_a_message_changed_in_the_database_no_longer_opens(thread, team, change):
    case, code = thread
    reply = Message.objects.get(case=case, direction=Direction.TO_APPLICANT)
    Message.objects.filter(pk=reply.pk).update(**change)
    staff_page = _opened(verified_client(team.carla), case.reference)
    assert "Reply Marker" not in staff_page
    assert "Answer Marker" in staff_page  # the untouched one still reads
    assert "Reply Marker" not in applicant_with(code).page


def test_two_messages_swapped_in_place_both_stop_opening(thread, team):
    case, _code = thread
    first, second = Message.objects.filter(case=case).order_by("sequence")
    Message.objects.filter(pk=first.pk).update(sequence=99)
    Message.objects.filter(pk=second.pk).update(sequence=first.sequence)
    Message.objects.filter(pk=first.pk).update(sequence=second.sequence)
    page = _opened(verified_client(team.carla), case.reference)
    assert "Reply Marker" not in page and "Answer Marker" not in page


def _swap_the_case_key(case: Case) -> bytes:
    """What a database writer can do without any private key: make a DEK of their own and
    seal it to the applicant's and the organisation's public keys (HPKE base mode does not say
    who sealed), so both sides would open it and write under it."""
    uid = str(case.uid)
    own = crypto.random_key()
    applicant_key = ApplicantKey.objects.get(case_uid=uid)
    ApplicantKey.objects.filter(pk=applicant_key.pk).update(
        sealed=crypto.seal(bytes(applicant_key.public_key), own, info=applicant_dek_info(uid))
    )
    case_key = CaseKey.objects.select_related("org_key").get(case_uid=uid)
    CaseKey.objects.filter(pk=case_key.pk).update(
        sealed=crypto.seal(bytes(case_key.org_key.public_key), own, info=case_dek_info(uid))
    )
    return own


def test_a_key_sealed_to_the_applicant_by_a_database_writer_is_refused_before_use(thread):
    case, code = thread
    _swap_the_case_key(case)
    applicant = Applicant()
    response = applicant.check(code)
    assert response.status_code == 409
    assert "Something is wrong with the protection of your request" in applicant.page
    assert 'name="capability"' not in applicant.page  # nothing can be written under it
    found = AuditEvent.objects.get(action="case.tampering_found")
    assert (found.target_ref, found.data, found.actor_kind) == (
        case.reference,
        {"what": "key"},
        "applicant",
    )


def test_staff_are_refused_the_swapped_key_too_and_nothing_is_written(thread, team):
    case, _code = thread
    _swap_the_case_key(case)
    client = verified_client(team.carla)
    page = _opened(client, case.reference)
    assert "does not match what was recorded when it arrived" in page
    assert "Answer Marker" not in page
    messages = Message.objects.count()
    # The failed opening opened nothing: a message under the swapped key is refused unwritten.
    refused = client.post(
        f"/staff/cases/{case.reference}/message/", {"text": "under a swapped key"}, follow=True
    )
    assert "Open this case first, with a reason" in refused.content.decode()
    assert Message.objects.count() == messages
    assert "does not match what was recorded" in _opened(client, case.reference)
    found = AuditEvent.objects.filter(action="case.tampering_found", data__what="key")
    assert found.count() == 2 and {event.actor for event in found} == {team.carla}


@pytest.mark.parametrize("field", ["author", "sequence", "created_at"])
def test_a_note_changed_in_the_database_no_longer_opens(thread, team, field):
    from datetime import timedelta

    from evacuation.models import Note
    from tests.factories import case_opened, hidden_fields, staff_case_page

    case, _code = thread
    carla = verified_client(team.carla)
    case_opened(carla, case.reference, "reply")
    page = staff_case_page(carla, case.reference)
    for text in ("Note Marker one", "Note Marker two"):
        carla.post(
            f"/staff/cases/{case.reference}/notes/", {**hidden_fields(page, "note"), "text": text}
        )
        page = staff_case_page(carla, case.reference)
    assert "Note Marker one" in page and "Note Marker two" in page
    note = Note.objects.get(case=case, sequence=1)
    change = {
        "author": {"author": team.kim},  # passed off as a colleague's
        "sequence": {"sequence": 7},  # moved among the notes
        "created_at": {"created_at": note.created_at - timedelta(days=3)},  # back-dated
    }[field]
    Note.objects.filter(pk=note.pk).update(**change)
    page = staff_case_page(carla, case.reference)
    assert "Note Marker one" not in page
    assert "Note Marker two" in page  # the untouched one still reads
