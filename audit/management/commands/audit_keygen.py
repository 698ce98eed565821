"""Creates the Ed25519 key that signs audit checkpoints (never overwrites one)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit import signing


class Command(BaseCommand):
    help = "Create the audit checkpoint signing key at AUDIT_SIGNING_KEY_FILE (mode 0600)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--path", help="Write here instead of AUDIT_SIGNING_KEY_FILE.")
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Do nothing (exit 0) when the key file already exists.",
        )

    def handle(self, *args, path: str | None = None, if_missing: bool = False, **options):
        target = Path(path) if path else signing.key_path()
        if target is None:
            raise CommandError("AUDIT_SIGNING_KEY_FILE is not set; pass --path.")
        if target.exists():
            if if_missing:
                return
            raise CommandError(f"{target} already exists; it is never overwritten.")
        try:
            key = signing.key_generate(target)
        except FileExistsError as exc:
            raise CommandError(f"{target} already exists; it is never overwritten.") from exc
        self.stdout.write(f"Audit signing key written to {target}.")
        self.stdout.write(f"Public key fingerprint: {signing.fingerprint(key.public_key())}")
        self.stdout.write("Keep a copy of the fingerprint away from this server.")
