from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    COORDINATOR = "coordinator", _("Coordinator")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


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
        from accounts.roles import may

        return may(self, capability)
