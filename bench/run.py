"""Runs the benchmarks of issue 7 and writes their figures to bench/RESULTS.md.

    make bench                                  # everything, full sizes
    scripts/bench.sh --quick                    # small sizes (a smoke test of the harness)
    scripts/bench.sh --only audit,rotation      # some of: audit, rotation, rekey, queue,
                                                #   intake, lookup, burst
    scripts/bench.sh --only rekey --rekey-cases 2000   # re-keying, fewer (1 MB) cases
    scripts/bench.sh --only intake,lookup       # the applicant's side (bench/applicant.py)
    scripts/bench.sh --only intake_profile      # only the intake's in-process CPU profile
    scripts/bench.sh --only burst --burst-argon production
    scripts/bench.sh --only reports             # report generation, in-process (bench/reports.py)

Each run drops and recreates the PostgreSQL database `safe_passage_bench` on 127.0.0.1:5432,
migrates it, and starts the real server (gunicorn, 2 workers) on a free loopback port with
production settings. Nothing here is collected by pytest (testpaths = tests/).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from bench import applicant, infra, rekey, results
from bench import reports as reports_bench
from bench.applicant import ARGON_MODES
from bench.client import Browser, HTTPError, LoadResult

ALL = (
    "audit",
    "rotation",
    "rekey",
    "queue",
    "intake",
    "intake_profile",
    "lookup",
    "burst",
    "reports",
)


@dataclass
class Context:
    args: argparse.Namespace
    env: dict[str, str]
    machine: dict[str, str]
    user: object = None
    notes: list[str] = field(default_factory=list)


def _ms(value: float) -> str:
    return f"{value:,.1f}"


# --- (3) audit verification -------------------------------------------------------------------


def _probe_verify(ctx: Context, *, sign_head: bool = False) -> dict:
    """Verifies the whole chain in a fresh process. With `sign_head`, the head is signed first,
    as the audit signer daemon (not running in the bench) would have done by then: verification
    fails for events older than AUDIT_MAX_UNSIGNED_AGE that no checkpoint covers."""
    if sign_head:
        from audit.signer import sign_if_due

        sign_if_due(force=True)
    out = subprocess.run(
        [str(infra.PYTHON), "-m", "bench.probe", "verify"],
        cwd=infra.ROOT,
        env=ctx.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_audit(ctx: Context) -> str:
    from bench import seed

    sizes = [20_000, 100_000] if ctx.args.quick else [100_000, 1_000_000]
    rows = []
    for size in sizes:
        start = time.perf_counter()
        added = seed.audit_chain_extend(size, actor_id=ctx.user.pk)
        fill_s = time.perf_counter() - start
        probe = _probe_verify(ctx, sign_head=True)
        print(f"audit: {probe['summary']}")
        rows.append(
            [
                f"{probe['checked']:,}",
                f"{added:,} in {fill_s:.1f} s",
                "yes" if probe["ok"] else f"NO: {probe['summary']}",
                f"{probe['checkpoints']:,}",
                f"{probe['expected']:,} (newest {probe['head_expected']:,})",
                f"{probe['seconds']:.2f}",
                f"**{probe['rate']:,.0f}**",
                f"{probe['rss_start_mib']:.0f}",
                f"**{probe['verify_peak_mib']:.0f}**",
            ]
        )
    body = results.preamble(
        "Audit verification (`audit.verify.verify_database`)", ctx.machine, quick=ctx.args.quick
    )
    body += (
        "A valid chain was generated with `audit.chain.event_hash` (real hashes, a checkpoint "
        "signed with the Ed25519 key every 1,000 events) and written with COPY; verification "
        "runs in a fresh process (`python -m bench.probe verify`) whose RSS high-water mark is "
        "reset (/proc/self/clear_refs) just before the call, so the peak is the verification's "
        "own. The head is signed first (as the audit signer would have), and the probe "
        "verifies as the daily timer does, `verify_audit --expect`: strict, against the signed "
        "heads /audit/heads.jsonl gives, read back from a file inside the timed part. "
        "Goal: >= 100,000 events/s, memory flat.\n\n"
    )
    body += results.table(
        [
            "events in chain",
            "seeded",
            "verifies",
            "checkpoint signatures",
            "--expect heads",
            "verify s",
            "events/s",
            "RSS at start MiB",
            "peak RSS during verify MiB",
        ],
        rows,
    )
    return body


# --- (4) key rotation -------------------------------------------------------------------------


def bench_rotation(ctx: Context) -> str:
    from django.db.models import Max

    from bench import seed
    from evacuation.models import Case
    from vault.cases import CaseCipher, case_dek_info
    from vault.crypto import keypair_from_private_bytes, unseal
    from vault.models import CaseKey, OrgKey
    from vault.org import org_keys_from_recovery

    size = 10_000 if ctx.args.quick else 100_000
    start = time.perf_counter()
    added = seed.cases_seed_to(size)
    seed_s = time.perf_counter() - start
    old_version = OrgKey.objects.aggregate(v=Max("version"))["v"]
    keys = CaseKey.objects.count()
    secret_file = infra.WORK / "recovery_secret"
    start = time.perf_counter()
    done = subprocess.run(
        [str(infra.PYTHON), "manage.py", "rotate_org_key", "--recovery-file", str(secret_file)],
        cwd=infra.ROOT,
        env=ctx.env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    rotate_s = time.perf_counter() - start
    print(f"rotation: {done.stdout.strip().splitlines()[-1]} ({rotate_s:.1f} s)")
    new_version = OrgKey.objects.aggregate(v=Max("version"))["v"]
    left = CaseKey.objects.filter(org_key_id__lt=new_version).count()
    destroyed = OrgKey.objects.get(version=old_version).destroyed_at is not None
    # Every case still opens: a random sample, through the new key from the recovery secret.
    org_keys = org_keys_from_recovery(secret_file.read_text())
    private = keypair_from_private_bytes(org_keys[new_version]).private
    sample = random.sample(list(CaseKey.objects.values_list("case_uid", flat=True)), 200)
    opened = 0
    for uid in sample:
        sealed = bytes(CaseKey.objects.get(case_uid=uid).sealed)
        dek = unseal(private, sealed, info=case_dek_info(uid))
        payload = bytes(Case.objects.get(uid=uid).payload)
        CaseCipher(uid, dek).decrypt("intake", payload)
        opened += 1
    body = results.preamble(
        "Key rotation (`manage.py rotate_org_key`)", ctx.machine, quick=ctx.args.quick
    )
    body += (
        "Case keys were made with the vault's real HPKE sealing (ML-KEM-768+X25519, one random "
        "DEK per case, payload encrypted with `CaseCipher`), then the real command re-keyed "
        "them all (since issue 16 item 5: a new DEK per case, the payload re-encrypted; these "
        "seeded cases hold no messages, files or applicant keys, see the rekey section for "
        "full ones), timed wall-clock including Django start-up. Goal (set for re-sealing "
        "only): 100,000 cases in <= 60 s.\n\n"
    )
    body += results.table(
        [
            "case keys",
            "seeded",
            "rotation s",
            "keys/s",
            "left on old version",
            f"v{old_version} destroyed",
            "sample decrypts after",
        ],
        [
            [
                f"{keys:,}",
                f"{added:,} in {seed_s:.1f} s" if added else "by the queue run before",
                f"**{rotate_s:.1f}**",
                f"{keys / rotate_s:,.0f}",
                left,
                "yes" if destroyed else "NO",
                f"{opened}/{len(sample)}",
            ]
        ],
    )
    return body


# --- sign-in for the async client ------------------------------------------------------------


async def browser_sign_in(port: int, user) -> Browser:
    from bench import seed

    browser = Browser(port)
    token = await browser.csrf_token("/staff/login/")
    response = await browser.post(
        "/staff/login/",
        {"csrfmiddlewaretoken": token, "username": user.username, "password": seed.STAFF_PASSWORD},
    )
    if response.status != 302:
        raise HTTPError(f"password step answered {response.status}")
    token = await browser.csrf_token("/staff/login/code/")
    code = await asyncio.to_thread(seed.totp_now, user)
    response = await browser.post(
        "/staff/login/code/", {"csrfmiddlewaretoken": token, "token": code}
    )
    if response.status != 302 or response.header("location") != "/staff/":
        raise HTTPError(f"code step answered {response.status} {response.header('location')}")
    return browser


# --- (2) queue at scale -----------------------------------------------------------------------


def _query_counts(user) -> dict[str, int]:
    """Queries per page, counted in-process through the real sign-in."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import seed

    client = Client(HTTP_HOST="127.0.0.1")
    client.post("/staff/login/", {"username": user.username, "password": seed.STAFF_PASSWORD})
    response = client.post("/staff/login/code/", {"token": seed.totp_now(user)})
    assert response.status_code == 302, "bench sign-in failed"
    counts = {}
    for path in ("/staff/cases/", "/staff/cases/?page=2", "/staff/"):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, f"{path} answered {response.status_code}"
        counts[path] = len(captured.captured_queries)
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
        counts[f"slowest {path}"] = f"{float(slowest['time']) * 1000:.1f} ms: {slowest['sql'][:90]}"
    return counts


