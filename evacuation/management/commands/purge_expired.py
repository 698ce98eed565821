"""Crypto-shreds the cases whose retention time is over (see evacuation.retention).

Run it daily, for example from cron:
    15 3 * * *  cd /srv/safe-passage && .venv/bin/python manage.py purge_expired
or from a systemd timer (OnCalendar=daily) starting a oneshot service with the same command.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from evacuation import retention


class Command(BaseCommand):
    help = "Destroy the data of cases past their retention time (RETENTION_DAYS, UNTOUCHED_DAYS)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would go; change nothing"
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        due = list(retention.cases_due())
        for case in due:
            rule = retention.rule_for(case)
            if dry_run:
                self.stdout.write(f"{case.reference}  {case.state}  {rule}")
            else:
                retention.case_purge(case=case, rule=rule)
        verb = "would be purged" if dry_run else "purged"
        self.stdout.write(f"{len(due)} case(s) {verb}.")
