"""Months frozen before money was frozen with them get their amounts when the migration runs:
from the approved grants as they stand, with the same rule for hiding (one grant more than half
of a month's amount for its purpose)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from reports.models import FrozenAmount
from tests.reports.builders import at, grant

BEFORE = [("reports", "0001_initial")]
AFTER = [("reports", "0002_frozen_amounts")]


@pytest.mark.django_db(transaction=True)
def test_months_frozen_before_amounts_were_get_them_from_the_approved_grants(colin):
    for amount in ("300.00", "400.00", "350.00"):
        grant(staff=colin, amount=amount, currency="EUR", purpose="visa", decided=at(2025, 4, 3))
    grant(staff=colin, amount="5000.00", currency="EUR", purpose="medical", decided=at(2025, 4, 4))
    grant(staff=colin, amount="100.00", currency="EUR", purpose="medical", decided=at(2025, 4, 5))
    grant(staff=colin, amount="700.00", currency="USD", purpose="visa", decided=at(2025, 5, 5))
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    old.get_model("reports", "FrozenMonth").objects.create(
        month=date(2025, 4, 1), frozen_at=timezone.now()
    )
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    found = {
        (a.month.month, a.currency, a.purpose): (a.total, a.hidden)
        for a in FrozenAmount.objects.select_related("month")
    }
    assert found == {
        (date(2025, 4, 1), "EUR", "visa"): (Decimal("1050.00"), False),
        (date(2025, 4, 1), "EUR", "medical"): (Decimal("5100.00"), True),
    }  # May was not frozen: its amounts are frozen when a report first covers it
