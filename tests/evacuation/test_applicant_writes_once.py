"""What the applicant writes is written once: a reload sends nothing again. Asking for
everything to go deletes it at once (or when a coordinator's hold ends), and afterwards the old
code is a wrong code like any other. What they add and what staff reply reach the other side."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from evacuation.files import sandbox
from evacuation.models import Addition, Attachment, Case, Message
from evacuation.services import casework, correspondence, retention
from tests.factories import (
    Applicant,
    applicant_cipher,
    applicant_with,
    case_opened,
    code_typed,
    code_with_secret,
    database_dump,
    photo_with_gps,
    purge_expired,
    request_sent,
    verified_client,
    withdrawn_by_applicant,
    without_typed_code,
)
from vault.models import ApplicantKey, CaseKey
from vault.receipts import ReceiptCode, locator_new, receipt_new

pytestmark = pytest.mark.django_db

ALREADY_SENT = "This was already sent."
MARKER = "Marker-written-once"
ADDED = "Marker-added-later: my sister's child travels with us"


@pytest.fixture
def sent(team):
    """A request sent through the form: (case, receipt code)."""
    reference, code = request_sent(situation=MARKER)
    return Case.objects.get(reference=reference), code


def _events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def _reload_with_the_file(applicant: Applicant, name: str, data: bytes):
    """A browser's reload of the upload: the same fields and the same file again."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    request = applicant.response.wsgi_request
    fields = {key: request.POST[key] for key in request.POST}
    fields["file"] = SimpleUploadedFile(name, data)
    applicant.response = applicant.client.post(request.path, fields)
    return applicant.response


# --- a reload sends nothing again ---------------------------------------------------------------


def test_a_message_sent_again_is_not_stored_twice(sent):
    case, code = sent
    applicant = applicant_with(code)
    applicant.act("message", text="Marker-once: we leave on Friday")
    assert "Your message is sent." in applicant.page
    applicant.resend()
    assert applicant.response.status_code == 200
    assert ALREADY_SENT in applicant.page and "Your message is sent." not in applicant.page
    assert applicant.page.count("Marker-once: we leave on Friday") == 1  # the thread, once
    assert Message.objects.filter(case=case).count() == 1
    assert _events("message.sent") == 1


def test_an_upload_sent_again_is_not_stored_twice(sent):
    case, code = sent
    photo = photo_with_gps()
    applicant = applicant_with(code)
    applicant.act("upload", file=("photo.jpg", photo))
    assert "Your file is sent." in applicant.page
    first = applicant.response
    applicant.resend()  # what Applicant keeps of the POST (its fields)
    assert ALREADY_SENT in applicant.page
    applicant.response = first
    _reload_with_the_file(applicant, "photo.jpg", photo)  # and with the file too
    assert ALREADY_SENT in applicant.page and "Your file is sent." not in applicant.page
    assert Attachment.objects.filter(case=case).count() == 1
    assert _events("file.uploaded") == 1


def test_a_withdrawal_sent_again_changes_nothing(sent):
    case, code = sent
    applicant = applicant_with(code)
    applicant.act("confirm_withdraw")
    applicant.act("withdraw")
    assert "Your request has been withdrawn." in applicant.page
    withdrawn_at = Case.objects.get(pk=case.pk).state_changed_at
    applicant.resend()
    assert applicant.response.status_code == 200
    assert ALREADY_SENT in applicant.page
    assert "Your request has been withdrawn." not in applicant.page
    case.refresh_from_db()
    assert case.state == "withdrawn" and case.state_changed_at == withdrawn_at
    assert not case.is_purged and bytes(case.payload)
    assert _events("case.withdrawn") == 1


def test_an_addition_sent_again_is_not_stored_twice(sent):
    case, code = sent
    applicant = applicant_with(code)
    applicant.act("add", text=ADDED)
    assert "What you added is sent." in applicant.page
    applicant.resend()
    assert ALREADY_SENT in applicant.page and "What you added is sent." not in applicant.page
    assert applicant.page.count(ADDED.replace("'", "&#x27;")) == 1
    assert Addition.objects.filter(case=case).count() == 1
    assert _events("case.added_to") == 1


