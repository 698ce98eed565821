"""Verifies the audit chain (database or an exported file); exit 1 names the first bad event."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from audit import signing
from audit.actions import Action
from audit.services import record
from audit.verify import ExportFormatError, public_key_from, verify_database, verify_file


def read_statements(paths: list[str]) -> list[signing.Statement]:
    statements = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                statements += signing.statements_parse(handle.read())
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        except (signing.StatementFormatError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
    return statements


class Command(BaseCommand):
    help = (
        "Verify every hash, link and checkpoint signature of the audit chain, and that every "
        "signed head given with --expect (kept off the server) is still in it. Strict: fails "
        "without the public key, when events exist but no signed checkpoint covers any, when "
        "an event older than AUDIT_MAX_UNSIGNED_AGE is not covered by a signature, and when an "
        "event is dated in the future or before the event ahead of it (beyond "
        "AUDIT_CLOCK_SKEW_SECONDS). Prints a one-line summary and exits 0, or names the first bad "
        "sequence and exits 1. Needs only read access (it runs on a read-only replica)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--file", help="Verify an exported JSON Lines file offline instead of the database."
        )
        parser.add_argument(
            "--public-key",
            help="PEM file with the checkpoint public key; defaults to AUDIT_PUBLIC_KEY_FILE.",
        )
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="FILE",
            help="Signed heads saved earlier (one or more files of statement lines).",
        )
        parser.add_argument(
            "--lenient",
            action="store_true",
            help=(
                "Only note a missing key, missing checkpoints, an unsigned tail or odd event "
                "times (a first install), do not fail."
            ),
        )

    def handle(self, *args, file=None, public_key=None, expect=(), lenient=False, **options):
        try:
            key = public_key_from(public_key)
        except signing.SigningKeyError as exc:
            raise CommandError(str(exc)) from exc
        statements = read_statements(list(expect))
        if file:
            if key is None and not lenient:
                raise CommandError("No checkpoint public key: give --public-key (or --lenient).")
            try:
                with open(file, encoding="utf-8") as handle:
                    result = verify_file(handle, public_key=key, expect=statements)
            except OSError as exc:
                raise CommandError(f"Cannot read {file}: {exc.strerror}.") from exc
            except (ExportFormatError, UnicodeDecodeError) as exc:
                raise CommandError(f"Not a valid audit export: {exc}") from exc
        else:
            result = verify_database(public_key=key, expect=statements, strict=not lenient)
            self._record(result)
        if not result.ok:
            raise CommandError(result.summary())
        self.stdout.write(result.summary())

    def _record(self, result) -> None:
        """The result joins the chain where the database is writable; a read-only replica
        (or a role that may not append) just verifies."""
        try:
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
        except DatabaseError:
            self.stderr.write("(Read-only database: the result was not recorded.)")
