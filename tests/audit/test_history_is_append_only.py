from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import record
from tests.factories import checkpoint_now


def _raw(sql: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'signout' WHERE sequence = 1",
        "DELETE FROM audit_auditevent WHERE sequence = 1",
        "DELETE FROM audit_auditevent",
        "UPDATE audit_checkpoint SET hash = 'x'",
        "DELETE FROM audit_checkpoint",
    ],
)
def test_it_refuses_to_change_or_delete_history_in_the_database(sql, audit_key):
    from audit.models import Checkpoint

    record(action=Action.STAFF_CREATED, actor="system", data={"role": "auditor"})
    checkpoint_now()
    with pytest.raises(DatabaseError):
        _raw(sql)
    assert AuditEvent.objects.get(sequence=1).action == Action.STAFF_CREATED
    assert Checkpoint.objects.get().hash == AuditEvent.objects.get(sequence=1).hash


@pytest.mark.django_db
def test_it_refuses_to_change_an_event_through_the_orm():
    event = record(action=Action.SIGNOUT, actor="system")
    event.action = Action.SIGNIN_SUCCEEDED
    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().action == Action.SIGNOUT


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_it_refuses_to_truncate_the_events_on_postgresql():
    record(action=Action.SIGNOUT, actor="system")
    with pytest.raises(DatabaseError):
        _raw("TRUNCATE audit_auditevent CASCADE")
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_still_lets_the_test_suite_empty_the_database_between_tests():
    # Transactional tests flush the tables; the audit app's flush lifts the triggers for that.
    record(action=Action.SIGNOUT, actor="system")
    assert AuditEvent.objects.count() == 1