# --- a send that failed half way may be sent again ---------------------------------------------


def _failing(service, what: str):
    """`service`'s audit event fails: the write got half way and the request ends in an error
    (as when a worker is killed there, the transaction is not committed)."""
    return mock.patch.object(service, "case_event", side_effect=RuntimeError(f"{what} failed"))


@pytest.fixture
def unlucky(sent):
    """(case, an applicant on their status page whose next request may end in a 500)."""
    case, code = sent
    return case, applicant_with(code, client=Client(raise_request_exception=False))


def test_a_message_that_failed_half_way_is_sent_by_the_reload(unlucky):
    case, applicant = unlucky
    with _failing(correspondence, "the message"):
        assert applicant.act("message", text="Marker-after-a-fault").status_code == 500
    assert not Message.objects.filter(case=case).exists()
    applicant.resend()
    assert applicant.response.status_code == 200
    assert "Your message is sent." in applicant.page and ALREADY_SENT not in applicant.page
    assert applicant.page.count("Marker-after-a-fault") == 1
    assert Message.objects.filter(case=case).count() == 1 and _events("message.sent") == 1


def test_an_upload_that_failed_half_way_is_sent_by_the_reload(unlucky):
    case, applicant = unlucky
    photo = photo_with_gps()
    with _failing(correspondence, "the upload"):
        assert applicant.act("upload", file=("photo.jpg", photo)).status_code == 500
    assert not Attachment.objects.filter(case=case).exists()
    _reload_with_the_file(applicant, "photo.jpg", photo)
    assert "Your file is sent." in applicant.page and ALREADY_SENT not in applicant.page
    assert Attachment.objects.filter(case=case).count() == 1 and _events("file.uploaded") == 1


def test_a_withdrawal_that_failed_half_way_is_made_by_the_reload(unlucky):
    case, applicant = unlucky
    applicant.act("confirm_withdraw")
    with _failing(casework, "the withdrawal"):
        assert applicant.act("withdraw").status_code == 500
    assert Case.objects.get(pk=case.pk).state == "received"
    applicant.resend()
    assert "Your request has been withdrawn." in applicant.page
    assert ALREADY_SENT not in applicant.page
    assert Case.objects.get(pk=case.pk).state == "withdrawn" and _events("case.withdrawn") == 1


@pytest.mark.django_db(transaction=True)
def test_a_file_is_cleaned_before_its_transaction_opens(team):
    """Cleaning takes up to FILE_CLEAN_SECONDS; on SQLite an open transaction holds the write
    lock all that time, and every other write (staff's too) would wait on it."""
    _, code = request_sent(situation=MARKER)
    applicant = applicant_with(code)
    clean = sandbox.sanitise_isolated
    seen = []

    def cleaning(data):
        seen.append(connection.in_atomic_block)
        return clean(data)

    with mock.patch.object(sandbox, "sanitise_isolated", side_effect=cleaning):
        applicant.act("upload", file=("photo.jpg", photo_with_gps()))
    assert "Your file is sent." in applicant.page
    assert seen == [False]


# --- "withdraw and delete everything now" -------------------------------------------------------


def _ask_to_delete(code: str) -> Applicant:
    applicant = applicant_with(code)
    applicant.act("message", text="Marker-message-to-go")
    applicant.act("add", text=ADDED)
    applicant.act("upload", file=("photo.jpg", photo_with_gps()))
    assert "Your file is sent." in applicant.page
    applicant.act("confirm_withdraw")
    applicant.act("withdraw_delete")
    return applicant


def _nothing_left(case: Case) -> None:
    case.refresh_from_db()
    uid = str(case.uid)
    assert case.is_purged and case.state == "withdrawn"
    assert bytes(case.payload) == b"" and bytes(case.seen) == b""
    for model in (Message, Attachment, Addition):
        assert not model.objects.filter(case=case).exists(), model.__name__
    assert not CaseKey.objects.filter(case_uid=uid).exists()
    assert not ApplicantKey.objects.filter(case_uid=uid).exists()
    dump = database_dump()
    assert MARKER.encode() not in dump and b"Marker-message-to-go" not in dump
    event = AuditEvent.objects.get(action="case.purged")
    assert event.data == {"final_state": "withdrawn", "rule": "asked"}
    assert event.actor_kind == "system"


