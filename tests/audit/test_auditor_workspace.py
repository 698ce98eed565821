from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from audit import triggers
from audit.actions import Action
from audit.models import AuditEvent
from audit.services import record
from tests.factories import checkpoint_now, verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(audrey):
    """Audrey the auditor, signed in."""
    return verified_client(audrey)


def _cases(*references: str) -> None:
    for reference in references:
        record(
            action=Action.CASE_RECEIVED,
            actor="applicant",
            target_type="case",
            target_ref=reference,
            data={"urgency": "now"},
        )


def test_it_lists_events_newest_first(client):
    _cases("EV-AAAA-AA", "EV-BBBB-BB")
    page = client.get("/audit/").content.decode()
    assert page.index("EV-BBBB-BB") < page.index("EV-AAAA-AA")


def test_it_filters_by_case_reference_and_action(client):
    _cases("EV-AAAA-AA", "EV-BBBB-BB")
    page = client.get("/audit/", {"case": "ev-bbbb-bb", "action": "case.received"})
    text = page.content.decode()
    assert "EV-BBBB-BB" in text and "EV-AAAA-AA" not in text


def test_it_filters_by_staff_actor(client, audrey):
    _cases("EV-AAAA-AA")
    record(action=Action.SIGNOUT, actor=audrey, target_type="user", target_ref="X-1")
    text = client.get("/audit/", {"actor": f"user:{audrey.pk}"}).content.decode()
    assert "X-1" in text and "EV-AAAA-AA" not in text


def test_it_rejects_a_backwards_date_range_with_a_message(client):
    response = client.get("/audit/", {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert response.status_code == 200
    assert "start date" in response.content.decode()


def test_it_rejects_nonsense_filters_without_failing(client):
    response = client.get("/audit/", {"actor": "root", "case": "<script>", "date_from": "x"})
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


def test_the_event_page_shows_both_hashes(client):
    _cases("EV-AAAA-AA")
    event = AuditEvent.objects.get(target_ref="EV-AAAA-AA")
    text = client.get(f"/audit/events/{event.sequence}/").content.decode()
    assert event.hash in text and event.prev_hash in text


def _verify_audit(*, signed: bool = True) -> str:
    """The full verification, as its daily timer runs it: outside any request, with the audit
    signer at work (strict verification fails on a chain no checkpoint covers)."""
    if signed:
        checkpoint_now()
    out = io.StringIO()
    call_command("verify_audit", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_verify_page_shows_the_last_full_verification_and_runs_none_itself(client):
    # Was: a button on the page verified the chain. Now verify_audit runs it, outside any
    # request, and the page shows its last result.
    _cases("EV-AAAA-AA")
    page = client.get("/audit/verify/").content.decode()
    assert "No full verification has run yet" in page
    assert not AuditEvent.objects.filter(action=Action.AUDIT_VERIFIED).exists()

    assert "Audit chain OK" in _verify_audit()

    run = AuditEvent.objects.order_by("-sequence").first()
    assert run.action == Action.AUDIT_VERIFIED and run.actor_kind == "system"
    assert run.data["ok"] is True
    page = client.get("/audit/verify/").content.decode()
    assert f"{run.data['checked']} events checked." in page and "Intact at" in page
    assert AuditEvent.objects.filter(action=Action.AUDIT_VERIFIED).count() == 1


def test_the_verify_page_names_the_broken_event(client):
    from django.db import connection

    _cases("EV-AAAA-AA", "EV-BBBB-BB")
    broken = AuditEvent.objects.get(target_ref="EV-AAAA-AA").sequence
    with triggers.lifted(connection), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET data = '{}' WHERE sequence = %s", [broken])
    with pytest.raises(CommandError, match=f"BROKEN at sequence {broken}"):
        _verify_audit(signed=False)  # the signer would refuse this chain
    assert AuditEvent.objects.order_by("-sequence").first().data["first_bad"] == broken
    text = client.get("/audit/verify/").content.decode()
    assert f"first bad sequence {broken}." in text and "BROKEN at" in text


def test_checkpoints_page_shows_the_key_fingerprint(client, audit_key):
    from audit.signing import fingerprint

    assert fingerprint(audit_key.public_key()) in client.get("/audit/checkpoints/").content.decode()


def test_the_audit_pages_show_no_personal_data_even_when_a_case_exists(client):
    from tests.factories import request_sent, vault_ready

    vault_ready()
    request_sent(name="Zhenya Secretname", city="Hiddentown")
    for page in ["/audit/", "/audit/export.csv", "/audit/export.jsonl"]:
        response = client.get(page)
        body = (
            b"".join(response.streaming_content) if response.streaming else response.content
        ).decode()
        assert "Secretname" not in body and "Hiddentown" not in body


def test_the_workspace_speaks_russian(client):
    _cases("EV-AAAA-AA")
    _verify_audit()
    client.cookies["django_language"] = "ru"
    text = client.get("/audit/").content.decode()
    assert "Журнал аудита" in text and "Заявка получена" in text and "Цепочка проверена" in text
    text = client.get("/audit/verify/").content.decode()
    assert "Проверка цепочки" in text


def test_the_verify_page_has_no_english_sentences_in_russian(client):
    _cases("EV-AAAA-AA")
    _verify_audit()
    client.cookies["django_language"] = "ru"
    text = client.get("/audit/verify/").content.decode()
    for english in ("The last full verification", "Intact at", "Check them against the chain"):
        assert english not in text
