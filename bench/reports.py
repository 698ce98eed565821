"""Report generation speed: seeds N cases (default 100,000) over one calendar year with their
audit events into a throw-away database, then times generating that year's report in-process
and counts its queries.

    .venv/bin/python -m bench.reports                      # SQLite file in a temporary folder
    scripts/bench.sh --only reports                        # the same, written to bench/RESULTS.md
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/safe_passage .venv/bin/python -m bench.reports

The database is Django's test database (created, migrated and dropped here: test_<name> on
PostgreSQL, a file in a temporary folder for SQLite), never the real one. Cases are written with
bulk_create as bench/seed.py does, but with an empty payload: a report reads only fields stored
in clear, so the ciphertext (the slow part of bench/seed.py) would change nothing here. The audit
rows are written directly (sequence and hash unique, far above the chain head; the chain is not
verifiable), as a report only reads when each case's first staff event happened.

Target (issue "Reports"): a year over 100,000 cases in at most 1 s, with a query count that does
not grow with the number of cases.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

YEAR = 2025  # a closed year, whatever today is


def _seed(total: int, *, rng: random.Random) -> None:
    """`total` cases received over YEAR, written in the order they came in, with their funding
    and audit events; the events are appended in time order, as the audit log is."""
    from django.db import transaction

    from accounts.models import Role, User
    from audit.models import AuditEvent
    from evacuation.choices import Region, RiskLevel, VerifiedBy
    from evacuation.models import REFERENCE_ALPHABET, Case, FundingProposal
    from evacuation.models.case import URGENCY_PRIORITY

    staff = User.objects.create(username="bench_coordinator", role=Role.COORDINATOR)
    start = datetime(YEAR, 1, 1, tzinfo=UTC)
    outcomes = ["received"] * 3 + ["assessed"] * 2 + ["funded", "relocated", "relocated"]
    outcomes += ["declined", "withdrawn"]
    urgencies = ["now", "weeks", "weeks", "planning", "planning"]
    regions, risks, verified = list(Region.values), list(RiskLevel.values), list(VerifiedBy.values)
    used: set[str] = set()
    moments_all: list[tuple[datetime, str, str, str]] = []  # (when, action, actor kind, ref)
    grants: list[tuple[str, datetime]] = []
    batch = 5000
    created_all = sorted(
        start + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(total)
    )
    for offset in range(0, total, batch):
        cases = []
        for created in created_all[offset : offset + batch]:
            while True:
                chars = "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(6))
                reference = f"EV-{chars[:4]}-{chars[4:]}"
                if reference not in used:
                    used.add(reference)
                    break
            outcome = rng.choice(outcomes)
            urgency = rng.choice(urgencies)
            fields = {
                "reference": reference,
                "urgency": urgency,
                "priority": URGENCY_PRIORITY[urgency],
                "payload": b"",
                "created_at": created,
                "state_changed_at": created,
                "last_applicant_activity_on": created.date(),
                "state": "received",
            }
            moments_all.append((created, "case.received", "applicant", reference))
            if rng.random() < 0.9:  # a staff member opened it
                opened = created + timedelta(hours=rng.expovariate(1 / 20))
                moments_all.append((opened, "case.opened", "staff", reference))
            if outcome not in ("received", "withdrawn"):
                assessed = created + timedelta(hours=rng.uniform(2, 24 * 20))
                fields.update(
                    assessed_at=assessed,
                    risk_level=rng.choice(risks),
                    verified_by=rng.choice(verified),
                    state="assessed",
                )
                moments_all.append((assessed, "case.assessed", "staff", reference))
                if outcome in ("funded", "relocated"):
                    decided = assessed + timedelta(days=rng.uniform(1, 10))
                    grants.append((reference, decided))
                    fields["state"] = "funded"
                    if outcome == "relocated":
                        fields.update(
                            relocated_on=(decided + timedelta(days=rng.uniform(1, 30))).date(),
                            relocation_region=rng.choice(regions),
                            state="relocated",
                        )
                if outcome == "declined":
                    fields.update(state="declined", state_changed_at=assessed + timedelta(days=1))
            if outcome == "withdrawn":
                fields.update(
                    state="withdrawn",
                    state_changed_at=created + timedelta(days=rng.uniform(0, 30)),
                )
            cases.append(Case(**fields))
        with transaction.atomic():
            Case.objects.bulk_create(cases, batch_size=1000)
        print(f"  seeded {offset + len(cases):,} cases", end="\r", file=sys.stderr)
    print(file=sys.stderr)

    ids = dict(Case.objects.values_list("reference", "id"))
    grants.sort(key=lambda item: item[1])
    for offset in range(0, len(grants), batch):
        FundingProposal.objects.bulk_create(
            [
                FundingProposal(
                    case_id=ids[reference],
                    amount=Decimal(rng.randrange(200, 9000)),
                    currency=rng.choice(["EUR", "EUR", "USD"]),
                    purpose=rng.choice(["transport", "shelter", "visa", "living_costs"]),
                    status="approved",
                    proposed_by=staff,
                    proposed_at=decided - timedelta(hours=1),
                    decided_by=staff,
                    decided_at=decided,
                )
                for reference, decided in grants[offset : offset + batch]
            ],
            batch_size=1000,
        )

    # Far above the chain head, which stays where it is (it only moves one append at a time):
    # the audit event of the generation itself is then appended as usual.
    sequence, previous = 10**12, "0" * 64
    moments_all.sort()
    for offset in range(0, len(moments_all), batch * 4):
        events = []
        for moment, action, kind, reference in moments_all[offset : offset + batch * 4]:
            sequence += 1
            digest = hashlib.sha256(f"{sequence}".encode()).hexdigest()
            events.append(
                AuditEvent(
                    sequence=sequence,
                    created_at=moment,
                    actor=staff if kind == "staff" else None,
                    actor_kind=kind,
                    actor_role="coordinator" if kind == "staff" else "",
                    action=action,
                    target_type="case",
                    target_ref=reference,
                    data={},
                    prev_hash=previous,
                    hash=digest,
                )
            )
            previous = digest
        with transaction.atomic():
            AuditEvent.objects.bulk_create(events, batch_size=2000)
        print(f"  appended {offset + len(events):,} audit events", end="\r", file=sys.stderr)
    print(file=sys.stderr)


def _analyse() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


class _Rollback(Exception):
    pass


def _generate_timed(code: str, actor) -> tuple[float, float, int, dict]:
    """One first-time generation (rounding and freezing the months too), rolled back after, so
    every run is the same work. Returns (seconds, CPU seconds of this process, queries,
    figures): SQLite runs in this process, so its CPU time is the work itself, whatever else
    the machine is doing meanwhile."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from reports.periods import Period
    from reports.services import report_generate

    result = {}
    try:
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            began, cpu = time.perf_counter(), time.process_time()
            report = report_generate(period=Period.parse(code), actor=actor)
            result["seconds"] = time.perf_counter() - began
            result["cpu"] = time.process_time() - cpu
            result["figures"] = report.figures
            raise _Rollback
    except _Rollback:
        pass
    return result["seconds"], result["cpu"], len(captured.captured_queries), result["figures"]


