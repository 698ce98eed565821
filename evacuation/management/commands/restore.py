"""Restores a backup archive into an empty database (evacuation.services.backup)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from audit import signing
from audit.management.commands.verify_audit import read_statements
from audit.verify import public_key_from
from evacuation.services import backup


class Command(BaseCommand):
    help = (
        "Restore a backup archive into the empty database DATABASE_URL names: load it, migrate, "
        "verify the audit chain against the signed heads kept off the server (--expect: the "
        "events the backup lost are named), re-apply every purge the audit export of the old "
        "server records (--purges-from: no shredded case comes back), record the restore."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", help="a safe-passage-*.age archive (or decrypted with age)")
        parser.add_argument(
            "--identity", help="the operator's age key file (bring it for the restore only)"
        )
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="FILE",
            help="the newest signed heads the auditor kept (as verify_audit --expect)",
        )
        parser.add_argument(
            "--purges-from",
            metavar="EXPORT",
            help="an audit export (JSON Lines) from the server backed up, newer than the archive",
        )
        parser.add_argument(
            "--public-key", help="the checkpoint public key (AUDIT_PUBLIC_KEY_FILE)"
        )

    def handle(self, *args, archive, identity=None, expect=(), purges_from=None, **options):
        try:
            given = options.get("public_key")
            key = public_key_from(given) if given else None
        except signing.SigningKeyError as exc:
            raise CommandError(str(exc)) from exc
        statements = read_statements(list(expect))
        try:
            done = backup.restore(
                archive=archive,
                identity=identity,
                expect=statements,
                purges_from=purges_from,
                public_key=key,
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = done.manifest
        self.stdout.write(
            f"Restored the backup of {manifest['created_at']}: {manifest['cases']} cases, "
            f"audit chain to sequence {manifest['audit_sequence']}."
        )
        result = done.verification
        self.stdout.write("Verification against the signed heads: " + result.summary())
        if done.lost_from is not None:
            self.stdout.write(
                f"LOST: the newest signed head is at sequence {done.newest_head}; the backup "
                f"ends at {done.lost_from - 1}: events {done.lost_from} to {done.lost_to} "
                f"({done.lost_to - done.lost_from + 1} events) are not in this database. "
                "Work done in that time must be done again (docs/runbook.md)."
            )
        elif statements and result.ok:
            self.stdout.write("Nothing lost: the chain reaches every signed head given.")
        elif not statements:
            self.stdout.write(
                "No signed heads given (--expect): whether history was lost is unknown."
            )
        self.stdout.write(f"Purges re-applied: {len(done.purges)}.")
        for reference in done.purges:
            self.stdout.write(f"  {reference}")
        for note in done.notes:
            self.stdout.write(f"Note: {note}")
