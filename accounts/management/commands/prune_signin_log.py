"""Forgets django-axes' sign-in records once they no longer matter (accounts.lockout)."""

from __future__ import annotations

import argparse

from django.conf import settings
from django.core.management.base import BaseCommand, DjangoHelpFormatter

from accounts.lockout import signin_log_prune

SCHEDULE = """\
Delete django-axes' record of each sign-in (AccessLog) and each failed sign-in (AccessFailureLog)
older than SIGNIN_LOG_DAYS (default 30), and its lock-out counters (AccessAttempt) whose cool-off
is over (they count for nothing any more). They hold a keyed hash of the source address and of
the name tried, and a signed-in person's username; the failure log is what the notice at
sign-in counts, so failures older than SIGNIN_LOG_DAYS are no longer told. The audit log keeps
every failure and lock-out (without names) and is not touched. Safe to run at any time; prints
how many rows went.

Run it daily with the site's environment. From cron (crontab -e as the site's user):
  57 3 * * * cd /srv/safe-passage && set -a && . /etc/safe-passage/env && set +a && \\
.venv/bin/python manage.py prune_signin_log
"""


class _HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Keeps the schedule's lines as written, so they can be copied from --help."""


class Command(BaseCommand):
    help = SCHEDULE

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> argparse.ArgumentParser:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def handle(self, *args, **options) -> None:
        pruned = signin_log_prune()
        self.stdout.write(
            f"{pruned.logs} sign-in log row(s) older than {settings.SIGNIN_LOG_DAYS} day(s) and "
            f"{pruned.counters} expired lock-out counter(s) pruned."
        )