async def _queue_latencies(port: int, user, rounds: int, concurrency: int) -> dict:
    browsers = [await browser_sign_in(port, user) for _ in range(concurrency)]
    paths = ("/staff/cases/", "/staff/")
    found = {path: LoadResult(label=path, concurrency=concurrency) for path in paths}
    bar = tqdm(total=rounds * len(paths) * concurrency, unit="req", desc="queue", leave=False)

    async def one(browser: Browser) -> None:
        for round_ in range(rounds + 5):
            order = paths if round_ % 2 == 0 else paths[::-1]
            for path in order:
                began = time.perf_counter()
                try:
                    response = await browser.get(path)
                    problem = None if response.status == 200 else f"status {response.status}"
                except HTTPError as exc:
                    problem = f"transport: {exc}"
                if round_ < 5:
                    continue  # warm-up
                if problem is None:
                    found[path].latencies.append(time.perf_counter() - began)
                else:
                    found[path].errors[problem] += 1
                bar.update(1)

    start = time.perf_counter()
    await asyncio.gather(*(one(b) for b in browsers))
    bar.close()
    for result in found.values():
        result.wall_s = time.perf_counter() - start
    await asyncio.gather(*(b.close() for b in browsers))
    return found


async def _triage_latencies(port: int, holder, other, rounds: int) -> dict:
    """One client each: the caseworker who holds the organisation key (the queue shows triage
    summaries, one audit event a page), the same role without a grant (the same queue without
    them) and the bare page, interleaved so that all three meet the same machine."""
    with_key = await browser_sign_in(port, holder)
    without = await browser_sign_in(port, other)
    steps = (
        (with_key, "/staff/cases/", "with summaries"),
        (without, "/staff/cases/", "without summaries"),
        (with_key, "/staff/", "bare"),
    )
    found = {label: LoadResult(label=label, concurrency=1) for _b, _p, label in steps}
    start = time.perf_counter()
    for round_ in range(rounds + 5):
        order = steps if round_ % 2 == 0 else steps[::-1]
        for browser, path, label in order:
            began = time.perf_counter()
            try:
                response = await browser.get(path)
                problem = None if response.status == 200 else f"status {response.status}"
            except HTTPError as exc:
                problem = f"transport: {exc}"
            if round_ < 5:
                continue
            if problem is None:
                found[label].latencies.append(time.perf_counter() - began)
            else:
                found[label].errors[problem] += 1
    for result in found.values():
        result.wall_s = time.perf_counter() - start
    await with_key.close()
    await without.close()
    return found


