"""Audit verification speed: builds a chain of N events, then times `verify_database`.

    SAFE_PASSAGE_ENV=development DATABASE_URL=postgres://postgres@127.0.0.1:5432/safe_passage \
        .venv/bin/python -m bench.audit_verify --events 1000000

Works in a throw-away test database (created and dropped here), with a signed checkpoint every
1,000 events as in production, verified strictly with `expect` (the newest 500 signed heads, as
`verify_audit --expect` gets them from /audit/heads.jsonl). Issue 7's target: at least 100,000
events a second over 1,000,000 events, in constant memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from datetime import timedelta


class _NoMigrations(dict):
    """Tables straight from the models: the bench needs tables, not history."""

    def __contains__(self, item) -> bool:
        return True

    def __getitem__(self, item):
        return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=5000)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SAFE_PASSAGE_ENV", "development")
    import django

    django.setup()
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from audit import signing
    from audit.chain import GENESIS_HASH, event_hash, timestamp
    from audit.models import AuditEvent, ChainHead, Checkpoint
    from audit.verify import verify_database

    key = Ed25519PrivateKey.generate()
    fingerprint = signing.fingerprint(key.public_key())

    settings.MIGRATION_MODULES = _NoMigrations()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        start = time.perf_counter()
        previous = GENESIS_HASH
        moment = timezone.now() - timedelta(days=30)
        batch = []
        samples = [
            ("case.received", "applicant", "case", {"urgency": "now"}),
            ("case.opened", "system", "case", {"reason": "assess"}),
            (
                "funding.proposed",
                "system",
                "case",
                {"amount": 5000, "currency": "EUR", "purpose": "transport"},
            ),
            ("signin.failed", "anonymous", "", {"username_hash": "ab" * 16}),
        ]
        for sequence in range(1, args.events + 1):
            action, kind, target_type, data = samples[sequence % len(samples)]
            moment += timedelta(milliseconds=7)
            ref = f"EV-{sequence % 9999:04d}" if target_type else ""
            fields = {
                "actor_id": None,
                "actor_kind": kind,
                "actor_role": "",
                "action": action,
                "target_type": target_type,
                "target_ref": ref,
                "data": data,
            }
            digest = event_hash(
                sequence=sequence, created_at=timestamp(moment), prev_hash=previous, **fields
            )
            batch.append(
                AuditEvent(
                    sequence=sequence, created_at=moment, prev_hash=previous, hash=digest, **fields
                )
            )
            previous = digest
            if sequence % 1000 == 0:
                Checkpoint.objects.create(
                    sequence=sequence,
                    hash=digest,
                    signature=signing.sign(
                        key, sequence=sequence, hash=digest, signed_at=timestamp(moment)
                    ),
                    key_fingerprint=fingerprint,
                    created_at=moment,
                )
            if len(batch) >= args.batch_size:
                AuditEvent.objects.bulk_create(batch)
                batch = []
        AuditEvent.objects.bulk_create(batch)
        ChainHead.objects.update_or_create(
            pk=1, defaults={"sequence": args.events, "hash": previous}
        )
        fill_s = time.perf_counter() - start

        # As `verify_audit --expect` runs it: against the newest signed heads kept off the server.
        expect = [
            signing.statement(
                sequence=c.sequence,
                hash=c.hash,
                signed_at=c.created_at,
                fingerprint=c.key_fingerprint,
                signature=c.signature,
            )
            for c in Checkpoint.objects.order_by("-sequence")[:500]
        ]
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        result = verify_database(public_key=key.public_key(), expect=expect)
        verify_s = time.perf_counter() - start
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    print(f"database: {connection.vendor}")
    print(f"built {args.events:,} events in {fill_s:.1f} s")
    print(result.summary())
    print(
        f"verify_database: {result.checked:,} events in {verify_s:.2f} s = "
        f"{result.checked / verify_s:,.0f} events/s; peak RSS grew by "
        f"{(rss_after - rss_before) / 1024:.1f} MiB during verification"
    )
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
