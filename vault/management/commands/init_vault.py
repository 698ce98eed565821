"""Creates the organisation key and prints the recovery secret, once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit.actions import Action
from audit.services import record
from vault.errors import NoPersonalKey, VaultAlreadyInitialised
from vault.management.commands._recovery import staff_member
from vault.org import grant_recorded, vault_init, vault_is_initialised

ADVICE = """
RECOVERY SECRET (shown this once; the server does not keep it):

    {secret}

Write it down by hand now, twice, and keep the copies offline in two separate safe places
(not in e-mail, chat, a password manager synced to a phone, or a photo). Whoever holds it can
read every case. It is the only way back in if every staff member loses their password, and
it is asked for by grant_key, rotate_org_key and recover_vault. Clear this terminal's
scrollback when you are done.
"""


class Command(BaseCommand):
    help = "Create the organisation key (version 1) and print the recovery secret once."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--grant",
            action="append",
            default=[],
            metavar="USERNAME",
            help="Grant the new organisation key to this staff member at once (repeatable).",
        )
        parser.add_argument(
            "--exists-ok",
            action="store_true",
            help="Exit quietly (status 0) if the vault is already initialised.",
        )

    def handle(self, *args, **options) -> None:
        if vault_is_initialised():
            if options["exists_ok"]:
                self.stdout.write("The vault is already initialised; nothing to do.")
                return
            raise CommandError(
                "The vault is already initialised. init_vault never replaces keys: use "
                "rotate_org_key to change the organisation key, recover_vault to regain access."
            )
        grantees = [staff_member(name) for name in options["grant"]]
        try:
            with transaction.atomic():
                result = vault_init(grantees=grantees)
                record(
                    action=Action.VAULT_INITIALISED,
                    actor="system",
                    target_type="vault",
                    target_ref=f"v{result.version}",
                    data={"version": result.version, "fingerprint": result.fingerprint},
                )
                for user in result.granted:
                    grant_recorded(user, version=result.version, via="init")
        except VaultAlreadyInitialised as exc:
            raise CommandError("The vault is already initialised.") from exc
        except NoPersonalKey as exc:
            raise CommandError(
                "A staff member to grant has no personal key yet; nothing was created."
            ) from exc
        self.stdout.write(
            f"Vault initialised: organisation key v{result.version} "
            f"(fingerprint {result.fingerprint})."
        )
        for user in result.granted:
            self.stdout.write(f"Granted to {user.username}.")
        self.stdout.write(ADVICE.format(secret=result.recovery_secret))
