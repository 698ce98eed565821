"""What a report counts, read in a fixed number of queries whatever the number of cases.

Only fields stored in clear are read: a case's state and dates (created_at, state_changed_at,
assessed_at, relocated_on), urgency, risk_level, verified_by, relocation_region; approved
funding proposals (amount, currency, purpose, decided_at); and from the audit log the first
event a staff member recorded on each case. Nothing is decrypted. Every count is grouped in the
database by month of the period and finest category (the atoms of reports.rules); each waiting
time is one ordered list of numbers, for its percentiles.

Which cases count, for a period P:
- received: created in P (by urgency; urgent ones by whether the first staff action came within
  settings.ASSESS_WITHIN_HOURS);
- assessed: assessed in P (by risk level and how verified); funded: funding approved in P;
  relocated: relocation date in P (by region); declined, withdrawn: ended so in P;
- time to first staff action: requests received in P that have had one;
- time to decision: requests assessed in P, or declined in P without an assessment;
- time to relocation: requests relocated in P (days from the request's date).
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import NotSupportedError, connections
from django.db.models import Case as Switch
from django.db.models import (
    Count,
    DateTimeField,
    F,
    FloatField,
    Func,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from audit.models import ActorKind, AuditEvent
from evacuation.choices import ProposalStatus, State, Urgency
from evacuation.models import Case, FundingProposal
from reports.periods import Period


class _Between(Func):
    """Seconds (or days) from one moment to a later one, as a float, in the database: SQLite's
    julianday() and PostgreSQL's EPOCH, so no Python runs per row."""

    arity = 2
    output_field = FloatField()
    sqlite_template = "((julianday({later}) - julianday({earlier})) * 86400.0)"
    postgresql_template = "CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS double precision)"

    def _compiled(self, compiler, connection, template: str):
        later, earlier = self.get_source_expressions()
        later_sql, later_params = compiler.compile(later)
        earlier_sql, earlier_params = compiler.compile(earlier)
        return template.format(later=later_sql, earlier=earlier_sql), (
            *later_params,
            *earlier_params,
        )

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"reports need SQLite or PostgreSQL, not {connection.vendor}")

    def as_sqlite(self, compiler, connection, **extra_context):
        return self._compiled(compiler, connection, self.sqlite_template)

    def as_postgresql(self, compiler, connection, **extra_context):
        return self._compiled(compiler, connection, self.postgresql_template)


class SecondsBetween(_Between):
    """later - earlier, two datetimes, in seconds."""


class DaysBetween(_Between):
    """A date minus the date (in UTC, the database's time zone) of a datetime, in days."""

    sqlite_template = "(julianday({later}) - julianday(date({earlier})))"
    postgresql_template = "CAST(({later} - CAST({earlier} AS date)) AS double precision)"


def _month_index(field_name: str, bounds: list) -> Switch:
    """0 for the first month of the period, 1 for the next...: plain comparisons, no date
    functions (the rows are already limited to the period)."""
    inner = bounds[1:-1]
    if not inner:
        return Value(0)
    return Switch(
        *(When(**{f"{field_name}__lt": bound}, then=Value(i)) for i, bound in enumerate(inner)),
        default=Value(len(inner)),
    )


def first_staff_action() -> Subquery:
    """When a staff member first recorded anything on the case (the audit log). Appends are
    serialised under the chain head's lock, so the lowest id is the lowest sequence; ordering
    by id lets SQLite take the first match straight from the target_ref index (its entries are
    kept in id order), with no sort for each of the period's cases."""
    return Subquery(
        AuditEvent.objects.filter(
            target_type="case", target_ref=OuterRef("reference"), actor_kind=ActorKind.STAFF
        )
        .order_by("id")
        .values("created_at")[:1],
        output_field=DateTimeField(),
    )