def _triage_counts(user) -> tuple[int, int, bool]:
    """Queries of the queue with summaries at page 1 and 2, each counted on its second load
    (the first opens the session's triage key and stores the page's summaries in their kept
    form: one-time costs), and whether summaries were shown."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import seed

    client = Client(HTTP_HOST="127.0.0.1")
    client.post("/staff/login/", {"username": user.username, "password": seed.STAFF_PASSWORD})
    client.post("/staff/login/code/", {"token": seed.totp_now(user)})
    counts = []
    shown = False
    for path in ("/staff/cases/", "/staff/cases/?page=2"):
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        counts.append(len(captured.captured_queries))
        shown = shown or 'class="triage"' in response.content.decode()
    return counts[0], counts[1], shown


def bench_queue(ctx: Context) -> str:
    from accounts.models import User
    from bench import seed

    size = 5_000 if ctx.args.quick else 100_000
    seed.cases_seed_to(1_000)
    small = _query_counts(ctx.user)
    rounds = 40 if ctx.args.quick else 200
    # The same page at 1,000 cases: separates what scale costs from what the page itself costs.
    server = infra.server_start(ctx.env, name="gunicorn-queue-small")
    try:
        at_small = asyncio.run(_queue_latencies(server.port, ctx.user, rounds, 1))
    finally:
        server.stop()
    start = time.perf_counter()
    seed.cases_seed_to(size)
    seed_s = time.perf_counter() - start
    from evacuation.models import Case

    total = Case.objects.count()
    big = _query_counts(ctx.user)
    other = User.objects.get(username="bench_no_grant")
    triage_counts = _triage_counts(ctx.user)
    server = infra.server_start(ctx.env, name="gunicorn-queue")
    try:
        runs = {}
        for concurrency in (1, 4):
            runs[concurrency] = asyncio.run(
                _queue_latencies(server.port, ctx.user, rounds, concurrency)
            )
        triage_run = asyncio.run(_triage_latencies(server.port, ctx.user, other, rounds))
    finally:
        server.stop()
    rows = []
    for concurrency, found in runs.items():
        queue, bare = found["/staff/cases/"], found["/staff/"]
        rows.append(
            [
                concurrency,
                f"{queue.ok} / {queue.error_count}",
                _ms(queue.pct(50)),
                _ms(queue.pct(95)),
                _ms(bare.pct(50)),
                _ms(bare.pct(95)),
                f"**{queue.pct(50) / bare.pct(50):.2f}**",
                f"**{queue.pct(95) / bare.pct(95):.2f}**",
            ]
        )
    body = results.preamble("Queue at scale (`/staff/cases/`)", ctx.machine, quick=ctx.args.quick)
    body += (
        f"{total:,} cases (seeded in {seed_s:.1f} s: real HPKE-sealed keys and encrypted "
        "payloads, mixed states and urgencies, ages over 90 days; then VACUUM ANALYZE, as "
        "autovacuum would have done). A signed-in caseworker "
        "(password + TOTP through the real pages) alternates GETs of the queue and of the bare "
        "authenticated page `/staff/` (same middleware, session save and 2FA check, no case "
        "query), after 5 warm-up rounds. Goal: ratio <= 2.0, query count constant.\n\n"
    )
    body += results.table(
        [
            "clients",
            "queue ok / errors",
            "queue p50 ms",
            "queue p95 ms",
            "/staff/ p50 ms",
            "/staff/ p95 ms",
            "p50 ratio",
            "p95 ratio",
        ],
        rows,
    )
    small_q, small_b = at_small["/staff/cases/"], at_small["/staff/"]
    big_q = runs[1]["/staff/cases/"]
    body += (
        f"\nThe same at 1,000 cases (1 client): queue p50 {_ms(small_q.pct(50))} ms, p95 "
        f"{_ms(small_q.pct(95))} ms; `/staff/` p50 {_ms(small_b.pct(50))} ms; ratio "
        f"{small_q.pct(50) / small_b.pct(50):.2f}. Growth from 1,000 to {total:,} cases: "
        f"p50 x**{big_q.pct(50) / small_q.pct(50):.2f}**, p95 "
        f"x**{big_q.pct(95) / small_q.pct(95):.2f}**.\n"
    )
    body += "\nQueries per request (in-process, `CaptureQueriesContext`):\n\n"
    pages = [p for p in small if not p.startswith("slowest ")]
    body += results.table(
        ["page", "with 1,000 cases", f"with {total:,} cases", "constant"],
        [[f"`{p}`", small[p], big[p], "yes" if small[p] == big[p] else "**NO**"] for p in pages],
    )
    body += f"\nSlowest query of the queue at {total:,} cases (DEBUG-less timing, in-process): "
    body += f"`{big['slowest /staff/cases/']}`\n"
    shown, without, bare = (
        triage_run["with summaries"],
        triage_run["without summaries"],
        triage_run["bare"],
    )
    extra = shown.pct(95) - without.pct(95)
    body += (
        "\n**Triage summaries (issue 19 item 1).** Every seeded case carries a summary sealed "
        "to the triage key. One client each, interleaved in the same run: the caseworker who "
        "holds the organisation key (the queue opens the triage key once and each row's summary, "
        "and records one `triage.shown` event naming the references), the same role without a "
        "grant (the same queue, no summaries) and the bare page. Goal: p95 <= 10 ms above the "
        "queue without them and <= 2.5 x the bare page; query count constant.\n\n"
    )
    body += results.table(
        [
            "page",
            "ok / errors",
            "p50 ms",
            "p95 ms",
            "p95 above the queue without summaries",
            "p95 ratio to the bare page",
        ],
        [
            [
                "queue with summaries",
                f"{shown.ok} / {shown.error_count}",
                _ms(shown.pct(50)),
                _ms(shown.pct(95)),
                f"**{_ms(extra)} ms** ({'<= 10' if extra <= 10 else '**> 10**'})",
                f"**{shown.pct(95) / bare.pct(95):.2f}**",
            ],
            [
                "queue without summaries",
                f"{without.ok} / {without.error_count}",
                _ms(without.pct(50)),
                _ms(without.pct(95)),
                "",
                f"{without.pct(95) / bare.pct(95):.2f}",
            ],
            [
                "bare `/staff/`",
                f"{bare.ok} / {bare.error_count}",
                _ms(bare.pct(50)),
                _ms(bare.pct(95)),
                "",
                "1.00",
            ],
        ],
    )
    first, second, were_shown = triage_counts
    body += (
        f"\nQueries of the queue with summaries, each page on its second load: page 1 {first}, "
        f"page 2 {second}; summaries shown: {'yes' if were_shown else '**NO**'}. The "
        "caseworker of the table above holds the key, so its counts (the same at 1,000 and "
        f"{total:,} cases) are those of the queue with summaries. A page whose summaries are "
        "read for the first time stores them re-encrypted (one UPDATE, once per case): the "
        "measured rounds follow 5 warm-up rounds, as a queue's first page is read again and "
        "again in a working day.\n"
    )
    return body


# --- (1) intake throughput, its CPU profile, receipt-code look-ups: bench/applicant.py --------
# --- (5) crisis burst ------------------------------------------------------------------------


def bench_burst(ctx: Context) -> dict[str, str]:
    """One section per Argon2 setting, so a later run of one setting keeps the other's."""
    from django.db import connection

    from evacuation.models import Case

    total = 1_000 if ctx.args.quick else 10_000
    sections = {}
    for mode in ctx.args.burst_argon:
        argon, label = ARGON_MODES[mode]
        server = infra.server_start(infra.bench_env(argon), name=f"gunicorn-burst-{mode}")
        before = Case.objects.count()
        last_id = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0
        try:
            # Each intake GETs the form first: its token is one-time (bench.applicant).
            result = applicant.load(f"burst {mode}", server.port, 50, total, 3 * 3600, "intake")
        finally:
            server.stop()
        after = Case.objects.count()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM evacuation_case c WHERE c.id > %s AND (NOT EXISTS "
                "(SELECT 1 FROM vault_casekey k WHERE k.case_uid = c.uid::text) OR NOT EXISTS "
                "(SELECT 1 FROM vault_applicantkey a WHERE a.case_uid = c.uid::text) "
                "OR length(c.payload) = 0)",
                [last_id],
            )
            incomplete = cursor.fetchone()[0]
            cursor.execute(
                "SELECT count(*) FROM audit_auditevent WHERE action = 'case.received' "
                "AND target_ref IN (SELECT reference FROM evacuation_case WHERE id > %s)",
                [last_id],
            )
            audited = cursor.fetchone()[0]
        probe = _probe_verify(ctx, sign_head=True)
        print(f"burst {mode}: {probe['summary']}")
        body = results.preamble(
            f"Crisis burst, Argon2id {label} ({total:,} intakes, 50 concurrent clients)",
            ctx.machine,
            quick=ctx.args.quick,
        )
        body += (
            "The same full intakes as in the throughput benchmark (each a GET of the form for "
            "its one-time token, then the POST; timed together), all at once, rate limits "
            "off. Counted afterwards in the database: new cases, new cases missing a sealed "
            "case key, an applicant key or a payload, and their `case.received` events; "
            "then the whole audit chain (including everything seeded before) is verified in a "
            "fresh process. Goal: 0 errors, 0 lost, chain verifies.\n\n"
        )
        body += results.table(
            [
                "ok",
                "errors",
                "new cases in DB",
                "incomplete",
                "intake events",
                "chain verifies",
                "wall s",
                "intakes/s",
                "p50 / p95 / p99 ms",
            ],
            [
                [
                    f"{result.ok:,}",
                    f"**{result.error_count}**"
                    + (f" ({dict(result.errors)})" if result.error_count else ""),
                    f"**{after - before:,}**",
                    incomplete,
                    f"{audited:,}",
                    f"yes ({probe['checked']:,} events)"
                    if probe["ok"]
                    else f"NO: {probe['summary']}",
                    f"{result.wall_s:,.1f}",
                    f"{result.rps:,.1f}",
                    f"{_ms(result.pct(50))} / {_ms(result.pct(95))} / {_ms(result.pct(99))}",
                ]
            ],
        )
        sections[f"burst_{mode}"] = body
    return sections


