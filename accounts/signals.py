"""Sign-in events from Django and django-axes, recorded in the audit log."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.utils.crypto import salted_hmac

from audit.actions import Action
from audit.services import record


def username_hash(username: str) -> str:
    """Lets auditors correlate attempts on one name without the log holding the name."""
    return salted_hmac("accounts.audit-username", (username or "").lower()).hexdigest()[:32]


@receiver(user_login_failed)
def on_login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    record(
        action=Action.SIGNIN_FAILED,
        actor="anonymous",
        data={"username_hash": username_hash(credentials.get("username", ""))},
    )


@receiver(user_locked_out)
def on_locked_out(sender, request=None, username: str | None = None, **kwargs) -> None:
    record(
        action=Action.SIGNIN_LOCKED_OUT,
        actor="anonymous",
        data={"username_hash": username_hash(username or "")},
    )
