"""Writes one encrypted backup archive and prunes old ones (evacuation.services.backup)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from evacuation.services import backup


class Command(BaseCommand):
    help = (
        "Write one backup archive (a consistent database dump and the settings a restore needs), "
        "encrypted to the operator's age public key BACKUP_AGE_RECIPIENT, mode 0600, into "
        "BACKUP_DIR; then delete archives older than --keep-days. The audit signing key is "
        "never in it (back it up offline). Run it as the database owner (owner.env)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output-dir", help="the folder for archives (BACKUP_DIR)")
        parser.add_argument(
            "--keep-days",
            type=int,
            default=None,
            help="delete archives older than this many days (BACKUP_KEEP_DAYS, 14)",
        )
        parser.add_argument("--recipient", help="an age public key (BACKUP_AGE_RECIPIENT)")

    def handle(self, *args, output_dir=None, keep_days=None, recipient=None, **options):
        try:
            written = backup.backup_write(
                directory=output_dir or settings.BACKUP_DIR,
                recipient=recipient or settings.BACKUP_AGE_RECIPIENT,
                keep_days=settings.BACKUP_KEEP_DAYS if keep_days is None else keep_days,
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Backup written: {written.path} ({written.size} bytes, {written.cases} cases, "
            f"audit chain to sequence {written.sequence})."
        )
        for path in written.pruned:
            self.stdout.write(f"Deleted an old backup: {path.name}")
