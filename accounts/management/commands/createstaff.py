from __future__ import annotations

import getpass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.keys import key_required
from accounts.models import Role, User
from accounts.services import staff_create


class Command(BaseCommand):
    help = "Create a staff account. The password is read from a prompt or a file, never argv."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--password-file", type=Path, help="read the password from the first line of this file"
        )

    def handle(self, *args, username: str, role: str, password_file: Path | None, **options):
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A staff account named {username!r} already exists.")
        password = self._read_password(password_file)
        try:
            user = staff_create(username=username, role=role, password=password, actor="system")
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if key_required(user):
            self.stdout.write(
                f"Created {role} {username!r}. Their role signs in with a security key, which "
                f"only an enrolment link may add: run `manage.py resetstaff {username}` and pass "
                "them the link it prints."
            )
            return
        self.stdout.write(
            f"Created {role} {username!r}. They enrol a second factor at first sign-in."
        )

    def _read_password(self, password_file: Path | None) -> str:
        if password_file is not None:
            try:
                return password_file.read_text().splitlines()[0]
            except (OSError, IndexError) as error:
                raise CommandError(f"Cannot read a password from {password_file}.") from error
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return password
