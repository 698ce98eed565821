"""Fast bulk seeding, with the project's own crypto and hashing so the data is real.

Runs inside the bench runner after django.setup() with the bench environment.
- audit events: rows made and hashed by audit.chain.event_row, checkpoints signed with the
  configured key, written with PostgreSQL COPY;
- cases: a random DEK each, sealed to the organisation key with vault.crypto.seal (HPKE
  ML-KEM-768+X25519) in worker processes, intake payload encrypted with vault.cases.CaseCipher,
  written with bulk_create. No vault.models.ApplicantKey rows are made: each would cost one
  Argon2id (about 0.34 s at the production floor), and the queue and rotation never read them.
  So seeded cases have no receipt code at all (no locator finds them); the intake, look-up and
  burst benchmarks make their cases through the real pages, which do write ApplicantKey.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tqdm import tqdm

STAFF_PASSWORD = "bench staff passphrase 2026"  # a throw-away account in a throw-away database

_AUDIT_SAMPLES = (
    ("case.received", "applicant", "case", {"urgency": "now"}),
    ("case.status_viewed", "applicant", "case", {}),
    ("case.opened", "staff", "case", {"reason": "assess"}),
    ("funding.proposed", "staff", "case", {"amount": 5000, "currency": "EUR", "purpose": "visa"}),
    ("signin.failed", "anonymous", "", {"username_hash": "ab" * 16}),
    ("signin.succeeded", "staff", "", {}),
)


def audit_chain_extend(total: int, *, actor_id: int | None = None, batch: int = 20_000) -> int:
    """Appends events until the chain holds `total`; returns how many were added. Checkpoints
    every AUDIT_CHECKPOINT_EVERY events are signed with the configured key (as the audit signer
    would have, each at its events' time: `signed_at` is the checkpoint's created_at)."""
    from django.conf import settings
    from django.db import connection, transaction

    from audit import signing
    from audit.chain import ROW_FIELDS, event_row, timestamp
    from audit.models import AuditEvent, ChainHead

    with transaction.atomic():
        head = ChainHead.objects.select_for_update().get(pk=1)
        start, previous = head.sequence, head.hash
        if total <= start:
            return 0
        key = signing.signing_key()  # the bench plays the audit signer for what it seeds
        fingerprint = signing.fingerprint(key.public_key())
        every = settings.AUDIT_CHECKPOINT_EVERY
        # Up to 60 days of history, up to now; the times move forward from the head's own, as
        # strict verification wants them (never back, never ahead of the clock).
        end = datetime.now(UTC)
        last = AuditEvent.objects.filter(sequence=start).values_list("created_at", flat=True)
        moment = max([end - timedelta(days=60), *last])
        step = max(end - moment, timedelta(0)) / max(total - start, 1)
        rng = random.Random(start)
        bar = tqdm(total=total - start, unit="event", desc="audit events", leave=False)
        cursor = connection.cursor()
        sequence = start
        while sequence < total:
            rows, checkpoints = [], []
            for sequence in range(sequence + 1, min(total, sequence + batch) + 1):  # noqa: B020
                action, kind, target_type, data = _AUDIT_SAMPLES[sequence % len(_AUDIT_SAMPLES)]
                moment += step
                fields = {
                    "sequence": sequence,
                    "created_at": timestamp(moment),
                    "actor_id": actor_id if kind == "staff" else None,
                    "actor_kind": kind,
                    "actor_role": "caseworker" if kind == "staff" else "",
                    "action": action,
                    "target_type": target_type,
                    "target_ref": f"EV-{rng.randrange(10**6):06d}" if target_type else "",
                    "data": data,
                    "prev_hash": previous,
                }
                if fields["actor_kind"] == "staff" and actor_id is None:
                    fields.update(actor_kind="system", actor_role="")
                # created_at and data as text: PostgreSQL parses both on COPY.
                row = event_row(**fields)
                digest = row[-1]
                rows.append(row)
                if every and sequence % every == 0:
                    checkpoints.append(
                        (
                            sequence,
                            digest,
                            signing.sign(
                                key, sequence=sequence, hash=digest, signed_at=timestamp(moment)
                            ),
                            fingerprint,
                            moment,
                        )
                    )
                previous = digest
            with cursor.cursor.copy(
                f"COPY audit_auditevent ({', '.join(ROW_FIELDS)}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            if checkpoints:
                with cursor.cursor.copy(
                    "COPY audit_checkpoint (sequence, hash, signature, key_fingerprint, "
                    "created_at) FROM STDIN"
                ) as copy:
                    for row in checkpoints:
                        copy.write_row(row)
            bar.update(len(rows))
        bar.close()
        # The head's trigger (audit/triggers.py) lets it move one appended event at a time, as
        # record() moves it. The bench, owner of its throw-away database, moves it over the
        # whole seeded stretch in one statement with triggers suspended for that statement
        # only (superuser); verification afterwards checks head and chain agree.
        cursor.execute("SET LOCAL session_replication_role = replica")
        ChainHead.objects.filter(pk=1).update(sequence=sequence, hash=previous)
        cursor.execute("SET LOCAL session_replication_role = origin")
    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE audit_auditevent")
    return total - start


# --- staff and vault ------------------------------------------------------------------------------


def staff_and_vault(work: Path):
    """A caseworker with a TOTP device, holding a grant of organisation key v1. The recovery
    secret goes to a 0600 file in the ignored work folder (rotate_org_key reads it from there)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Role, User
    from accounts.services import staff_create
    from vault.org import vault_init, vault_is_initialised

    user = User.objects.filter(username="bench_caseworker").first()
    if user is None:
        user = staff_create(
            username="bench_caseworker",
            role=Role.CASEWORKER,
            password=STAFF_PASSWORD,
            actor="system",
        )
        TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    # The same role without a grant: the same queue, without triage summaries (bench queue).
    if not User.objects.filter(username="bench_no_grant").exists():
        other = staff_create(
            username="bench_no_grant",
            role=Role.CASEWORKER,
            password=STAFF_PASSWORD,
            actor="system",
        )
        TOTPDevice.objects.create(user=other, name="authenticator", confirmed=True)
    if not vault_is_initialised():
        secret = vault_init(grantees=[user]).recovery_secret
        path = work / "recovery_secret"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secret)
    return user


