"""Sign-in events from Django and django-axes, recorded in the audit log."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from accounts.lockout import username_hash
from audit.actions import Action
from audit.services import record

__all__ = ["on_locked_out", "on_login_failed", "username_hash"]


@receiver(user_login_failed)
def on_login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    record(
        action=Action.SIGNIN_FAILED,
        actor="anonymous",
        data={"username_hash": username_hash(credentials.get("username", ""))},
    )


@receiver(user_locked_out)
def on_locked_out(sender, request=None, username: str | None = None, **kwargs) -> None:
    # Axes passes `username` as AXES_USERNAME_CALLABLE made it; the name typed is hashed here
    # from the credentials it keeps on the request, so the event never depends on that setting.
    credentials = getattr(request, "axes_credentials", None) or {}
    typed = credentials.get("username")
    record(
        action=Action.SIGNIN_LOCKED_OUT,
        actor="anonymous",
        data={"username_hash": username_hash(typed if isinstance(typed, str) else "")},
    )
