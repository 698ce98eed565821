"""Replaces the organisation key: gives every case a new data key (its texts re-encrypted, its
files' keys re-wrapped, sealed to the new organisation key and to the applicant), then destroys
the old private key. One audit event per batch of cases."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from vault.errors import VaultError, VaultLocked, VaultNotInitialised, WrongRecoverySecret
from vault.management.commands._recovery import add_recovery_arguments, read_recovery_secret
from vault.management.rotation import rotation_begin, rotation_run
from vault.org import ROTATION_BATCH, org_keys_from_recovery


class Command(BaseCommand):
    help = (
        "Create organisation key version N+1, give every case a new data key sealed to it (texts "
        "re-encrypted, files' keys re-wrapped) in batches, then destroy version N (its grants "
        "and recovery seal). Interrupted? Run it again: it resumes."
    )

    def add_arguments(self, parser) -> None:
        add_recovery_arguments(parser)
        parser.add_argument("--batch-size", type=int, default=ROTATION_BATCH)
        parser.add_argument(
            "--workers",
            type=int,
            default=min(4, os.cpu_count() or 1),
            help="Processes doing the HPKE work of a re-seal-only rotation (default: CPUs, at "
            "most 4; 0 = all in this process). Re-keying runs in this process.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options) -> None:
        secret = read_recovery_secret(options)
        try:
            org_keys = org_keys_from_recovery(secret)
            rotation, pending = rotation_begin(org_keys=org_keys)
        except WrongRecoverySecret as exc:
            raise CommandError("That recovery secret does not belong to this vault.") from exc
        except VaultNotInitialised as exc:
            raise CommandError("The vault is not initialised: run init_vault first.") from exc
        except VaultLocked as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Rotating organisation key v{', v'.join(map(str, rotation.old_versions))} "
            f"-> v{rotation.new_version}: {pending} cases to re-key."
        )
        bar = tqdm(
            total=pending, unit="case", disable=options["no_progress"], file=self.stderr._out
        )
        try:
            result = rotation_run(
                org_keys=org_keys,
                batch_size=options["batch_size"],
                progress=bar.update,
                workers=options["workers"],
            )
        except VaultError as exc:
            raise CommandError(f"{exc} Fix it and run rotate_org_key again to resume.") from exc
        finally:
            bar.close()
        self.stdout.write(
            f"Done: {result.cases} case keys moved to v{result.new_version}, "
            f"{result.rekeyed_cases} cases given a new data key ({result.batches} batches); "
            f"v{', v'.join(map(str, result.old_versions))} destroyed."
        )
