"""Health: a public probe that keeps the applicant site's answer simple, and a full check.

- `/healthz` (public): "ok", or 503 "unavailable". It asks only what the applicant site needs to
  work: that the database answers and that every migration is applied
  (settings.HEALTH_CHECKS_PUBLIC). Nothing else, so a fault of the audit signer or a full disk
  of the log partition never takes the applicant site out of a load balancer. It says nothing
  more: no version, no counts, no names.
- The full check (settings.HEALTH_CHECKS: these two, then disk room and each app's own checks,
  e.g. audit.health's signer, keys and last verification): `manage.py healthcheck` (exit 1 on a
  fault) and `/health/` for a monitor on the server itself, which is refused to anyone whose
  address is not loopback, behind the proxy too (the client's address in CLIENT_ADDRESS_HEADER).

Core imports no app: the checks are named in the settings (config wires them, as it wires
middleware) and loaded by name. A check is a function that returns a Result, or None when it
does not apply here (a development install without the production files); an exception counts
as a fault.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import pwd
import shutil
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.ratelimit import client_address

logger = logging.getLogger("core.health")


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str = ""

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}".rstrip(": ")


def run(paths: Iterable[str]) -> list[Result]:
    """Runs the checks named by dotted path, in order; a check that raises is a fault."""
    results = []
    for path in paths:
        name = path.rsplit(".", 1)[-1]
        try:
            check: Callable[[], Result | None] = import_string(path)
            result = check()
        except Exception as exc:
            logger.warning("Health check %s raised %s.", path, type(exc).__name__)
            result = Result(name, False, f"raised {type(exc).__name__}")
        if result is not None:
            results.append(result)
    return results


def public_results() -> list[Result]:
    return run(settings.HEALTH_CHECKS_PUBLIC)


def full_results() -> list[Result]:
    return run(settings.HEALTH_CHECKS)


# --- the checks of core's own ------------------------------------------------------------------


def database() -> Result:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return Result("database", True, "answers")


# Once every migration is applied in a process it stays so until the code changes, which
# restarts the process: the plan is not recomputed on every probe, only once a minute.
_migrations_ok_until = 0.0
MIGRATIONS_RECHECK_SECONDS = 60


def migrations() -> Result:
    global _migrations_ok_until
    if time.monotonic() < _migrations_ok_until:
        return Result("migrations", True, "all applied")
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        return Result("migrations", False, f"{len(plan)} not applied (run migrate)")
    _migrations_ok_until = time.monotonic() + MIGRATIONS_RECHECK_SECONDS
    return Result("migrations", True, "all applied")


def disk() -> Result:
    """Room on each filesystem named in HEALTH_DISK_PATHS (HEALTH_DISK_MIN_FREE_MB each)."""
    floor = settings.HEALTH_DISK_MIN_FREE_MB * 1024 * 1024
    short = []
    for path in settings.HEALTH_DISK_PATHS:
        try:
            free = shutil.disk_usage(path).free
        except OSError:
            short.append(f"{path} (not found)")
            continue
        if free < floor:
            short.append(f"{path} ({free // (1024 * 1024)} MB free)")
    if short:
        floor_mb = settings.HEALTH_DISK_MIN_FREE_MB
        return Result("disk", False, f"below {floor_mb} MB: " + ", ".join(short))
    return Result("disk", True, f"{len(settings.HEALTH_DISK_PATHS)} filesystem(s) above the floor")


# --- file permissions, for the apps' checks ----------------------------------------------------


def readable_by(path: Path, username: str) -> bool:
    """Whether the system user `username` may read `path` by its permission bits (every folder
    on the way searchable, the file readable), judged from the outside: the caller need not be
    that user. Root reads everything."""
    account = pwd.getpwnam(username)
    if account.pw_uid == 0:
        return Path(path).exists()
    groups = set(os.getgrouplist(username, account.pw_gid))

    def allowed(info: os.stat_result, owner: int, group: int, other: int) -> bool:
        if info.st_uid == account.pw_uid:
            return bool(info.st_mode & owner)
        if info.st_gid in groups:
            return bool(info.st_mode & group)
        return bool(info.st_mode & other)

    path = Path(path).absolute()
    try:
        for folder in reversed(path.parents):
            if not allowed(os.stat(folder), stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH):
                return False
        return allowed(os.stat(path), stat.S_IRUSR, stat.S_IRGRP, stat.S_IROTH)
    except OSError:
        return False


# --- the pages -----------------------------------------------------------------------------------


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    ok = all(result.ok for result in public_results())
    return HttpResponse(
        "ok\n" if ok else "unavailable\n",
        status=200 if ok else 503,
        content_type="text/plain; charset=utf-8",
    )


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def from_this_machine(request: HttpRequest) -> bool:
    """The connection is loopback or gunicorn's own Unix socket (no address), and the client
    the proxy names (CLIENT_ADDRESS_HEADER), if any, is loopback too: a request from anywhere
    else is refused even though it reached the app through nginx on loopback."""
    remote = request.META.get("REMOTE_ADDR", "")
    if remote and not _loopback(remote):
        return False
    client = client_address(request)
    return _loopback(client) or (not client and not remote)


@never_cache
@require_GET
def full(request: HttpRequest) -> HttpResponse:
    if not from_this_machine(request):
        return HttpResponse("not here\n", status=403, content_type="text/plain; charset=utf-8")
    results = full_results()
    ok = all(result.ok for result in results)
    return JsonResponse(
        {
            "ok": ok,
            "checks": [{"name": r.name, "ok": r.ok, "detail": r.detail} for r in results],
        },
        status=200 if ok else 503,
    )
