"""The steps of tests/deploy/test_backup_restore.py that run inside a site's own processes.

`python -m tests.deploy.backup_scenario STEP OUT [ARG]` with the site's environment
(DATABASE_URL, SAFE_PASSAGE_LOCAL_DIR, DJANGO_SETTINGS_MODULE=tests.settings): each step works
through the real forms and pages (Django's test client, no server needed) and writes what it
saw as JSON to OUT. Receipt codes go only into the test's own temporary folder.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

setup_test_environment()

from tests import factories  # noqa: E402

STAFF = "carla"
PASSWORD = factories.DEFAULT_PASSWORD


def _write(out: str, value) -> None:
    Path(out).write_text(json.dumps(value))


def setup(out: str) -> None:
    """A site with a caseworker who holds the key and three requests sent through the form."""
    call_command("migrate", interactive=False, verbosity=0)
    call_command("audit_keygen", "--if-missing", verbosity=0)
    from accounts.models import Role

    carla = factories.make_staff(username=STAFF, role=Role.CASEWORKER)
    factories.vault_ready(carla)
    sent = [factories.submit_intake(name=f"Alias Before {i}") for i in range(3)]
    factories.checkpoint_now()
    _write(out, {"sent": sent})


def writer(out: str, stop: str) -> None:
    """Sends requests one after another until the file `stop` exists; each (reference, code)
    is appended to `out` once its page showed the code."""
    number = 0
    with open(out, "a") as handle:
        while not Path(stop).exists():
            reference, code = factories.submit_intake(name=f"Alias Writer {number}")
            handle.write(json.dumps([reference, code]) + "\n")
            handle.flush()
            number += 1
            time.sleep(0.02)


def after_backup(out: str, reference: str) -> None:
    """On the old server, after the backup: the applicant of `reference` has everything deleted
    now; the signer signs; the auditor keeps the signed heads and an export of the log."""
    from audit import signing
    from audit.exports import jsonl_lines
    from audit.models import AuditEvent, Checkpoint
    from evacuation.models import Case
    from evacuation.services.retention import case_delete_now

    assert case_delete_now(case=Case.objects.get(reference=reference))
    factories.checkpoint_now()
    folder = Path(out).parent
    heads = [
        signing.statement_line(
            signing.statement(
                sequence=row.sequence,
                hash=row.hash,
                signed_at=row.created_at,
                fingerprint=row.key_fingerprint,
                signature=row.signature,
            )
        )
        for row in Checkpoint.objects.order_by("sequence")
    ]
    (folder / "heads.jsonl").write_text("\n".join(heads) + "\n")
    (folder / "export.jsonl").write_text(
        "".join(jsonl_lines(AuditEvent.objects.all(), filtered=False))
    )
    _write(out, {"newest_head": Checkpoint.objects.order_by("-sequence").first().sequence})


def check(out: str, codes_file: str) -> None:
    """On the restored server: the caseworker signs in and opens every case; every applicant
    types their code. Records what each saw."""
    from evacuation.models import Case

    codes = json.loads(Path(codes_file).read_text())
    staff = factories.verified_client(factories.User.objects.get(username=STAFF), PASSWORD)
    seen = {}
    for case in Case.objects.order_by("pk"):
        if case.is_purged:
            seen[case.reference] = "purged"
            continue
        factories.case_opened(staff, case.reference)
        page = factories.staff_case_page(staff, case.reference)
        start = page.find("Alias ")
        seen[case.reference] = page[start : page.find("<", start)].strip() if start >= 0 else ""
    applicants = {}
    for reference, code in codes:
        applicant = factories.Applicant(Client())
        response = applicant.check(code)
        opened = response.status_code == 200 and 'name="capability"' in applicant.page
        applicants[reference] = "opened" if opened else "refused"
    _write(out, {"staff": seen, "applicants": applicants})


if __name__ == "__main__":
    step, *arguments = sys.argv[1:]
    {"setup": setup, "writer": writer, "after_backup": after_backup, "check": check}[step](
        *arguments
    )
