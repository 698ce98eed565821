"""Grants the organisation key to a staff member, using the recovery secret."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from vault.errors import NoPersonalKey, VaultNotInitialised, WrongRecoverySecret
from vault.management.commands._recovery import (
    add_recovery_arguments,
    read_recovery_secret,
    staff_member,
)
from vault.org import grant_from_recovery, grant_recorded


class Command(BaseCommand):
    help = (
        "Seal the organisation key to USERNAME's personal key. Asks for the recovery secret "
        "(or --recovery-file). Coordinators can also grant from the staff pages."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        add_recovery_arguments(parser)

    def handle(self, *args, **options) -> None:
        user = staff_member(options["username"])
        secret = read_recovery_secret(options)
        try:
            with transaction.atomic():
                version = grant_from_recovery(grantee=user, recovery_secret=secret)
                grant_recorded(user, version=version, via="recovery")
        except WrongRecoverySecret as exc:
            raise CommandError("That recovery secret does not belong to this vault.") from exc
        except VaultNotInitialised as exc:
            raise CommandError("The vault is not initialised: run init_vault first.") from exc
        except NoPersonalKey as exc:
            raise CommandError(
                f"{user.username} has no personal key yet: they must sign in once first."
            ) from exc
        self.stdout.write(f"Granted organisation key v{version} to {user.username}.")
