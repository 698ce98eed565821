from __future__ import annotations

import pytest

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import record
from audit.verify import verify_database
from tests.factories import at_once, checkpoint_now

THREADS = 8
EACH = 200


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_eight_threads_appending_leave_a_gap_free_chain_that_verifies():
    def append(worker: int) -> None:
        for _ in range(EACH):
            record(
                action=Action.CASE_RECEIVED,
                actor="applicant",
                target_type="case",
                target_ref=f"EV-{worker}",
                data={"urgency": "now"},
            )

    errors = [outcome for outcome in at_once(THREADS, append) if outcome is not None]

    assert not errors, errors
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(1, THREADS * EACH + 1))
    checkpoint_now()  # the audit signer at work: strict verification needs it
    result = verify_database()
    assert result.ok, result.problem
    assert result.checked == THREADS * EACH
