"""Shared by the vault commands: read the recovery secret without it touching argv or logs."""

from __future__ import annotations

import sys
from getpass import getpass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser


def add_recovery_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--recovery-file",
        metavar="PATH",
        help="Read the recovery secret from this file ('-' for standard input) instead of a "
        "prompt. Never pass the secret itself on the command line.",
    )


def read_recovery_secret(options: dict) -> str:
    path = options.get("recovery_file")
    if path == "-":
        secret = sys.stdin.readline()
    elif path:
        try:
            secret = Path(path).read_text()
        except OSError as exc:
            raise CommandError(f"Cannot read the recovery file: {exc.strerror}.") from exc
    else:
        secret = getpass("Recovery secret (input hidden): ")
    secret = secret.strip()
    if not secret:
        raise CommandError("No recovery secret given.")
    return secret


def staff_member(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"There is no staff member called {username!r}.")
    if not user.is_active:
        raise CommandError(f"{username} is disabled.")
    may = getattr(user, "may", None)
    if may is not None and not may("open_case"):
        raise CommandError(f"{username}'s role does not open cases; no key is granted.")
    return user
