"""Replaces the organisation key: re-seals every case key, then destroys the old private key."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from audit.actions import Action
from audit.services import record
from vault.errors import VaultError, VaultLocked, VaultNotInitialised, WrongRecoverySecret
from vault.management.commands._recovery import add_recovery_arguments, read_recovery_secret
from vault.models import CaseKey
from vault.org import ROTATION_BATCH, org_key_rotate, org_keys_from_recovery, rotation_start


class Command(BaseCommand):
    help = (
        "Create organisation key version N+1, re-seal every case key to it in batches and then "
        "destroy version N (its grants and recovery seal). Interrupted? Run it again: it resumes."
    )

    def add_arguments(self, parser) -> None:
        add_recovery_arguments(parser)
        parser.add_argument("--batch-size", type=int, default=ROTATION_BATCH)
        parser.add_argument(
            "--workers",
            type=int,
            default=min(4, os.cpu_count() or 1),
            help="Processes doing the HPKE work while this one writes (default: CPUs, at "
            "most 4; 0 = all in this process).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, **options) -> None:
        secret = read_recovery_secret(options)
        try:
            org_keys = org_keys_from_recovery(secret)
            rotation = rotation_start(org_keys=org_keys)
        except WrongRecoverySecret as exc:
            raise CommandError("That recovery secret does not belong to this vault.") from exc
        except VaultNotInitialised as exc:
            raise CommandError("The vault is not initialised: run init_vault first.") from exc
        except VaultLocked as exc:
            raise CommandError(str(exc)) from exc
        pending = CaseKey.objects.filter(org_key_id__in=rotation.old_versions).count()
        self.stdout.write(
            f"Rotating organisation key v{', v'.join(map(str, rotation.old_versions))} "
            f"-> v{rotation.new_version}: {pending} case keys to re-seal."
        )

        def audit(done) -> None:
            record(
                action=Action.KEY_ROTATED,
                actor="system",
                target_type="vault",
                target_ref=f"v{done.new_version}",
                data={
                    "old_version": max(done.old_versions),
                    "new_version": done.new_version,
                    "cases": done.cases,
                },
            )

        bar = tqdm(
            total=pending, unit="case", disable=options["no_progress"], file=self.stderr._out
        )
        try:
            result = org_key_rotate(
                org_keys=org_keys,
                batch_size=options["batch_size"],
                progress=bar.update,
                on_finish=audit,
                workers=options["workers"],
            )
        except VaultError as exc:
            raise CommandError(f"{exc} Fix it and run rotate_org_key again to resume.") from exc
        finally:
            bar.close()
        self.stdout.write(
            f"Done: {result.cases} case keys re-sealed to v{result.new_version}; "
            f"v{', v'.join(map(str, result.old_versions))} destroyed."
        )