def _values(queryset) -> list[tuple]:
    """The rows of a values_list() queryset straight from the database cursor: Django's
    per-row converters (int(), float() on every value) cost more than the query itself over
    100,000 rows, and these values come back as plain numbers and codes anyway."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _column(queryset) -> list:
    return [row[0] for row in _values(queryset)]


@dataclass
class Raw:
    """True counts per (month index, cell), ordered waiting times, and money per atom. Lives
    only while a report is generated: never stored, never shown."""

    months: int
    atoms: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    first_action: list[list[float]] = field(default_factory=list)  # per month, seconds, asc.
    decision: list[float] = field(default_factory=list)  # seconds, ascending
    relocation: list[float] = field(default_factory=list)  # days, ascending
    # (month, currency, purpose) -> (grants, total, largest grant)
    money: dict[tuple[int, str, str], tuple[int, Decimal, Decimal]] = field(default_factory=dict)


def gather(period: Period) -> Raw:
    """Everything a report of `period` needs, in eight queries."""
    moments: list[datetime] = period.boundaries()
    days: list[date] = [*period.months, period.end]
    start, end = moments[0], moments[-1]
    raw = Raw(months=len(period.months))
    target = settings.ASSESS_WITHIN_HOURS * 3600.0
    wait = SecondsBetween(first_staff_action(), F("created_at"))

    received = Case.objects.filter(created_at__gte=start, created_at__lt=end)
    # 1. Requests received, by month and urgency.
    rows = (
        received.annotate(mi=_month_index("created_at", moments))
        .values("mi", "urgency")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        raw.atoms[row["mi"]][f"received:{row['urgency']}"] += row["n"]

    # 2. Time to the first staff action of each request received in the period, ascending:
    # the one list its percentiles are read from. How many urgent requests of a month were
    # acted on within the target is read from the same list: the rank of the target in it.
    # (No filter on the wait: SQLite would look the first action up again for the WHERE.
    # Requests without one sort first, as NULL.)
    waits = _values(
        received.annotate(mi=_month_index("created_at", moments), wait=wait)
        .order_by("wait")
        .values_list("mi", "urgency", "wait")
    )
    per_month: list[list[float]] = [[] for _ in range(raw.months)]
    urgent: list[list[float]] = [[] for _ in range(raw.months)]
    for month, urgency, seconds in waits:
        if seconds is None:
            continue
        per_month[month].append(seconds)
        if urgency == Urgency.NOW:
            urgent[month].append(seconds)
    raw.first_action = per_month
    for month, ordered in enumerate(urgent):
        in_time = bisect.bisect_right(ordered, target)
        now = raw.atoms[month].pop(f"received:{Urgency.NOW}", 0)
        if now:
            raw.atoms[month][f"received:{Urgency.NOW}:in_time"] = in_time
            raw.atoms[month][f"received:{Urgency.NOW}:late"] = now - in_time

    # 3. Assessed, by month, risk level and how verified.
    rows = (
        Case.objects.filter(assessed_at__gte=start, assessed_at__lt=end)
        .annotate(mi=_month_index("assessed_at", moments))
        .values("mi", "risk_level", "verified_by")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        cell = f"assessed:{row['risk_level'] or '-'}:{row['verified_by'] or '-'}"
        raw.atoms[row["mi"]][cell] += row["n"]

    # 4. Time to a decision: assessed in the period, or declined in it without an assessment.
    decided = Q(assessed_at__gte=start, assessed_at__lt=end) | Q(
        assessed_at__isnull=True,
        state=State.DECLINED,
        state_changed_at__gte=start,
        state_changed_at__lt=end,
    )
    raw.decision = _column(
        Case.objects.filter(decided)
        .annotate(wait=SecondsBetween(Coalesce("assessed_at", "state_changed_at"), F("created_at")))
        .order_by("wait")
        .values_list("wait")
    )

    # 5. Relocated, by month and region; 6. days from the request to the relocation.
    relocated = Case.objects.filter(relocated_on__gte=days[0], relocated_on__lt=days[-1])
    rows = (
        relocated.annotate(mi=_month_index("relocated_on", days))
        .values("mi", "relocation_region")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        raw.atoms[row["mi"]][f"relocated:{row['relocation_region'] or '-'}"] += row["n"]
    raw.relocation = _column(
        relocated.annotate(days=DaysBetween(F("relocated_on"), F("created_at")))
        .order_by("days")
        .values_list("days")
    )

    # 7. Declined and withdrawn in the period.
    rows = (
        Case.objects.filter(
            state__in=[State.DECLINED, State.WITHDRAWN],
            state_changed_at__gte=start,
            state_changed_at__lt=end,
        )
        .annotate(mi=_month_index("state_changed_at", moments))
        .values("mi", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        raw.atoms[row["mi"]][row["state"]] += row["n"]

    # 8. Funding approved in the period, by month, currency and purpose.
    rows = (
        FundingProposal.objects.filter(
            status=ProposalStatus.APPROVED, decided_at__gte=start, decided_at__lt=end
        )
        .annotate(mi=_month_index("decided_at", moments))
        .values("mi", "currency", "purpose")
        .annotate(n=Count("pk"), total=Sum("amount"), largest=Max("amount"))
        .order_by()
    )
    for row in rows:
        raw.atoms[row["mi"]][f"grants:{row['currency']}:{row['purpose']}"] += row["n"]
        raw.money[(row["mi"], row["currency"], row["purpose"])] = (
            row["n"],
            Decimal(row["total"]),
            Decimal(row["largest"]),
        )
    return raw
