"""Staff and applicant write to each other and exchange files; nothing is stored readable."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from audit.models import AuditEvent
from evacuation.models import Attachment, Case, Message
from tests.factories import (
    GPS_IFD,
    Applicant,
    applicant_with,
    case_opened,
    code_with_secret,
    database_dump,
    photo_with_gps,
    submit_intake,
    unknown_locator,
    verified_client,
)
from vault.receipts import ReceiptCode, receipt_new

pytestmark = pytest.mark.django_db

STAFF_WORDS = "Marker-staff-reply: meet the driver at the usual place"
APPLICANT_WORDS = "Marker-applicant-answer: my brother travels too"


@pytest.fixture
def story(team):
    reference, code = submit_intake()
    staff = verified_client(team.carla)
    case_opened(staff, reference, "reply")  # writing and downloading need the case open
    return {"staff": staff, "reference": reference, "code": code}


def _status(code: str) -> Applicant:
    """The applicant has typed their code and is on their status page."""
    return applicant_with(code)


def _applicant_upload(code: str, data: bytes, name: str = "photo.jpg") -> str:
    applicant = _status(code)
    response = applicant.act("upload", file=(name, data))
    assert response.status_code == 200
    return applicant.page


def _open(client: Client, reference: str) -> str:
    response = client.post(f"/staff/cases/{reference}/", {"reason": "reply"}, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_a_staff_reply_reaches_the_applicant_and_their_answer_reaches_staff(story):
    staff, reference, code = story["staff"], story["reference"], story["code"]
    staff.post(f"/staff/cases/{reference}/message/", {"text": STAFF_WORDS})
    applicant = _status(code)
    assert STAFF_WORDS in applicant.page

    applicant.act("message", text=APPLICANT_WORDS)
    assert "Your message is sent." in applicant.page and APPLICANT_WORDS in applicant.page

    queue = staff.get("/staff/cases/").content.decode()
    assert "Unread message" in queue
    opened = _open(staff, reference)
    assert STAFF_WORDS in opened and APPLICANT_WORDS in opened
    assert "Unread message" not in staff.get("/staff/cases/").content.decode()


def test_messages_are_audited_by_direction_only_and_never_stored_readable(story):
    story["staff"].post(f"/staff/cases/{story['reference']}/message/", {"text": STAFF_WORDS})
    _status(story["code"]).act("message", text=APPLICANT_WORDS)
    events = AuditEvent.objects.filter(action="message.sent").order_by("sequence")
    assert [e.data for e in events] == [
        {"direction": "to_applicant"},
        {"direction": "from_applicant"},
    ]
    dump = database_dump()
    assert b"Marker-staff-reply" not in dump and b"Marker-applicant-answer" not in dump
    assert Message.objects.count() == 2


def test_a_plain_view_of_the_case_page_shows_no_message_text(story, team):
    story["staff"].post(f"/staff/cases/{story['reference']}/message/", {"text": STAFF_WORDS})
    assert STAFF_WORDS in _open(story["staff"], story["reference"])  # her opening lasts
    # A colleague who has not opened the case sees that there are messages, not what they say.
    page = verified_client(team.kim).get(f"/staff/cases/{story['reference']}/").content.decode()
    assert STAFF_WORDS not in page
    assert "Messages are shown when you open the case." in page


def test_an_empty_message_is_refused_and_nothing_is_stored(story):
    applicant = _status(story["code"])
    applicant.act("message", text="   ")
    assert "Write a message first." in applicant.page
    assert not Message.objects.exists()
    # The refusal spent nothing: the same form, sent with words in it, goes.
    applicant.act("message", text=APPLICANT_WORDS)
    assert "Your message is sent." in applicant.page
    assert Message.objects.count() == 1


def test_a_photo_from_the_applicant_reaches_staff_without_its_gps_position(story):
    page = _applicant_upload(story["code"], photo_with_gps())
    assert "Your file is sent." in page
    attachment = Attachment.objects.get()
    assert attachment.kind == "jpeg"
    assert b"MarkerDatum" not in database_dump()

    response = story["staff"].post(f"/staff/cases/{story['reference']}/files/{attachment.uid}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="photo-1.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/jpeg"
    picture = Image.open(io.BytesIO(response.content))
    assert dict(picture.getexif().get_ifd(GPS_IFD)) == {}
    assert b"MarkerDatum" not in response.content and b"MarkerCameraMaker" not in response.content
    assert AuditEvent.objects.filter(action="file.downloaded", data={"kind": "jpeg"}).count() == 1


def test_a_staff_file_is_downloaded_by_the_applicant_with_the_code(story, settings):
    staff, reference = story["staff"], story["reference"]
    upload = SimpleUploadedFile("ticket.jpg", photo_with_gps(), content_type="image/jpeg")
    staff.post(f"/staff/cases/{reference}/files/", {"file": upload})
    attachment = Attachment.objects.get(direction="to_applicant")
    applicant = _status(story["code"])
    assert applicant.form("download")[1]["file"] == str(attachment.uid)
    response = applicant.act("download")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "image/jpeg"
    assert b"MarkerDatum" not in response.content
    assert AuditEvent.objects.filter(action="file.downloaded", actor_kind="applicant").exists()


def test_an_html_page_renamed_jpg_is_refused_with_a_message_and_nothing_stored(story):
    page = _applicant_upload(story["code"], b"<html><script>alert(1)</script></html>", "x.jpg")
    assert "Only photos" in page
    assert not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(action="file.uploaded").exists()


def test_a_file_over_the_limit_is_refused(story, settings):
    settings.FILE_MAX_BYTES = 1000
    page = _applicant_upload(story["code"], photo_with_gps() + b"\0" * 2000)
    assert "This file is larger than" in page
    assert not Attachment.objects.exists()


def test_a_case_cannot_hold_more_than_its_share_of_files(story, settings):
    one = len(_cleaned_size_probe(story))
    settings.CASE_FILES_MAX_BYTES = one + one // 2
    page = _applicant_upload(story["code"], photo_with_gps())
    assert "already holds as many files as it can" in page
    assert Attachment.objects.count() == 1


def _cleaned_size_probe(story) -> bytes:
    _applicant_upload(story["code"], photo_with_gps())
    return b"x" * Attachment.objects.get().size


@pytest.mark.parametrize("outsider", ["audrey", "adam"])  # the auditor and the admin
def test_roles_that_may_not_open_cases_cannot_download(story, team, outsider):
    _applicant_upload(story["code"], photo_with_gps())
    attachment = Attachment.objects.get()
    outsider = verified_client(getattr(team, outsider))
    response = outsider.post(f"/staff/cases/{story['reference']}/files/{attachment.uid}/")
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="file.downloaded").exists()


@pytest.mark.parametrize("which", ["unknown locator", "right locator, wrong secret"])
def test_a_wrong_code_downloads_nothing(story, which):
    _applicant_upload(story["code"], photo_with_gps())
    attachment = Attachment.objects.get()
    if which == "unknown locator":
        wrong = str(ReceiptCode(locator=unknown_locator(), secret=receipt_new().secret))
    else:
        wrong = code_with_secret(story["code"], receipt_new().secret)
    # Typing it opens no status page: no capability, so no download form to send.
    guesser = Applicant()
    guesser.check(wrong)
    assert "could not find a request" in guesser.page
    assert 'name="capability"' not in guesser.page and 'data-form="download"' not in guesser.page
    # Sending the code with a download step, as the old page allowed, is only a look-up.
    response = Client().post(
        "/en/status/", {"code": wrong, "step": "download", "file": str(attachment.uid)}
    )
    assert response["Content-Type"].startswith("text/html")
    assert b"\xff\xd8" not in response.content
    # And a capability made up by the guesser is no key either.
    forged = Client().post(
        "/en/status/",
        {"capability": "A" * 120, "step": "download", "file": str(attachment.uid)},
    )
    assert forged["Content-Type"].startswith("text/html")
    assert "forgets your code" in forged.content.decode()
    assert not AuditEvent.objects.filter(action="file.downloaded").exists()


def test_another_cases_file_cannot_be_fetched_with_my_code(story):
    _applicant_upload(story["code"], photo_with_gps())
    theirs = Attachment.objects.get()
    _other_reference, my_code = submit_intake()
    me = _status(my_code)
    me.act("upload", file=("mine.jpg", photo_with_gps()))
    mine = Attachment.objects.exclude(pk=theirs.pk).get()
    assert me.form("download")[1]["file"] == str(mine.uid)
    # My own download form, its file field changed to theirs.
    response = me.act("download", file=str(theirs.uid))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="file.downloaded").exists()


def test_nothing_lands_on_disk(story, settings, tmp_path):
    _applicant_upload(story["code"], photo_with_gps())
    media = settings.MEDIA_ROOT
    from pathlib import Path

    assert not [p for p in Path(media).rglob("*") if p.is_file()]
    assert Case.objects.get().attachments.count() == 1


def test_an_upload_too_big_to_keep_in_memory_is_refused_not_spooled_to_disk(story, settings):
    settings.FILE_MAX_BYTES = settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 4000
    page = _applicant_upload(story["code"], photo_with_gps() + b"\0" * 20000)
    assert "This file is larger than" in page
    assert not Attachment.objects.exists()
