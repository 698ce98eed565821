from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.roles import Role

__all__ = ["AccountChange", "EnrolmentLink", "Role", "User"]


class User(AbstractUser):
    """A staff member. Applicants never have an account."""

    role = models.CharField(max_length=20, choices=Role.choices)
    # When an administrator last created, re-roled or reset this account (a change confirmed by
    # a second admin, or applied at once): funding approval waits ACCOUNT_COOLING_OFF_HOURS after
    # it (evacuation.rules). The person's own changes (a new authenticator) leave it alone.
    admin_changed_at = models.DateTimeField(null=True, blank=True)

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


class AccountChange(models.Model):
    """A change an administrator asked for on a staff account. Creating an account, giving a
    role that can open, propose or approve, and resetting sign-in wait for a second admin
    (accounts.changes); other role changes are recorded here as applied at once."""

    class Kind(models.TextChoices):
        CREATE = "create", _("Create an account")
        ROLE = "role", _("Change the role")
        RESET = "reset", _("Reset password and second factor")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a second administrator")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")
        APPLIED = "applied", _("Applied at once")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # The account changed; for a creation, set once it is confirmed.
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="account_changes"
    )
    username = models.CharField(max_length=150, blank=True)  # for a creation
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)  # the new role
    old_role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    # Who asked; None: the server's command line (accounts/management/commands).
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # When the person was told about it at sign-in (None: not yet, or nothing to tell).
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class EnrolmentLink(models.Model):
    """A one-time link with which a person sets their own password and enrols their own second
    factor. Only the SHA-256 of its random token is kept; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolment_links")
    change = models.ForeignKey(AccountChange, null=True, on_delete=models.SET_NULL)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"enrolment link {self.pk}"