def test_withdraw_and_delete_everything_now_purges_at_once(team, sent):
    case, code = sent
    staff = verified_client(team.carla)
    staff.post(f"/staff/cases/{case.reference}/message/", {"text": "Marker-reply-to-go"})
    assert CaseKey.objects.filter(case_uid=str(case.uid)).exists()

    applicant = _ask_to_delete(code)

    assert applicant.response.status_code == 200
    assert "Everything is deleted" in applicant.page
    assert "no longer opens anything" in applicant.page
    _nothing_left(case)
    assert _events("case.withdrawn") == 1
    # Sending the same form again deletes nothing more, records nothing more, and still says
    # that everything is gone (nothing of the case is left to show).
    applicant.resend()
    assert "Everything is deleted" in applicant.page and MARKER not in applicant.page
    assert _events("case.purged") == 1


def test_with_a_coordinators_hold_it_is_kept_until_the_hold_ends(team, sent):
    case, code = sent
    cora = verified_client(team.cora)
    cora.post(f"/staff/cases/{case.reference}/hold/", {"reason": "legal_proceedings"})
    assert Case.objects.get(pk=case.pk).hold_reason

    applicant = _ask_to_delete(code)

    assert "Everything is deleted" not in applicant.page
    assert "it will be deleted as soon as that ends" in applicant.page
    assert "legal" not in applicant.page.lower()
    case.refresh_from_db()
    assert case.state == "withdrawn" and not case.is_purged and bytes(case.payload)
    assert CaseKey.objects.filter(case_uid=str(case.uid)).exists()
    assert not AuditEvent.objects.filter(action="case.purged").exists()
    # Coming back later, the page says the same: asked, kept for now, deleted when it ends.
    again = applicant_with(code)
    assert "You asked us to delete everything" in again.page
    assert "it will be deleted as soon as that ends" in again.page
    # The nightly purge leaves it while the hold lasts, and takes it once released.
    assert "0 case(s) purged." in purge_expired()
    cora.post(f"/staff/cases/{case.reference}/hold/", {"release": "1"})
    assert "1 case(s) purged." in purge_expired()
    _nothing_left(case)


# --- after a purge, the old code is a wrong code ------------------------------------------------


def _purged_by_asking(code: str) -> None:
    applicant = applicant_with(code)
    applicant.act("confirm_withdraw")
    applicant.act("withdraw_delete")
    assert "Everything is deleted" in applicant.page


def _purged_after_retention(code: str) -> None:
    withdrawn_by_applicant(code, days_ago=200)
    assert "1 case(s) purged." in purge_expired()


def _purged_untouched(code: str) -> None:
    from django.conf import settings

    long_ago = timezone.now() - timedelta(days=settings.UNTOUCHED_DAYS + 1)
    Case.objects.filter(uid=applicant_cipher(code).case_uid).update(created_at=long_ago)
    assert "1 case(s) purged." in purge_expired()


def _purged_when_the_hold_ended(code: str, team) -> None:
    case = Case.objects.get(uid=applicant_cipher(code).case_uid)
    retention.case_hold_set(case=case, actor=team.cora, reason="legal_proceedings")
    applicant = applicant_with(code)
    applicant.act("confirm_withdraw")
    applicant.act("withdraw_delete")
    assert "Everything is deleted" not in applicant.page
    retention.case_hold_release(case=case, actor=team.cora)
    assert "1 case(s) purged." in purge_expired()


PURGES = {
    "asked": lambda code, team: _purged_by_asking(code),
    "ended": lambda code, team: _purged_after_retention(code),
    "untouched": lambda code, team: _purged_untouched(code),
    "asked, after a hold": _purged_when_the_hold_ended,
}


def _typed(code: str) -> Applicant:
    person = Applicant()
    person.check(code)
    assert code_typed(person.page) == code  # what they typed is kept for them
    return person


