"""When every staff member lost their key, the recovery secret grants the key again."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit.actions import Action
from audit.services import record
from vault.errors import VaultNotInitialised, WrongRecoverySecret
from vault.management.commands._recovery import (
    add_recovery_arguments,
    read_recovery_secret,
    staff_member,
)
from vault.models import StaffKey
from vault.org import grant_recorded, vault_recover


class Command(BaseCommand):
    help = (
        "Grant the organisation key again, with the recovery secret, to the named staff "
        "members or (--all) to every active staff member whose role opens cases."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("usernames", nargs="*", metavar="USERNAME")
        parser.add_argument("--all", action="store_true")
        add_recovery_arguments(parser)

    def _grantees(self, options) -> list:
        if options["all"] == bool(options["usernames"]):
            raise CommandError("Name the staff members to grant, or give --all.")
        if options["usernames"]:
            return [staff_member(name) for name in options["usernames"]]
        with_keys = StaffKey.objects.values("user_id")
        users = get_user_model().objects.filter(is_active=True, pk__in=with_keys)
        return [u for u in users.order_by("pk") if getattr(u, "may", lambda c: True)("open_case")]

    def handle(self, *args, **options) -> None:
        grantees = self._grantees(options)
        secret = read_recovery_secret(options)
        try:
            with transaction.atomic():
                version, granted = vault_recover(recovery_secret=secret, grantees=grantees)
                record(
                    action=Action.VAULT_RECOVERED,
                    actor="system",
                    target_type="vault",
                    target_ref=f"v{version}",
                    data={"version": version},
                )
                for user in granted:
                    grant_recorded(user, version=version, via="recovery")
        except WrongRecoverySecret as exc:
            raise CommandError("That recovery secret does not belong to this vault.") from exc
        except VaultNotInitialised as exc:
            raise CommandError("The vault is not initialised: run init_vault first.") from exc
        for user in granted:
            self.stdout.write(f"Granted organisation key v{version} to {user.username}.")
        skipped = [u.username for u in grantees if u not in granted]
        if skipped:
            self.stdout.write(
                "No personal key yet (they must sign in once, then run this again): "
                + ", ".join(skipped)
            )
