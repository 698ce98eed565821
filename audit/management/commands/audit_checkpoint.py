"""Signs the current end of the audit chain now (automatic checkpoints also run every N events)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from audit import signing
from audit.services import checkpoint_make


class Command(BaseCommand):
    help = "Sign the current (sequence, hash) of the audit chain with the checkpoint key."

    def handle(self, *args, **options):
        try:
            checkpoint = checkpoint_make(actor="system")
        except signing.SigningKeyError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Checkpoint signed at sequence {checkpoint.sequence}, hash {checkpoint.hash}, "
            f"key {checkpoint.key_fingerprint}."
        )
