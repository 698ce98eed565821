from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import changes
from accounts.models import Role, User


class Command(BaseCommand):
    help = (
        "Change a staff member's role from the server (the path for a single administrator; "
        "with two, use Account changes). Recorded in the audit log; the account then cannot "
        "approve funding for ACCOUNT_COOLING_OFF_HOURS."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)

    def handle(self, *args, username: str, role: str, **options) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No staff account named {username!r}.")
        try:
            changes.apply_from_command(user=user, kind=changes.Kind.ROLE, role=role)
        except ValidationError as error:
            raise CommandError(f"{username!r} already has the role {role}.") from error
        self.stdout.write(f"{username!r} is now {role}.")