def _page_timed(figures: dict) -> float:
    from reports.charts import report_charts
    from reports.tables import report_tables

    began = time.perf_counter()
    report_tables(figures)
    report_charts(figures, nonce="bench")
    return time.perf_counter() - began


def _first_action_timed(code: str) -> dict[str, float]:
    """The time to the first staff action both ways, on the same data in the same run: the
    per-case look-up reports used before (one correlated subquery for each case received in the
    period) and the grouped query that replaced it (reports.queries.first_staff_actions plus the
    period's cases). CPU milliseconds of this process (SQLite runs in it)."""
    from django.db.models import DateTimeField, F, OuterRef, Subquery

    from audit.models import ActorKind, AuditEvent
    from evacuation.models import Case
    from reports.periods import Period
    from reports.queries import (
        EpochSeconds,
        SecondsBetween,
        _month_index,
        _values,
        first_staff_actions,
    )

    moments = Period.parse(code).boundaries()
    received = Case.objects.filter(created_at__gte=moments[0], created_at__lt=moments[-1])
    per_case = Subquery(
        AuditEvent.objects.filter(
            target_type="case", target_ref=OuterRef("reference"), actor_kind=ActorKind.STAFF
        )
        .order_by("id")
        .values("created_at")[:1],
        output_field=DateTimeField(),
    )
    cpu = time.process_time()
    _values(
        received.annotate(
            mi=_month_index("created_at", moments),
            wait=SecondsBetween(per_case, F("created_at")),
        )
        .order_by("wait")
        .values_list("mi", "urgency", "wait")
    )
    before = time.process_time() - cpu
    cpu = time.process_time()
    firsts = first_staff_actions(moments[0])
    rows = _values(
        received.annotate(mi=_month_index("created_at", moments), at=EpochSeconds("created_at"))
        .order_by()
        .values_list("reference", "mi", "urgency", "at")
    )
    sorted(firsts[r[0]] - r[3] for r in rows if r[0] in firsts)
    after = time.process_time() - cpu
    return {"per_case_ms": before * 1000, "grouped_ms": after * 1000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", help="also write the figures to this file (bench/run.py)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{work / 'unused.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SAFE_PASSAGE_ENV", "development")
    os.environ.setdefault("SAFE_PASSAGE_LOCAL_DIR", str(work / "local"))
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from accounts.models import User

    if connection.vendor == "sqlite":
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(work / "bench.sqlite3")
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    found: dict = {"cases": args.cases, "runs": args.runs, "vendor": connection.vendor}
    try:
        began = time.perf_counter()
        _seed(args.cases, rng=random.Random(args.cases))
        _analyse()
        seeded = time.perf_counter() - began
        print(f"seeded {args.cases:,} cases in {seeded:.1f} s ({connection.vendor})")
        actor = User.objects.get(username="bench_coordinator")
        found["load_before"] = os.getloadavg()
        found["cores"] = os.cpu_count()
        print(f"load average before the runs: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        found["periods"] = {}
        for code in (f"{YEAR}", f"{YEAR}-Q3", f"{YEAR}-07"):
            _generate_timed(code, actor)  # warm the caches once
            runs = [_generate_timed(code, actor) for _ in range(args.runs)]
            wall = [r[0] for r in runs]
            cpu = [r[1] for r in runs]
            queries = sorted({r[2] for r in runs})
            figures = runs[-1][3]
            found["periods"][code] = {
                "wall_median_ms": statistics.median(wall) * 1000,
                "wall_best_ms": min(wall) * 1000,
                "cpu_median_ms": statistics.median(cpu) * 1000,
                "cpu_best_ms": min(cpu) * 1000,
                "queries": queries,
                "received_shown": figures["totals"]["received"],
            }
            print(
                f"generate {code:>7}: wall median {statistics.median(wall) * 1000:,.0f} ms "
                f"(best {min(wall) * 1000:,.0f}), CPU median {statistics.median(cpu) * 1000:,.0f} "
                f"ms (best {min(cpu) * 1000:,.0f}) over {len(runs)} runs; queries {queries}; "
                f"requests received shown: {figures['totals']['received']}"
            )
        page = [_page_timed(figures) for _ in range(args.runs)]
        found["page_median_ms"] = statistics.median(page) * 1000
        print(f"tables and charts of one report: median {statistics.median(page) * 1000:,.0f} ms")
        first = [_first_action_timed(f"{YEAR}") for _ in range(args.runs)]
        found["first_action"] = {key: statistics.median(r[key] for r in first) for key in first[0]}
        print(
            f"time to first staff action, year: per-case look-up CPU median "
            f"{found['first_action']['per_case_ms']:,.0f} ms, grouped query "
            f"{found['first_action']['grouped_ms']:,.0f} ms"
        )
        found["load_after"] = os.getloadavg()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    if args.json:
        Path(args.json).write_text(json.dumps(found))
    return 0


def bench_reports(ctx) -> str:
    """The `reports` section of bench/RESULTS.md (bench/run.py): this module run in a process
    of its own, on SQLite in that process (in-process, as the target says; bench/run.py's own
    Django is set up for PostgreSQL and production)."""
    cases, runs = (5_000, 2) if ctx.args.quick else (100_000, 5)
    out = Path(tempfile.mkdtemp(prefix="bench-reports-")) / "figures.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SAFE_PASSAGE_ENV")}
    env["SAFE_PASSAGE_ENV"] = "development"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.reports",
            f"--cases={cases}",
            f"--runs={runs}",
            f"--json={out}",
        ],
        check=True,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return section(json.loads(out.read_text()), ctx.machine, quick=ctx.args.quick)