def totp_now(user) -> str:
    """A code the device accepts now (the replay guard is reset: sign-ins share a step)."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


# --- cases ---------------------------------------------------------------------------------------

_SEAL: dict = {}


def _seal_init(public_bytes: bytes, triage_public: bytes | None) -> None:
    from vault import crypto

    _SEAL["public"] = crypto.public_key_load(public_bytes)
    _SEAL["triage"] = crypto.public_key_load(triage_public) if triage_public else None


TRIAGE_SAMPLE = {
    "region_now": "central_asia",
    "help_needed": ["transport", "visa"],
    "party_size": 2,
    "children": "no",
    "preferred_language": "ru",
    "referred": "yes",
}


def _seal_chunk(count: int) -> list[tuple[str, bytes, bytes, bytes]]:
    """(uid, sealed DEK, encrypted payload, sealed triage summary) for `count` new cases."""
    from vault import crypto
    from vault.cases import CaseCipher, case_dek_info
    from vault.triage import summary_seal

    out = []
    summary = json.dumps(TRIAGE_SAMPLE, separators=(",", ":"), sort_keys=True).encode()
    for i in range(count):
        uid = str(uuid.uuid4())
        dek = crypto.random_key()
        sealed = crypto.seal(_SEAL["public"], dek, info=case_dek_info(uid))
        payload = json.dumps(
            {"v": 1, "name": f"Bench applicant {i}", "situation": "x" * 400, "party_size": 2}
        ).encode()
        triage = summary_seal(uid, summary, public=_SEAL["triage"]) if _SEAL["triage"] else b""
        out.append((uid, sealed, CaseCipher(uid, dek).encrypt("intake", payload), triage))
    return out


def cases_seed_to(total: int, *, chunk: int = 2000, workers: int | None = None) -> int:
    """Adds cases (with their sealed case keys) until `total` exist; returns how many were
    added. States and urgencies are mixed, ages spread over 90 days."""
    from django.db import connection, transaction

    from evacuation.models import REFERENCE_ALPHABET, Case
    from evacuation.models.case import URGENCY_PRIORITY
    from vault.cases import current_org_key
    from vault.models import CaseKey
    from vault.triage import public_key as triage_public_key

    existing = Case.objects.count()
    missing = total - existing
    if missing <= 0:
        return 0
    org_key = current_org_key()
    states = ["received"] * 6 + ["assessed"] * 2 + ["funded", "relocated", "declined", "withdrawn"]
    urgencies = ["now", "weeks", "weeks", "planning", "planning"]
    rng = random.Random(total)
    used = set(Case.objects.values_list("reference", flat=True))
    now = datetime.now(UTC)
    context = multiprocessing.get_context("fork")
    workers = workers or max(1, os.cpu_count() or 1)
    sizes = [min(chunk, missing - i) for i in range(0, missing, chunk)]
    bar = tqdm(total=missing, unit="case", desc="cases (HPKE-sealed keys)", leave=False)
    connection.close()  # forked workers must not share the parent's socket
    init = (bytes(org_key.public_key), triage_public_key())
    with context.Pool(workers, _seal_init, init) as pool:
        for sealed_chunk in pool.imap(_seal_chunk, sizes):
            cases, keys = [], []
            for uid, sealed, payload, triage in sealed_chunk:
                while True:
                    chars = "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(6))
                    reference = f"EV-{chars[:4]}-{chars[4:]}"
                    if reference not in used:
                        used.add(reference)
                        break
                created = now - timedelta(seconds=rng.randrange(90 * 86400))
                urgency = rng.choice(urgencies)
                cases.append(
                    Case(
                        uid=uid,
                        reference=reference,
                        state=rng.choice(states),
                        urgency=urgency,
                        # Case.save() derives it; bulk_create skips save(), so set it here.
                        priority=URGENCY_PRIORITY[urgency],
                        payload=payload,
                        triage=triage,
                        created_at=created,
                        last_applicant_activity_on=created.date(),
                    )
                )
                keys.append(CaseKey(case_uid=uid, org_key_id=org_key.version, sealed=sealed))
            with transaction.atomic():
                Case.objects.bulk_create(cases, batch_size=1000)
                CaseKey.objects.bulk_create(keys, batch_size=1000)
            bar.update(len(cases))
    bar.close()
    # What autovacuum would have done to a table that grew over months: statistics and the
    # visibility map (without it a count(*) reads every heap page).
    with connection.cursor() as cursor:
        for table in (Case._meta.db_table, CaseKey._meta.db_table):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
    return missing
