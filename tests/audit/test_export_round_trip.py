from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import record
from tests.factories import checkpoint_now, verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(audrey):
    """Audrey the auditor, signed in."""
    return verified_client(audrey)


def _download(client, url: str, params=None) -> str:
    response = client.get(url, params or {})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return b"".join(response.streaming_content).decode("utf-8")


def _events(count: int) -> None:
    for number in range(count):
        record(
            action=Action.CASE_OPENED,
            actor="system",
            target_type="case",
            target_ref=f"EV-{number:04d}-ÄB",
            data={"reason": "assess"},
        )


def _verify_file(tmp_path, text: str, *args: str) -> str:
    path = tmp_path / "export.jsonl"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("verify_audit", "--file", str(path), *args, stdout=out)
    return out.getvalue()


def test_a_full_export_verifies_offline_with_its_checkpoints(client, tmp_path, audit_key):
    _events(5)
    checkpoint_now()
    text = _download(client, "/audit/export.jsonl")
    summary = _verify_file(tmp_path, text)
    assert "Audit chain OK" in summary
    assert "1 checkpoint signatures verified" in summary


def test_the_export_is_recorded(client):
    _events(2)
    _download(client, "/audit/export.csv")
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.action == Action.AUDIT_EXPORTED
    assert event.data["format"] == "csv"


def test_an_edited_export_fails_at_the_edited_event(client, tmp_path):
    _events(5)
    lines = _download(client, "/audit/export.jsonl").splitlines()
    third = next(i for i, line in enumerate(lines) if '"sequence":3,' in line)
    item = json.loads(lines[third])
    item["data"] = {"reason": "curiosity"}
    lines[third] = json.dumps(item)
    with pytest.raises(CommandError, match="sequence 3"):
        _verify_file(tmp_path, "\n".join(lines) + "\n")


def test_an_export_with_a_line_removed_fails_at_the_missing_event(client, tmp_path):
    _events(5)
    lines = [
        line
        for line in _download(client, "/audit/export.jsonl").splitlines()
        if '"sequence":4,' not in line
    ]
    with pytest.raises(CommandError, match="sequence 4"):
        _verify_file(tmp_path, "\n".join(lines) + "\n")


def test_an_export_checked_against_another_key_fails(client, tmp_path, audit_key):
    from audit import signing

    _events(3)
    checkpoint_now()
    other = signing.key_generate(tmp_path / "other.pem")
    (tmp_path / "other.pub").write_text(signing.public_pem(other.public_key()))
    text = _download(client, "/audit/export.jsonl")
    with pytest.raises(CommandError, match="signature"):
        _verify_file(tmp_path, text, "--public-key", str(tmp_path / "other.pub"))


def test_a_filtered_export_verifies_each_event_and_says_it_is_partial(client, tmp_path):
    _events(3)
    record(action=Action.CASE_RECEIVED, actor="applicant", target_type="case", target_ref="EV-X")
    _events(3)
    text = _download(client, "/audit/export.jsonl", {"case": "ev-x"})
    assert text.count('"type":"event"') == 1
    assert "filtered" in _verify_file(tmp_path, text)


def test_a_file_that_is_not_an_export_is_refused(tmp_path):
    with pytest.raises(CommandError, match="Not a valid audit export"):
        _verify_file(tmp_path, "hello\n")


def test_the_csv_export_has_a_row_per_event_with_hashes(client):
    _events(3)
    rows = list(csv.DictReader(io.StringIO(_download(client, "/audit/export.csv"))))
    assert [row["sequence"] for row in rows][:3] == ["1", "2", "3"]
    assert rows[0]["hash"] == AuditEvent.objects.get(sequence=1).hash
