from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from accounts import changes
from accounts.models import User


class Command(BaseCommand):
    help = (
        "Reset a staff member's password and second factor from the server (the path for a "
        "single administrator; with two, use Account changes). Prints a one-time enrolment link "
        "to pass to the person out of band; with it they set their own password and factor."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--base-url",
            default="",
            help="the staff site's address, e.g. https://example.org (else only the path)",
        )

    def handle(self, *args, username: str, base_url: str, **options) -> None:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active staff account named {username!r}.")
        token = changes.apply_from_command(user=user, kind=changes.Kind.RESET)
        path = reverse("accounts:enrol_link", args=[token])
        self.stdout.write(
            f"Reset {username!r}: the old password and second factor no longer work.\n"
            f"Pass this link to them out of band; it works once, for "
            f"{changes.LINK_VALID_HOURS} hours, and is not shown again:\n"
            f"{base_url.rstrip('/')}{path}"
        )