def bench_intake_profile(ctx) -> dict[str, str]:
    """The intake's CPU profile alone (`intake` runs it too, after the throughput cells)."""
    if "intake" in ctx.args.only:
        return {}
    return {"intake_profile": applicant.bench_intake_profile(ctx)}


BENCHES = {
    "audit": bench_audit,
    "rotation": bench_rotation,
    "rekey": rekey.bench_rekey,
    "queue": bench_queue,
    "intake": applicant.bench_intake,
    "intake_profile": bench_intake_profile,
    "lookup": applicant.bench_lookup,
    "burst": bench_burst,
    "reports": reports_bench.bench_reports,
}
# Queue seeds the 100k cases that rotation then re-seals; intake, lookup and burst come last so
# their appends extend the big audit chain (the burst verifies all of it).
# rekey seeds its own full cases (an intake, three messages, a note, a 1 MB file each), so it
# runs after rotation, on top of the queue's cases if those ran too.
# reports runs in a process of its own on a SQLite database of its own (bench/reports.py).
RUN_ORDER = (
    "audit",
    "queue",
    "rotation",
    "rekey",
    "intake",
    "intake_profile",
    "lookup",
    "burst",
    "reports",
)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(ALL), help=f"comma list of {', '.join(ALL)}")
    parser.add_argument("--quick", action="store_true", help="small sizes: a harness smoke test")
    parser.add_argument(
        "--burst-argon",
        default="production",
        help="Argon2 parameters for the burst: production, the only ones production settings "
        "accept (about 10,000 x 0.23 s / cores)",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep safe_passage_bench after")
    parser.add_argument(
        "--rekey-cases",
        type=int,
        default=0,
        help="how many full cases (1 MB file each) the rekey benchmark seeds (default 100,000; "
        "--quick 500)",
    )
    parser.add_argument(
        "--results",
        default=str(results.RESULTS),
        help="write the sections to this file instead of bench/RESULTS.md (e.g. for a --quick "
        "smoke test that should not replace real figures)",
    )
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(args.only) - set(ALL)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    args.burst_argon = [m.strip() for m in args.burst_argon.split(",") if m.strip()]
    if set(args.burst_argon) - set(ARGON_MODES):
        parser.error("--burst-argon takes production (production settings refuse cheaper)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    results.RESULTS = Path(args.results).resolve()
    env = infra.bench_env()
    os.environ.update(env)
    import django

    print("bench: preparing the database (drop, create, migrate, static files, keys)...")
    infra.prepare(env)
    django.setup()
    from bench import seed

    ctx = Context(args=args, env=env, machine=infra.machine())
    failed = []
    try:
        ctx.user = seed.staff_and_vault(infra.WORK)
        for name in RUN_ORDER:
            if name not in args.only:
                continue
            print(f"bench: {name}...")
            started = time.perf_counter()
            try:
                body = BENCHES[name](ctx)
            except Exception as exc:  # a failed benchmark is reported, the others still run
                failed.append(name)
                print(f"bench: {name} FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            for section, text in (body if isinstance(body, dict) else {name: body}).items():
                results.section_write(section, text)
            print(f"bench: {name} done in {time.perf_counter() - started:.0f} s")
    finally:
        from django.db import connections

        connections.close_all()
        infra.cleanup_work()
        if not args.keep_db:
            infra.database_drop()
    print(f"bench: figures in {results.RESULTS}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
