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
    F,
    FloatField,
    Func,
    Max,
    Min,
    Q,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

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


class EpochSeconds(Func):
    """A datetime as seconds since 1970 (a float), in the database: so 100,000 moments come back
    as plain numbers, with no datetime parsed in Python for each."""

    arity = 1
    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"reports need SQLite or PostgreSQL, not {connection.vendor}")

    def _compiled(self, compiler, template: str):
        (inner,) = self.get_source_expressions()
        sql, params = compiler.compile(inner)
        return template.format(sql), params

    def as_sqlite(self, compiler, connection, **extra_context):
        return self._compiled(compiler, "((julianday({}) - 2440587.5) * 86400.0)")

    def as_postgresql(self, compiler, connection, **extra_context):
        return self._compiled(compiler, "CAST(EXTRACT(EPOCH FROM {}) AS double precision)")


def first_staff_actions(since: datetime) -> dict[str, float]:
    """When a staff member first recorded anything on a case (the audit log), in seconds since
    1970, by case reference, for every case with a staff event at or after `since`: one grouped
    query (MIN of the moments), not one look-up for each case. A case received at or after
    `since` has all its staff events there, so its first is exact; a case no staff member has
    touched yet is not in it.

    The events are found through the created_at index and grouped on the side (CAST keeps
    SQLite from walking the target_ref index instead, which fetches every event row out of
    order: three times slower over a year of 100,000 cases). The cost is the staff events
    since `since`, so an old month reads the later ones too: still one query. An index on
    (target_type, actor_kind, target_ref, created_at) in the audit log would let both
    databases read the first of each case from the index alone (measured: 290 to 110 ms for a
    year on SQLite); it belongs to the audit app."""
    return dict(
        _values(
            AuditEvent.objects.filter(
                target_type="case", actor_kind=ActorKind.STAFF, created_at__gte=since
            )
            .values(ref=Cast("target_ref", output_field=TextField()))
            .annotate(first=EpochSeconds(Min("created_at")))
            .order_by()
            .values_list("ref", "first")
        )
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
    """Everything a report of `period` needs, in six queries."""
    moments: list[datetime] = period.boundaries()
    days: list[date] = [*period.months, period.end]
    start, end = moments[0], moments[-1]
    raw = Raw(months=len(period.months))
    target = settings.ASSESS_WITHIN_HOURS * 3600.0

    received = Case.objects.filter(created_at__gte=start, created_at__lt=end)
    # 1. Requests received in the period (month, urgency, moment): counted by month and
    # urgency here; 2. the first staff event of every case, in one grouped query, matched to
    # them for the time to the first staff action. Each month's list is sorted for its
    # percentiles; how many urgent requests of a month were acted on within the target is the
    # rank of the target in theirs.
    firsts = first_staff_actions(start).get
    rows = _values(
        received.annotate(mi=_month_index("created_at", moments), at=EpochSeconds("created_at"))
        .order_by("created_at")  # the index's order: each month's requests come together
        .values_list("reference", "mi", "urgency", "at")
    )
    for (month, urgency), count in Counter((row[1], row[2]) for row in rows).items():
        raw.atoms[month][f"received:{urgency}"] += count
    per_month: list[list[float]] = []
    urgent: list[list[float]] = []
    month_of = [row[1] for row in rows]
    for month in range(raw.months):
        chunk = rows[bisect.bisect_left(month_of, month) : bisect.bisect_right(month_of, month)]
        acted = [(firsts(ref), at, urgency) for ref, _m, urgency, at in chunk]
        per_month.append(sorted(first - at for first, at, _u in acted if first is not None))
        urgent.append(
            sorted(
                first - at
                for first, at, urgency in acted
                if first is not None and urgency == Urgency.NOW
            )
        )
    raw.first_action = per_month
    for month, ordered in enumerate(urgent):
        in_time = bisect.bisect_right(ordered, target)
        now = raw.atoms[month].pop(f"received:{Urgency.NOW}", 0)
        if now:
            raw.atoms[month][f"received:{Urgency.NOW}:in_time"] = in_time
            raw.atoms[month][f"received:{Urgency.NOW}:late"] = now - in_time

    # 3. Requests decided in the period (assessed in it, or declined in it without an
    # assessment), each with the month, risk level and how verified of its assessment (month
    # -1: none) and the time to the decision: counted by assessment here, the times sorted.
    decided = Q(assessed_at__gte=start, assessed_at__lt=end) | Q(
        assessed_at__isnull=True,
        state=State.DECLINED,
        state_changed_at__gte=start,
        state_changed_at__lt=end,
    )
    assessed_in = Switch(
        When(assessed_at__isnull=True, then=Value(-1)),
        default=_month_index("assessed_at", moments),
    )
    assessed_by = Counter()
    decision = []
    for month, risk, verified, wait in _values(
        Case.objects.filter(decided)
        .annotate(
            mi=assessed_in,
            wait=SecondsBetween(Coalesce("assessed_at", "state_changed_at"), F("created_at")),
        )
        .order_by()
        .values_list("mi", "risk_level", "verified_by", "wait")
    ):
        decision.append(wait)
        if month >= 0:
            assessed_by[month, risk, verified] += 1
    for (month, risk, verified), count in assessed_by.items():
        raw.atoms[month][f"assessed:{risk or '-'}:{verified or '-'}"] += count
    decision.sort()
    raw.decision = decision

    # 4. Relocated in the period: counted by month and region, and the days from the request
    # to the relocation, sorted.
    relocated_by = Counter()
    relocation = []
    for month, region, waited in _values(
        Case.objects.filter(relocated_on__gte=days[0], relocated_on__lt=days[-1])
        .annotate(
            mi=_month_index("relocated_on", days),
            days=DaysBetween(F("relocated_on"), F("created_at")),
        )
        .order_by()
        .values_list("mi", "relocation_region", "days")
    ):
        relocated_by[month, region] += 1
        relocation.append(waited)
    for (month, region), count in relocated_by.items():
        raw.atoms[month][f"relocated:{region or '-'}"] += count
    relocation.sort()
    raw.relocation = relocation

    # 5. Declined and withdrawn in the period.
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

    # 6. Funding approved in the period, by month, currency and purpose.
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
