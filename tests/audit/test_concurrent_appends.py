from __future__ import annotations

import threading

import pytest
from django.db import connection

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import record
from audit.verify import verify_database

THREADS = 8
EACH = 200


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_eight_threads_appending_leave_a_gap_free_chain_that_verifies():
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def append(worker: int) -> None:
        try:
            start.wait()
            for _ in range(EACH):
                record(
                    action=Action.CASE_RECEIVED,
                    actor="applicant",
                    target_type="case",
                    target_ref=f"EV-{worker}",
                    data={"urgency": "now"},
                )
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=append, args=(n,)) for n in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert not errors
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, THREADS * EACH + 1))
    result = verify_database()
    assert result.ok, result.problem
    assert result.checked == THREADS * EACH
