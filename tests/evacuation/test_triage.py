"""Triage summaries (issue 19 item 1): the coarse answers sealed to the organisation-wide triage
key, which whoever holds the organisation key holds, and nothing else opens."""

from __future__ import annotations

import pytest

from evacuation.selectors.triage import summaries
from tests.factories import make_case, vault_ready
from vault import triage
from vault.models import TriageKey, TriageSeal
from vault.org import org_key_rotate, org_keys_from_recovery
from vault.triage import TriageReader

pytestmark = pytest.mark.django_db

ANSWERS = {
    "region_now": "central_asia",
    "children": "yes",
    "preferred_language": "ru",
    "referred": "no",
    "party_size": "3",
    "help_needed": ["visa", "legal"],
}


def _reader(secret: str) -> TriageReader:
    private = triage.private_key(org_keys_from_recovery(secret))
    assert private is not None
    return TriageReader(private)


def test_an_intake_seals_its_summary_and_the_organisation_key_opens_it():
    secret = vault_ready()
    case = make_case(**ANSWERS)
    blob = bytes(case.triage)
    assert blob and b"central_asia" not in blob and b"visa" not in blob
    found = summaries([case], _reader(secret))[case.pk]
    assert found.region == "Central Asia"
    assert found.help == ("Help with a visa", "Legal help")
    assert (found.people, found.children, found.language, found.referred) == (
        3,
        True,
        "Русский",
        False,
    )


def test_a_summary_opens_only_for_its_own_case_and_unanswered_questions_stay_empty():
    secret = vault_ready()
    one, other = make_case(**ANSWERS), make_case()
    reader = _reader(secret)
    assert reader.open(str(other.uid), bytes(one.triage)) == (None, None)  # copied elsewhere
    empty = summaries([other], reader)[other.pk]
    assert (empty.region, empty.children, empty.language, empty.referred) == ("", None, "", None)


def test_without_the_triage_key_an_intake_stores_no_summary_and_nothing_breaks():
    vault_ready()
    TriageSeal.objects.all().delete()
    TriageKey.objects.all().delete()
    case = make_case(**ANSWERS)
    assert bytes(case.triage) == b""


def test_a_rotation_seals_the_triage_key_to_the_new_version_and_drops_the_old_seal():
    secret = vault_ready()
    case = make_case(**ANSWERS)
    org_key_rotate(org_keys=org_keys_from_recovery(secret), batch_size=10)
    assert list(TriageSeal.objects.values_list("org_key_id", flat=True)) == [2]
    case.refresh_from_db()
    assert summaries([case], _reader(secret))[case.pk].region == "Central Asia"


def test_a_purge_shreds_the_summary_with_the_rest():
    from evacuation.services.retention import case_delete_now

    vault_ready()
    case = make_case(**ANSWERS)
    assert case_delete_now(case=case)
    case.refresh_from_db()
    assert bytes(case.triage) == b""


def test_the_queue_shows_summaries_to_case_staff_without_an_opening_and_records_the_page(
    carla, audrey
):
    from audit.models import AuditEvent
    from tests.factories import verified_client

    vault_ready(carla)
    case = make_case(**ANSWERS)
    page = verified_client(carla).get("/staff/cases/").content.decode()
    assert 'class="triage"' in page
    assert "Central Asia · 3 people, with children" in page
    assert "Help with a visa, Legal help" in page
    assert "Русский" in page
    assert "Threatened by my neighbours." not in page  # the case itself stays closed
    event = AuditEvent.objects.filter(action="triage.shown").get()
    assert event.data == {"count": 1, "references": case.reference}
    assert not AuditEvent.objects.filter(action="case.opened").exists()
    # Nobody else sees them: an auditor has no queue, and a caseworker without a grant sees
    # the queue without summaries (and nothing is recorded for it).
    assert verified_client(audrey).get("/staff/cases/").status_code == 403


def test_a_caseworker_without_a_grant_sees_the_queue_without_summaries(carla, kim):
    from audit.models import AuditEvent
    from tests.factories import verified_client

    vault_ready(carla)
    make_case(**ANSWERS)
    page = verified_client(kim).get("/staff/cases/").content.decode()
    assert "Central Asia" not in page and 'class="triage"' not in page
    assert not AuditEvent.objects.filter(action="triage.shown").exists()


def test_the_opened_case_shows_the_language_to_write_in_and_replies_default_to_it(carla):
    from tests.factories import case_opened, verified_client

    vault_ready(carla)
    case = make_case(**ANSWERS)
    client = verified_client(carla)
    case_opened(client, case.reference)
    page = client.get(f"/staff/cases/{case.reference}/").content.decode()
    assert "In which language should we write to you?" in page
    assert "<dd>Русский</dd>" in page
    assert "<dd>Central Asia</dd>" in page


def test_the_session_keeps_the_triage_key_only_while_the_grant_lasts(carla, cora):
    from accounts.services import key_revoke
    from tests.factories import verified_client

    vault_ready(carla)
    make_case(**ANSWERS)
    client = verified_client(carla)
    assert "Central Asia" in client.get("/staff/cases/").content.decode()
    assert "Central Asia" in client.get("/staff/cases/").content.decode()  # kept in the session
    key_revoke(user=carla, actor=cora, reason="role_changed")
    assert "Central Asia" not in client.get("/staff/cases/").content.decode()


def test_the_first_queue_page_that_reads_a_summary_stores_its_cheaper_form(carla):
    from tests.factories import verified_client

    secret = vault_ready(carla)
    case, other = make_case(**ANSWERS), make_case()
    assert bytes(case.triage)[:1] == triage.SEALED
    client = verified_client(carla)
    assert "Central Asia" in client.get("/staff/cases/").content.decode()
    case.refresh_from_db()
    kept = bytes(case.triage)
    assert kept[:1] == triage.KEPT and b"central_asia" not in kept
    # The kept form opens with the triage key alone, for its own case alone, and the page
    # still shows it.
    reader = _reader(secret)
    assert reader.open(str(case.uid), kept)[0] is not None
    assert reader.open(str(other.uid), kept) == (None, None)
    assert "Central Asia" in client.get("/staff/cases/").content.decode()
