"""The audit log's part of the full health check (core.health; settings.HEALTH_CHECKS names
these). None of them is in the public /healthz: a stopped signer must be seen and mended, but
it must not take the applicant site offline."""

from __future__ import annotations

import os
import pwd
import stat
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from audit import signing
from audit.actions import Action
from audit.models import AuditEvent, Checkpoint
from core.health import Result, readable_by


def checkpoint() -> Result:
    """The signer is at work: its newest checkpoint is younger than AUDIT_MAX_UNSIGNED_AGE.
    (The installer gives the signer AUDIT_CHECKPOINT_DAILY_SECONDS below that age, so even a
    quiet chain is signed often enough for this to hold while the signer runs.)"""
    newest = Checkpoint.objects.order_by("-created_at").values_list("created_at", flat=True)
    newest = newest.first()
    if newest is None:
        return Result("checkpoint", False, "no checkpoint yet: is the audit signer running?")
    age = timezone.now() - newest
    limit = timedelta(seconds=settings.AUDIT_MAX_UNSIGNED_AGE)
    minutes = int(age.total_seconds() // 60)
    if age > limit:
        return Result(
            "checkpoint",
            False,
            f"the newest checkpoint is {minutes} min old (more than AUDIT_MAX_UNSIGNED_AGE, "
            f"{settings.AUDIT_MAX_UNSIGNED_AGE} s): is the audit signer running?",
        )
    return Result("checkpoint", True, f"the newest is {minutes} min old")


def _private_key_path() -> Path | None:
    configured = settings.AUDIT_SIGNING_KEY_FILE or settings.HEALTH_SIGNING_KEY_FILE
    return Path(configured) if configured else None


def keys() -> Result | None:
    """The public key is there and this process (the web app's user) reads it; the private key
    belongs to AUDIT_SIGNER_USER, who may read it, and nobody else may (mode 0600 or 0400).
    Judged by ownership and mode bits: the web app never opens the private key."""
    try:
        signing.public_key()
    except signing.SigningKeyError as exc:
        return Result("keys", False, str(exc))
    private, signer = _private_key_path(), settings.AUDIT_SIGNER_USER
    if private is None or not signer:
        if settings.PRODUCTION:
            return Result(
                "keys",
                False,
                "AUDIT_SIGNER_USER and HEALTH_SIGNING_KEY_FILE are needed to check the signing "
                "key's owner",
            )
        return Result("keys", True, "public key readable (the signing key is not checked here)")
    try:
        info = os.stat(private)
        account = pwd.getpwnam(signer)
    except FileNotFoundError:
        return Result("keys", False, f"the signing key {private} is missing")
    except KeyError:
        return Result("keys", False, f"there is no system user {signer}")
    except OSError as exc:
        return Result("keys", False, f"cannot look at {private}: {exc.strerror}")
    problems = []
    if info.st_uid != account.pw_uid:
        problems.append(f"{private} does not belong to {signer}")
    if stat.S_IMODE(info.st_mode) & 0o077:
        problems.append(f"{private} is readable by others (mode {stat.S_IMODE(info.st_mode):o})")
    if not readable_by(private, signer):
        problems.append(f"{signer} cannot read {private}")
    if os.geteuid() not in (0, account.pw_uid) and os.access(private, os.R_OK):
        problems.append(f"this process ({pwd.getpwuid(os.geteuid()).pw_name}) can read {private}")
    if problems:
        return Result("keys", False, "; ".join(problems))
    return Result("keys", True, f"public key readable; signing key for {signer} alone")


def verification() -> Result:
    """The newest verify_audit run (the daily timer) found the chain intact."""
    event = (
        AuditEvent.objects.filter(action=Action.AUDIT_VERIFIED)
        .order_by("-sequence")
        .values_list("data", "created_at")
        .first()
    )
    if event is None:
        return Result("verification", False, "verify_audit has not run yet")
    data, when = event
    if not (data or {}).get("ok"):
        first_bad = (data or {}).get("first_bad")
        return Result(
            "verification",
            False,
            f"the last verify_audit ({when:%Y-%m-%d %H:%M} UTC) failed at sequence {first_bad}",
        )
    return Result("verification", True, f"the last verify_audit ({when:%Y-%m-%d %H:%M} UTC) passed")
