"""Django's flush, able to empty the audit tables in the test suite only.

Test runs flush the database between transactional tests; the append-only triggers would
refuse that. Outside tests the triggers stay and a flush of the audit log fails, as it should.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.commands import flush
from django.db import connections

from audit import triggers


class Command(flush.Command):
    def handle(self, **options):
        if not getattr(settings, "TESTING", False):
            return super().handle(**options)
        connection = connections[options["database"]]
        with triggers.lifted(connection):
            return super().handle(**options)
