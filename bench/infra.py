"""The bench's own world: a throw-away PostgreSQL database, a production-like environment, and
the real server (gunicorn, 2 workers, whitenoise) on a free loopback port.

Secrets made here (SECRET_KEY, the audit signing key, the vault recovery secret) live only in the
ignored bench/.work/ folder for the length of a run.
"""

from __future__ import annotations

import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("BENCH_WORK", ROOT / "bench" / ".work"))
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
# Overridable so that two runs on one machine do not drop each other's database.
DB_NAME = os.environ.get("BENCH_DB_NAME", "safe_passage_bench")
DB_URL = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"

PRODUCTION_ARGON2 = {"VAULT_ARGON2_MEMORY_KIB": "65536", "VAULT_ARGON2_ITERATIONS": "3"}
# gunicorn's sync workers: also how many processes the Argon2id-only limit runs (bench.applicant).
WORKERS = 2


def bench_env(argon2: dict[str, str] | None = None) -> dict[str, str]:
    """Production settings, pointed at the bench database, over plain HTTP on loopback."""
    WORK.mkdir(mode=0o700, parents=True, exist_ok=True)
    secret_file = WORK / "secret_key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(50))
        secret_file.chmod(0o600)
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        {
            # Overridable only to try the harness against a settings wrapper.
            "DJANGO_SETTINGS_MODULE": os.environ.get("BENCH_SETTINGS_MODULE", "config.settings"),
            "SAFE_PASSAGE_ENV": "production",
            "SAFE_PASSAGE_BENCH": "1",
            "SECRET_KEY": secret_file.read_text().strip(),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": DB_URL,
            # The web app reads only the public key; the private one is for the signer (here:
            # the bench's seeding and its sign-before-verify, as the signer daemon would).
            "AUDIT_SIGNING_KEY_FILE": str(WORK / "audit_signing_key.pem"),
            "AUDIT_PUBLIC_KEY_FILE": str(WORK / "audit_signing_key.pub.pem"),
            "AUDIT_SIGNER_STATE_DIR": str(WORK / "audit_signer"),
            "SAFE_PASSAGE_LOCAL_DIR": str(WORK / "local"),
            "MEDIA_ROOT": str(WORK / "media"),
            # One loopback address sends every request: the per-source limits would refuse all
            # but the first few. Rate limiting is measured by the evacuation tests instead.
            # (This one switch turns off every RATE_LIMIT_* budget: config/settings.py.)
            "RATE_LIMITS_ENABLED": "0",
            # The bench's staff sign in with password and TOTP through the real pages (a
            # security key needs a browser); the key ceremonies are tested, not benchmarked.
            "WEBAUTHN_REQUIRED_ROLES": "none",
            "DEBUG": "0",
        }
    )
    env.update(argon2 or PRODUCTION_ARGON2)
    return env


def database_recreate() -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def database_drop() -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def manage(*args: str, env: dict[str, str], stdin: str | None = None, check: bool = True):
    done = subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        text=True,
        capture_output=True,
        check=False,
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}")
    return done


