"""Vault timings: HPKE seal/open, Argon2id at the configured parameters, and key rotation.

    SAFE_PASSAGE_ENV=development DATABASE_URL=postgres://postgres@127.0.0.1:5432/safe_passage \
        .venv/bin/python -m bench.vault_keys --cases 10000

Works in a throw-away test database (created and dropped here). Issue 7's target: rotation
re-seals 100,000 cases in at most 60 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid


class _NoMigrations(dict):
    """Tables straight from the models, as pytest --no-migrations does: the bench needs tables,
    not history."""

    def __contains__(self, item) -> bool:
        return True

    def __getitem__(self, item):
        return None


def _timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SAFE_PASSAGE_ENV", "development")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from vault import crypto
    from vault.cases import case_dek_info
    from vault.models import CaseKey, OrgKey
    from vault.org import org_key_rotate, org_keys_from_recovery, vault_init

    settings.MIGRATION_MODULES = _NoMigrations()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        keypair = crypto.keypair_generate()
        dek = crypto.random_key()
        sealed = crypto.seal(keypair.public_bytes, dek, info=b"bench")
        public = crypto.public_key_load(keypair.public_bytes)
        seal_ms = _timed(lambda: crypto.seal(public, dek, info=b"bench"), 500) * 1000
        open_ms = _timed(lambda: crypto.unseal(keypair.private, sealed, info=b"bench"), 500) * 1000
        keygen_ms = _timed(crypto.keypair_generate, 200) * 1000
        params = crypto.Argon2Params.from_settings()
        argon_s = _timed(lambda: crypto.argon2_key(b"pw", salt=b"s" * 16, params=params), 5)

        result = vault_init()
        org_public = crypto.public_key_load(bytes(OrgKey.objects.get(version=1).public_key))
        start = time.perf_counter()
        rows = []
        for _ in range(args.cases):
            uid = str(uuid.uuid4())
            info = case_dek_info(uid)
            rows.append(
                CaseKey(case_uid=uid, org_key_id=1, sealed=crypto.seal(org_public, dek, info=info))
            )
        CaseKey.objects.bulk_create(rows, batch_size=1000)
        fill_s = time.perf_counter() - start

        keys = org_keys_from_recovery(result.recovery_secret)
        start = time.perf_counter()
        rotation = org_key_rotate(org_keys=keys, batch_size=args.batch_size, workers=args.workers)
        rotate_s = time.perf_counter() - start
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    rate = rotation.cases / rotate_s
    print(f"database: {connection.vendor}")
    print(f"HPKE ML-KEM-768+X25519 key pair: {keygen_ms:.3f} ms")
    print(f"HPKE seal 32 bytes: {seal_ms:.3f} ms   open: {open_ms:.3f} ms")
    print(
        f"Argon2id m={params.memory_kib} KiB t={params.iterations} p={params.lanes}: "
        f"{argon_s * 1000:.0f} ms"
    )
    print(f"created {args.cases} case keys in {fill_s:.1f} s")
    print(
        f"rotation: {rotation.cases} case keys in {rotate_s:.1f} s = {rate:,.0f}/s "
        f"(batch {args.batch_size}, {args.workers} worker(s)); "
        f"100,000 would take about {100_000 / rate:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
