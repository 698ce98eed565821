"""Crypto-shreds the cases whose retention time is over (see evacuation.retention)."""

from __future__ import annotations

import argparse

from django.core.management.base import BaseCommand, DjangoHelpFormatter

from evacuation.services import retention

SCHEDULE = """\
Destroy the data of cases past their retention time: ended (relocated, declined, withdrawn)
more than RETENTION_DAYS ago, or still received with no staff action for UNTOUCHED_DAYS.
Cases on hold, and cases whose applicant wrote in the last RECENT_MESSAGE_DAYS, stay.
After a purge the database files are scrubbed (SQLite's log truncated, PostgreSQL's tables
vacuumed), so no byte of a shredded case stays where this server can read it.
Safe to run again at any time; prints how many cases went (--dry-run: which, and by what rule).

Run it daily with the site's environment. From cron (crontab -e as the site's user):
  17 3 * * * cd /srv/safe-passage && set -a && . /etc/safe-passage/env && set +a && \
.venv/bin/python manage.py purge_expired

Or from a systemd timer:
  # /etc/systemd/system/safe-passage-purge.service
  [Unit]
  Description=Safe Passage: crypto-shred cases past their retention period
  After=network-online.target postgresql.service
  [Service]
  Type=oneshot
  User=safe-passage
  WorkingDirectory=/srv/safe-passage
  EnvironmentFile=/etc/safe-passage/env
  ExecStart=/srv/safe-passage/.venv/bin/python manage.py purge_expired

  # /etc/systemd/system/safe-passage-purge.timer
  [Unit]
  Description=Run Safe Passage purge_expired daily
  [Timer]
  OnCalendar=*-*-* 03:17:00
  RandomizedDelaySec=30min
  Persistent=true
  [Install]
  WantedBy=timers.target

  systemctl daemon-reload && systemctl enable --now safe-passage-purge.timer
"""


class _HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Keeps the schedule's lines as written, so they can be copied from --help."""


class Command(BaseCommand):
    help = SCHEDULE

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> argparse.ArgumentParser:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would go (reference and rule only)"
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        # Only references and rule names are printed: cron mails and journals keep output.
        done = 0
        for case in retention.retention_due():
            rule = retention.rule_for(case)
            if dry_run:
                self.stdout.write(f"{case.reference}  {rule}")
                done += 1
            elif retention.case_purge(case=case, rule=rule):
                done += 1
        if not dry_run:
            retention.storage_scrub()  # also catches up a scrub a deletion could not do
        verb = "would be purged" if dry_run else "purged"
        self.stdout.write(f"{done} case(s) {verb}.")