def prepare(env: dict[str, str]) -> None:
    """Fresh database, migrations, static files (production serves the hashed manifest) and the
    audit signing key."""
    database_recreate()
    manage("migrate", "--noinput", "-v", "0", env=env)
    manage("collectstatic", "--noinput", "-v", "0", env=env)
    for name in ("AUDIT_SIGNING_KEY_FILE", "AUDIT_PUBLIC_KEY_FILE"):
        Path(env[name]).unlink(missing_ok=True)
    shutil.rmtree(env["AUDIT_SIGNER_STATE_DIR"], ignore_errors=True)  # the last signed head
    manage("audit_keygen", env=env)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return [int(pid) for pid in out.split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def server_start(env: dict[str, str], *, workers: int = WORKERS, name: str = "gunicorn") -> Server:
    port = free_port()
    log = WORK / f"{name}.log"
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            "--backlog",
            "2048",
            "--access-logfile",
            "/dev/null",
            "--error-logfile",
            str(log),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server(process, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early; see {log}")
        try:
            # "/" redirects to the visitor's language (/en/); urlopen follows it.
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                if r.status == 200 and len(server.worker_pids()) >= workers:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer within 60 s; see {log}")


# --- what else ran: the machine is shared -------------------------------------------------------


def _busy_ticks() -> int:
    """Busy CPU ticks of the whole machine since boot (/proc/stat: all but idle and iowait;
    steal, time the hypervisor gave to other guests, counts as busy)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return user + nice + system + irq + softirq + steal


def _pid_ticks(pid: int, *, children: bool = False) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:  # cutime, cstime: children already waited for (e.g. the Argon2id workers)
        ticks += int(fields[13]) + int(fields[14])
    return ticks


class OthersCpu:
    """How much CPU processes other than the bench's used during a stretch of time, in cores.
    Ours: this process and the children it has waited for, the server's master and workers,
    and PostgreSQL's backends on the bench database. The rest (other people's test runs, other
    guests' steal) is what this measures; a backend that exits mid-stretch counts as other."""

    def __init__(self, server: Server | None = None) -> None:
        self.server = server
        self._conn = psycopg.connect(PG_ADMIN, autocommit=True)

    def close(self) -> None:
        self._conn.close()

    def _ours(self) -> dict[int, int]:
        pids = [os.getpid()]
        if self.server is not None and self.server.process.poll() is None:
            pids += [self.server.process.pid, *self.server.worker_pids()]
        rows = self._conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [DB_NAME]
        ).fetchall()
        pids += [row[0] for row in rows]
        found = {}
        for pid in pids:
            ticks = _pid_ticks(pid, children=pid == os.getpid())
            if ticks is not None:
                found[pid] = ticks
        return found

    def start(self) -> None:
        self._began = time.monotonic()
        self._busy = _busy_ticks()
        self._mine = self._ours()

    def stop(self) -> float:
        """Other processes' CPU since start(), in cores (0.5: half of one core, on average)."""
        seconds = time.monotonic() - self._began
        busy = _busy_ticks() - self._busy
        now = self._ours()
        mine = sum(ticks - self._mine.get(pid, 0) for pid, ticks in now.items())
        tick = os.sysconf("SC_CLK_TCK")
        return max(0.0, (busy - mine) / tick / seconds) if seconds > 0 else 0.0


def quiet_wait(meter: OthersCpu, *, below: float, most_s: float, probe_s: float = 3.0) -> float:
    """Waits (up to `most_s`) until other processes use less than `below` cores over a probe of
    `probe_s`; returns the seconds waited."""
    waited = 0.0
    while waited < most_s:
        meter.start()
        time.sleep(probe_s)
        if meter.stop() < below:
            break
        waited += probe_s
    return waited


# --- what the figures were measured on ----------------------------------------------------------


def _meminfo_gib(key: str) -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024 / 1024
    return float("nan")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, str]:
    from importlib.metadata import version

    with psycopg.connect(PG_ADMIN) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    load = os.getloadavg()
    return {
        "cpu": f"{os.cpu_count()} logical cores ({_cpu_model()})",
        "memory": f"{_meminfo_gib('MemTotal'):.1f} GiB total, "
        f"{_meminfo_gib('MemAvailable'):.1f} GiB available at start",
        "load": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min, at start; the machine is "
        "shared)",
        "os": platform.platform(),
        "versions": (
            f"Python {platform.python_version()}, Django {version('Django')}, "
            f"PostgreSQL {pg}, cryptography {version('cryptography')}, "
            f"gunicorn {version('gunicorn')}, argon2-cffi {version('argon2-cffi')}, "
            f"psycopg {version('psycopg')}"
        ),
    }


def cleanup_work() -> None:
    """Secrets of the run go with it (the recovery secret file is removed as soon as used)."""
    for name in ("secret_key", "audit_signing_key.pem", "audit_signing_key.pub.pem"):
        (WORK / name).unlink(missing_ok=True)
    (WORK / "recovery_secret").unlink(missing_ok=True)
    shutil.rmtree(WORK / "media", ignore_errors=True)
    shutil.rmtree(WORK / "audit_signer", ignore_errors=True)


def pg_version_ok() -> bool:
    try:
        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        return False


if __name__ == "__main__":  # pragma: no cover - a quick manual check
    print(machine())
    sys.exit(0)
