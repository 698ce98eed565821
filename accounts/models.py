from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from accounts import roles
from accounts.roles import Role

__all__ = ["Role", "User"]


class User(AbstractUser):
    """A staff member. Applicants never have an account."""

    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        db_table = "accounts_user"

    def save(self, *args, **kwargs) -> None:
        # Only administrators reach Django's admin site; the role is the one source of truth.
        self.is_staff = self.role == Role.ADMIN
        self.is_superuser = self.role == Role.ADMIN
        super().save(*args, **kwargs)

    def may(self, capability: str) -> bool:
        """Whether this person's role allows `capability` (accounts.roles.CAPABILITIES)."""
        return roles.may(self, capability)