def section(found: dict, machine: dict, *, quick: bool) -> str:
    """The RESULTS.md section for the figures `main` wrote (--json)."""
    from bench import results

    rows = [
        [
            code,
            f"**{f['cpu_median_ms']:,.0f}** ({f['cpu_best_ms']:,.0f})",
            f"{f['wall_median_ms']:,.0f} ({f['wall_best_ms']:,.0f})",
            ", ".join(str(q) for q in f["queries"]),
            f"{f['received_shown']:,}",
        ]
        for code, f in found["periods"].items()
    ]
    year = found["periods"][f"{YEAR}"]
    verdict = "met" if year["cpu_median_ms"] <= 1000 else "NOT met"
    first = found["first_action"]
    ratio = first["per_case_ms"] / first["grouped_ms"] if first["grouped_ms"] else float("nan")
    load = "{:.2f} {:.2f} {:.2f}"
    head = results.preamble(
        f"Reports (`reports.services.report_generate`, {found['cases']:,} cases over {YEAR})",
        machine,
        quick=quick,
    )
    return (
        head.rstrip()
        + "\n\n"
        + f"In-process, on {found['vendor']}; each figure is the median of {found['runs']} "
        "first-time generations (months rounded and frozen too), each rolled back after. CPU "
        "time is this process's own (SQLite runs in it), so other sessions' load counts in it "
        "only through shared caches and cores; wall time also counts the waits for a core. "
        "Load average during the runs: "
        + load.format(*found["load_before"])
        + " before, "
        + load.format(*found["load_after"])
        + f" after, on {found['cores']} cores. Target: a year in at most 1 s, CPU median "
        f"{year['cpu_median_ms']:,.0f} ms: **{verdict}**.\n\n"
        + results.table(
            ["period", "CPU ms, median (best)", "wall ms, median (best)", "queries", "received"],
            rows,
        )
        + "\n"
        + "Time to the first staff action over the year, measured both ways in this run (CPU "
        f"medians): the per-case look-up (a correlated subquery for each case) "
        f"{first['per_case_ms']:,.0f} ms, the grouped query (one MIN over the audit events, "
        f"matched to the period's cases) {first['grouped_ms']:,.0f} ms: **{ratio:.1f}x**. "
        f"Drawing one report's tables and charts: {found['page_median_ms']:,.0f} ms.\n"
    )


if __name__ == "__main__":
    raise SystemExit(main())
