"""Two worker processes share one source's buckets through the database (core.ratelimit)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from core.models import TokenBucket

BASE_DIR = Path(__file__).resolve().parents[2]

SETUP = """
import django
django.setup()
from django.db import connection
from core.models import TokenBucket
with connection.schema_editor() as editor:
    editor.create_model(TokenBucket)
"""

# argv: role (attacker: every code is wrong; applicant: every code is right), the wall-clock
# time to start at, the simulated time of every attempt, attempts, and a file to wait for:
# the applicant goes on until it exists (a minute at most), then makes `attempts` more.
WORKER = """
import json, sys, time
from datetime import UTC, datetime
from pathlib import Path
import django
django.setup()
from django.test import RequestFactory
from core.ratelimit import Busy, code_attempt
role, start, simulated, attempts, done = sys.argv[1:]
now = datetime.fromtimestamp(float(simulated), tz=UTC)
request = RequestFactory().post("/status/", REMOTE_ADDR="198.51.100.7")
while time.time() < float(start):
    time.sleep(0.001)
def attempt():
    # The applicant types their own code; the attacker hammers at another locator.
    locator = "7654321" if role == "applicant" else "0000001"
    result = code_attempt(request, locator=locator, now=now)
    if isinstance(result, Busy):
        return result.retry_after
    if role == "applicant":
        result.succeeded()
    return 0
results = []
if role == "applicant":
    while not Path(done).exists() and time.time() < float(start) + 60:
        results.append(attempt())
results += [attempt() for _ in range(int(attempts))]
if role == "attacker":
    Path(done).touch()
print(json.dumps(results))
"""

T0 = 1_800_000_000.0  # the simulated clock, in seconds


def _env(database: Path, local: Path) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "SAFE_PASSAGE_ENV": "development",
        "SAFE_PASSAGE_LOCAL_DIR": str(local),
        "SECRET_KEY": "tests.core two workers",
        "DATABASE_URL": f"sqlite:///{database}",
        "RATE_LIMITS_ENABLED": "1",
        "RATE_LIMIT_CODE_FAILURES_PER_SOURCE": "30",
        "RATE_LIMIT_CODE_TRICKLE_PER_MINUTE": "2",
        "RATE_LIMIT_WINDOW_SECONDS": "3600",
        # Everyone's budget is not what this test is about: out of the way.
        "RATE_LIMIT_LOOKUP_BURST": "100000",
    }


def _start(env: dict, script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _results(worker: subprocess.Popen) -> list[int]:
    """Per attempt: 0 when allowed, else the Busy's retry_after."""
    out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err[-3000:]
    return json.loads(out) if out.strip() else []


def test_an_attacker_on_a_shared_address_does_not_keep_out_a_right_code(tmp_path):
    env = _env(tmp_path / "buckets.sqlite3", tmp_path / "local")
    done = str(tmp_path / "attacker-done")
    _results(_start(env, SETUP))

    def run(role: str, simulated: float, attempts: int, start: float = 0.0) -> subprocess.Popen:
        return _start(env, WORKER, role, str(start), str(T0 + simulated), str(attempts), done)

    # Together: the attacker spends the source's whole failed-attempt allowance while the
    # applicant keeps trying, and goes on after it. The applicant never waits (it takes its
    # token from what the attacker left, or from the trickle, and hands it back).
    start = time.time() + 2.0
    applicant, attacker = run("applicant", 0, 5, start), run("attacker", 0, 30, start)
    attacker_results, applicant_results = _results(attacker), _results(applicant)
    assert attacker_results == [0] * 30
    assert len(applicant_results) >= 5 and set(applicant_results) == {0}

    # Whatever the interleaving, the attacker has 2 tries left (30 + 2 in all), then waits for
    # that locator's trickle's next token.
    assert _results(run("attacker", 0, 5)) == [0, 0, 30, 30, 30]
    # While the attacker hammers on from the same address, the applicant's own code still gets
    # in, every time (its trickle is its own, and each success hands the token back).
    start = time.time() + 2.0
    hammering = run("attacker", 1, 200, start)
    applicant = run("applicant", 1, 5, start)
    hammered, applied = _results(hammering), _results(applicant)
    assert len(hammered) == 200 and all(wait > 0 for wait in hammered)
    assert len(applied) >= 5 and set(applied) == {0}


