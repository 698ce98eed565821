"""The full health check (core.health, settings.HEALTH_CHECKS) for a timer or a monitor."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core import health


class Command(BaseCommand):
    help = (
        "Run every health check: the database answers, every migration is applied, the disks "
        "have room (HEALTH_DISK_PATHS, HEALTH_DISK_MIN_FREE_MB), the audit signer's newest "
        "checkpoint is younger than AUDIT_MAX_UNSIGNED_AGE, the key files belong to the right "
        "users, and the last verify_audit passed. Prints one line per check; exits 1 when any "
        "fails (--public: only what /healthz asks). Run it as the web app's user with its "
        "environment (the installer's timer does)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--public", action="store_true", help="Only the checks of the public /healthz."
        )

    def handle(self, *args, public: bool = False, **options) -> None:
        results = health.public_results() if public else health.full_results()
        for result in results:
            self.stdout.write(result.line())
        failed = [result.name for result in results if not result.ok]
        if failed:
            raise CommandError(f"unhealthy: {', '.join(failed)}")
        self.stdout.write("healthy")
