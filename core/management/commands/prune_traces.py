"""Forgets what the applicant's pages leave behind once it no longer matters: rate-limit buckets
that have refilled (core.models.TokenBucket) and spent form tokens past their expiry
(core.tokens)."""

from __future__ import annotations

import argparse

from django.core.management.base import BaseCommand, DjangoHelpFormatter

from core import tokens
from core.models import TokenBucket

SCHEDULE = """\
Delete the rate-limit buckets untouched for longer than their own refill time (each is full
again, the same as no bucket at all) and the spent one-time form tokens past their expiry (they
would be refused as too old anyway), with anything kept beside them. The limits hold without it;
it keeps no trace of a source or a form longer than it is needed. Safe to run at any time;
prints how many rows went.

Run it daily with the site's environment. From cron (crontab -e as the site's user):
  47 3 * * * cd /srv/safe-passage && set -a && . /etc/safe-passage/env && set +a && \
.venv/bin/python manage.py prune_traces
"""


class _HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Keeps the schedule's lines as written, so they can be copied from --help."""


class Command(BaseCommand):
    help = SCHEDULE

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> argparse.ArgumentParser:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def handle(self, *args, **options) -> None:
        buckets = TokenBucket.prune()
        spent = tokens.prune()
        self.stdout.write(f"{buckets} rate-limit bucket(s) and {spent} spent form token(s) pruned.")
