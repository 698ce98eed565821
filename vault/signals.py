"""Logout forgets the vault key: django's logout() flushes the session; this deletes the cookie."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from vault.session import lock


@receiver(user_logged_out, dispatch_uid="vault_forget_on_logout")
def _forget_on_logout(sender, request, user, **kwargs) -> None:
    if request is not None:
        lock(request)
