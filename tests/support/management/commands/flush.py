"""Django's flush, able to empty the audit tables: for the test suite only.

Transactional tests end with a flush of the database; the append-only audit triggers
(audit/triggers.py) would refuse it, so this flush lifts them for its own run and puts them
back. Only tests/settings.py installs this app, first in INSTALLED_APPS, so this command wins
over Django's there. Production has no flush override: there a flush of the audit log fails,
as it should.
"""

from __future__ import annotations

from django.core.management.commands import flush
from django.db import connections

from audit import triggers


class Command(flush.Command):
    help = f"{flush.Command.help} The audit triggers are lifted meanwhile (test suite only)."

    def handle(self, **options):
        connection = connections[options["database"]]
        with triggers.lifted(connection):
            return super().handle(**options)
