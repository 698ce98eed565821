"""Verifies the audit chain (database or an exported file); exit 1 names the first broken event."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit import signing
from audit.actions import Action
from audit.services import record
from audit.verify import ExportFormatError, public_key_from, verify_database, verify_file


class Command(BaseCommand):
    help = (
        "Verify every hash, link and checkpoint signature of the audit chain. Prints a one-line "
        "summary and exits 0, or names the first broken sequence and exits 1."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--file", help="Verify an exported JSON Lines file offline instead of the database."
        )
        parser.add_argument(
            "--public-key",
            help="PEM file with the checkpoint public (or private) key; "
            "defaults to AUDIT_SIGNING_KEY_FILE.",
        )

    def handle(self, *args, file: str | None = None, public_key: str | None = None, **options):
        try:
            key = public_key_from(public_key)
        except signing.SigningKeyError as exc:
            raise CommandError(str(exc)) from exc
        if file:
            try:
                with open(file, encoding="utf-8") as handle:
                    result = verify_file(handle, public_key=key)
            except OSError as exc:
                raise CommandError(f"Cannot read {file}: {exc.strerror}.") from exc
            except (ExportFormatError, UnicodeDecodeError) as exc:
                raise CommandError(f"Not a valid audit export: {exc}") from exc
        else:
            result = verify_database(public_key=key)
            with transaction.atomic():
                record(
                    action=Action.AUDIT_VERIFIED,
                    actor="system",
                    target_type="audit",
                    data={
                        "ok": result.ok,
                        "checked": result.checked,
                        "first_bad": result.first_bad_sequence,
                    },
                )
        if not result.ok:
            raise CommandError(result.summary())
        self.stdout.write(result.summary())
