from __future__ import annotations

import pytest

from evacuation.models import Attachment
from tests.factories import case_opened, photo_with_gps, submit_intake, verified_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPLY = "We found a safe place for you. Please reply with your travel dates."


def test_the_applicant_reads_a_reply_and_sends_a_photo(live_server, page, tmp_path, team):
    reference, code = submit_intake()
    staff = verified_client(team.carla)
    case_opened(staff, reference, "reply")
    staff.post(f"/staff/cases/{reference}/message/", {"text": REPLY})

    page.goto(f"{live_server.url}/en/status/")
    page.fill("input[name=code]", code)
    page.click("button[type=submit]:has-text('Check')")
    page.wait_for_selector(f"text={REPLY}")

    photo = tmp_path / "IMG_0042.jpg"
    photo.write_bytes(photo_with_gps())
    page.set_input_files("input[name=file]", str(photo))
    page.click("button[type=submit]:has-text('Send file')")
    page.wait_for_selector("text=Your file is sent.")
    assert "photo-1.jpg" in page.content()
    assert "IMG_0042" not in page.content()
    stored = Attachment.objects.get()
    assert stored.kind == "jpeg" and stored.direction == "from_applicant"
