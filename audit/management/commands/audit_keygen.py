"""Creates the Ed25519 key pair that signs audit checkpoints (never overwrites one)."""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit import signing


class Command(BaseCommand):
    help = (
        "Create the audit checkpoint key: the private key at AUDIT_SIGNING_KEY_FILE (mode 0600, "
        "for the signer alone) and the public key at AUDIT_PUBLIC_KEY_FILE (for the web app "
        "and verification)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--path", help="The private key here instead of AUDIT_SIGNING_KEY_FILE."
        )
        parser.add_argument(
            "--public-path", help="The public key here instead of AUDIT_PUBLIC_KEY_FILE."
        )
        parser.add_argument(
            "--owner", help="Give the private key to this system user (the signer's), as root."
        )
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Do nothing (exit 0) when the private key file already exists.",
        )

    def handle(self, *args, path=None, public_path=None, owner=None, if_missing=False, **options):
        target = Path(path) if path else signing.key_path()
        public_target = Path(public_path) if public_path else signing.public_key_path()
        if target is None or public_target is None:
            raise CommandError(
                "AUDIT_SIGNING_KEY_FILE and AUDIT_PUBLIC_KEY_FILE must be set (or --path and "
                "--public-path given)."
            )
        if target.exists():
            if not if_missing:
                raise CommandError(f"{target} already exists; it is never overwritten.")
            if not public_target.exists():  # a key made before the public file existed
                key = signing.private_key_load(target)
                public_target.write_text(signing.public_pem(key.public_key()))
                self.stdout.write(f"Public key written to {public_target}.")
            return
        try:
            key = signing.key_generate(target, public_target)
        except FileExistsError as exc:
            raise CommandError(f"{exc.filename} already exists; it is never overwritten.") from exc
        if owner:
            account = pwd.getpwnam(owner)
            os.chown(target, account.pw_uid, account.pw_gid)
        self.stdout.write(f"Audit signing key written to {target}; public key to {public_target}.")
        self.stdout.write(f"Public key fingerprint: {signing.fingerprint(key.public_key())}")
        self.stdout.write("Keep a copy of the fingerprint away from this server.")