# argv: this worker's name, the other's, a folder for the barrier, the simulated start, and the
# attempts per step. Step k is at the simulated start + k half-hours, for 24 hours. Both workers
# try together within a step; neither starts step k + 1 before the other has finished step k
# (a file each, per step), so the simulated clock only moves forward, as a real one does.
INTAKE_DAY = """
import json, sys, time
from datetime import UTC, datetime, timedelta
from pathlib import Path
import django
django.setup()
from django.test import RequestFactory
from core.ratelimit import intake_spend
me, other, folder, simulated, first, then = sys.argv[1:]
folder, start = Path(folder), datetime.fromtimestamp(float(simulated), tz=UTC)
request = RequestFactory().post("/request/", REMOTE_ADDR="198.51.100.7")
steps = []
for step in range(49):
    now = start + timedelta(minutes=30 * step)
    results = [intake_spend(request, now=now) for _ in range(int(first if step == 0 else then))]
    steps.append([0 if busy is None else busy.retry_after for busy in results])
    (folder / f"{me}-{step}").touch()
    deadline = time.time() + 60
    while not (folder / f"{other}-{step}").exists():
        assert time.time() < deadline, "the other worker never finished step %d" % step
        time.sleep(0.001)
print(json.dumps(steps))
"""


def test_two_workers_hold_a_24_hour_intake_window_for_24_hours(tmp_path):
    """One source, two worker processes, a day on the simulated clock: 24 intakes at once, then
    one an hour between the two workers together, never an early reset or a burst back."""
    env = {
        **_env(tmp_path / "buckets.sqlite3", tmp_path / "local"),
        "RATE_LIMIT_WINDOW_SECONDS": str(24 * 3600),
        "RATE_LIMIT_INTAKE_PER_SOURCE": "24",
        "RATE_LIMIT_INTAKE_BURST": "100000",  # everyone's budget: not what this is about
    }
    _results(_start(env, SETUP))
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    workers = [
        _start(env, INTAKE_DAY, me, other, str(barrier), str(T0), "20", "3")
        for me, other in (("a", "b"), ("b", "a"))
    ]
    days = [_results(worker) for worker in workers]
    # Per step: how many intakes the two workers got together, and every refusal's wait.
    allowed = [sum(wait == 0 for wait in a + b) for a, b in zip(*days, strict=True)]
    waits = [{wait for wait in a + b if wait} for a, b in zip(*days, strict=True)]
    assert allowed[0] == 24  # 40 tries at once from the two: exactly the window's 24
    assert waits[0] == {3600}
    for step in range(1, 49):
        full_hour = step % 2 == 0
        assert allowed[step] == (1 if full_hour else 0), (step, allowed[step])
        # Refused on the hour: the next token is an hour away; on the half hour, half of one.
        assert waits[step] == ({3600} if full_hour else {1800}), (step, waits[step])
    assert sum(allowed) == 24 + 24


AUTHORIZE = """
import sys, time
import django
django.setup()
from core.models import TokenBucket
start, key = float(sys.argv[1]), sys.argv[2]
while time.time() < start:
    time.sleep(0.001)
print(sum(TokenBucket.authorize(key, capacity=25, refill_seconds=3600) for _ in range(40)))
"""


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)  # the workers commit rows: the tables are emptied after
def test_two_workers_on_postgresql_never_overdraw_one_bucket():
    # The workers commit their own rows in the suite's database: a fresh key keeps them apart.
    key = f"test:{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "SAFE_PASSAGE_ENV": "development",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    start = str(time.time() + 2.0)
    workers = [_start(env, AUTHORIZE, start, key) for _ in range(2)]
    allowed = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err[-2000:]
        allowed.append(int(out))
    # 80 attempts against 25 tokens: exactly 25 pass in total, however the two interleave.
    assert sum(allowed) == 25
    assert TokenBucket.objects.filter(key=key).count() == 1
