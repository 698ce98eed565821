"""The cooling-off period after an administrator's change to an account (accounts.changes):
evacuation.rules refuses funding approval until it has passed."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone


def cooling_off_until(user) -> datetime | None:
    """Until when `user` may not approve funding after an administrator created, re-roled or
    reset the account (User.admin_changed_at), or None when they may."""
    changed = getattr(user, "admin_changed_at", None)
    if changed is None:
        return None
    until = changed + timedelta(hours=settings.ACCOUNT_COOLING_OFF_HOURS)
    return until if until > timezone.now() else None
