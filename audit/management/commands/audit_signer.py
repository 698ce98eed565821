"""The audit signer (audit.signer): signs the chain's head on time and on count."""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections

from audit import signing
from audit.signer import SignerRefused, sign_if_due

logger = logging.getLogger("audit.signer")


class Command(BaseCommand):
    help = (
        "Sign the audit chain's head whenever a checkpoint is due (AUDIT_CHECKPOINT_EVERY "
        "events, AUDIT_CHECKPOINT_SECONDS after an append, at least daily), after checking that "
        "the chain extends the head signed last. Runs until stopped, or once with --once (for a "
        "timer). Exits 1 when the chain does not extend what was signed: a rewritten, truncated "
        "or rolled-back chain is never signed. Run it as the user that alone can read "
        "AUDIT_SIGNING_KEY_FILE."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Check once, then exit.")
        parser.add_argument(
            "--now", action="store_true", help="Sign now even if no checkpoint is due."
        )
        parser.add_argument(
            "--interval", type=float, default=30.0, help="Seconds between checks (default 30)."
        )

    def handle(self, *args, once: bool, now: bool, interval: float, **options) -> None:
        try:
            signing.signing_key()
        except signing.SigningKeyError as exc:
            raise CommandError(str(exc)) from exc
        while True:
            try:
                checkpoint = sign_if_due(force=now)
            except SignerRefused as exc:
                raise CommandError(f"Refused to sign: {exc}") from exc
            except DatabaseError:
                if once:
                    raise
                logger.warning("The database did not answer; the signer tries again.")
                close_old_connections()
                checkpoint = None
            if checkpoint is not None:
                self.stdout.write(
                    f"Signed sequence {checkpoint.sequence}, hash {checkpoint.hash}, "
                    f"key {checkpoint.key_fingerprint}."
                )
            if once:
                return
            now = False
            time.sleep(interval)
