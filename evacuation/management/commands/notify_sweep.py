"""Finds what came with time (an urgent request waiting with nobody on it, funding waiting for
approval, ...), then sends every notice that is due, the daily digests included.

Run every few minutes (the NAME-notify timer; `make run` runs it in a loop). It is also what
retries: a notice a mail server missed stays pending until a sweep sends it; one whose address
the server refuses is given up after settings.NOTIFY_SEND_ATTEMPTS refusals.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from evacuation.notifications import sending


class Command(BaseCommand):
    help = "Find what needs attention and send the notification e-mails that are due."

    def handle(self, *args, **options) -> None:
        found, sent = sending.sweep()
        if options["verbosity"] > 0:
            self.stdout.write(f"{found} new notices, {sent} e-mails sent")