@pytest.mark.parametrize("limits", [False, True], ids=["limits off", "limits on"])
@pytest.mark.parametrize("purge", PURGES.values(), ids=list(PURGES))
def test_after_any_purge_the_old_code_gives_exactly_the_wrong_code_page(
    team, sent, purge, limits, settings
):
    case, code = sent
    purge(code, team)
    assert Case.objects.get(pk=case.pk).is_purged
    settings.RATE_LIMITS_ENABLED = limits

    old = _typed(code)
    random_code = _typed(str(ReceiptCode(locator=locator_new(), secret=receipt_new().secret)))
    same_locator = _typed(code_with_secret(code, receipt_new().secret))  # the old locator

    assert "We could not find a request with this code" in old.page
    assert 'name="capability"' not in old.page
    for other in (random_code, same_locator):
        assert old.response.status_code == other.response.status_code == 200
        assert without_typed_code(old.page) == without_typed_code(other.page)


# --- additions ----------------------------------------------------------------------------------


def test_an_addition_is_stored_encrypted_beside_the_request_and_staff_see_it_when_opening(
    team, sent
):
    case, code = sent
    payload = bytes(case.payload)
    applicant = applicant_with(code)
    applicant.act("add", text=ADDED)
    assert "Your request itself is unchanged." in applicant.page

    # Beside the request, not in it: the intake's ciphertext is the same bytes as before.
    case.refresh_from_db()
    assert bytes(case.payload) == payload
    addition = Addition.objects.get(case=case)
    assert ADDED.encode() not in bytes(addition.body)
    assert applicant_cipher(code).decrypt_text(addition.purpose, bytes(addition.body)) == ADDED
    dump = database_dump()
    assert b"Marker-added-later" not in dump and MARKER.encode() not in dump
    assert AuditEvent.objects.get(action="case.added_to").data == {}

    # The applicant sees what they sent first, unchanged, and what they added next to it.
    again = applicant_with(code)
    assert MARKER in again.page and "You added" in again.page
    assert ADDED.replace("'", "&#x27;") in again.page

    # Staff: not on the plain case page; on opening, the request as sent and the addition.
    staff = verified_client(team.carla)
    plain = staff.get(f"/staff/cases/{case.reference}/").content.decode()
    assert "Marker-added-later" not in plain
    opened = staff.post(
        f"/staff/cases/{case.reference}/", {"reason": "assess"}, follow=True
    ).content.decode()
    assert "Added by the applicant later" in opened
    assert "Marker-added-later" in opened and MARKER in opened
    told, added = opened.split("Added by the applicant later", 1)
    assert MARKER in told and "Marker-added-later" not in told
    assert "Marker-added-later" in added


def test_an_empty_addition_is_refused_and_nothing_is_stored(sent):
    case, code = sent
    applicant = applicant_with(code)
    applicant.act("add", text="   ")
    assert "Write a message first." in applicant.page
    assert not Addition.objects.exists() and not _events("case.added_to")
    assert bytes(Case.objects.get(pk=case.pk).payload) == bytes(case.payload)


# --- new replies since the last visit -----------------------------------------------------------


def _new_replies(page: str) -> int:
    match = re.search(r"(\d+) new repl(?:y|ies) since your last visit", page)
    return int(match.group(1)) if match else 0


def test_new_replies_are_counted_since_the_last_visit(team, sent):
    case, code = sent
    staff = verified_client(team.carla)
    case_opened(staff, case.reference, "reply")

    def reply(text: str) -> None:
        staff.post(f"/staff/cases/{case.reference}/message/", {"text": text})

    assert _new_replies(applicant_with(code).page) == 0  # nothing yet
    reply("first")
    reply("second")
    page = applicant_with(code).page
    assert _new_replies(page) == 2 and "2 new replies since your last visit." in page
    assert _new_replies(applicant_with(code).page) == 0  # seen now

    applicant = applicant_with(code)
    applicant.act("message", text="thank you")  # their own messages are not replies
    assert _new_replies(applicant.page) == 0
    reply("third")
    page = applicant_with(code).page
    assert "1 new reply since your last visit." in page
    assert _new_replies(page) == 1
    assert _new_replies(applicant_with(code).page) == 0
    # What they saw is kept sealed under the case key: nothing in clear says when they came.
    seen = bytes(Case.objects.get(pk=case.pk).seen)
    assert seen != b"3" and applicant_cipher(code).decrypt_text("seen", seen) == "3"
