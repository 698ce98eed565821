"""Offboards a staff member: disables the account, ends its sessions, revokes its key grants and
re-keys every case (a rotation), each step an audit event; prints what was done."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.models import User
from accounts.offboarding import staff_offboard
from vault.errors import VaultError, VaultLocked, VaultNotInitialised, WrongRecoverySecret
from vault.management.commands._recovery import add_recovery_arguments, read_recovery_secret
from vault.org import ROTATION_BATCH, org_keys_from_recovery


class Command(BaseCommand):
    help = (
        "For the day someone leaves or loses a device: disable USERNAME's account, end its "
        "sessions, revoke its organisation key grants, then rotate the organisation key and "
        "give every case a new data key, so nothing they kept opens anything written after. "
        "Needs the recovery secret (prompt, or --recovery-file). Interrupted? Run it again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        add_recovery_arguments(parser)
        parser.add_argument("--batch-size", type=int, default=ROTATION_BATCH)
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, username: str, **options) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no staff member called {username!r}. Nothing changed.")
        # The secret first: a wrong one must change nothing at all.
        secret = read_recovery_secret(options)
        try:
            org_keys = org_keys_from_recovery(secret)
        except WrongRecoverySecret as exc:
            raise CommandError(
                "That recovery secret does not belong to this vault. Nothing changed."
            ) from exc
        except VaultNotInitialised as exc:
            raise CommandError("The vault is not initialised. Nothing changed.") from exc
        except VaultLocked as exc:
            raise CommandError(f"{exc} Nothing changed.") from exc
        bar = tqdm(unit="case", disable=options["no_progress"], file=self.stderr._out)

        def pending(count: int) -> None:
            bar.total = count
            bar.refresh()

        try:
            done = staff_offboard(
                user=user,
                org_keys=org_keys,
                progress=bar.update,
                pending=pending,
                batch_size=options["batch_size"],
            )
        except VaultError as exc:
            raise CommandError(
                f"The account is disabled, its sessions ended and its grants revoked, but the "
                f"rotation stopped: {exc} Run offboard (or rotate_org_key) again to resume."
            ) from exc
        finally:
            bar.close()
        rotation = done.rotation
        self.stdout.write(
            "\n".join(
                [
                    "Account disabled." if done.disabled else "Account was already disabled.",
                    f"Sessions ended: {done.sessions_ended}.",
                    f"Key grants revoked: {done.grants_revoked}.",
                    f"Organisation key rotated v{', v'.join(map(str, rotation.old_versions))} -> "
                    f"v{rotation.new_version}: {rotation.rekeyed_cases} cases given a new data "
                    f"key in {rotation.batches} batches; the old version is destroyed.",
                    "Each step is in the audit log.",
                ]
            )
        )
