"""Checking a second-factor code against a user's confirmed devices."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.models import User
from audit.actions import Action
from audit.services import record


@dataclass(frozen=True)
class CodeCheck:
    device: Device | None
    throttled: bool = False


def has_second_factor(user: User) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def second_factor_check(*, user: User, token: str) -> CodeCheck:
    """Tries the code on each device; django-otp throttles failures and refuses replayed TOTP."""
    token = "".join(token.split())
    devices = list(devices_for_user(user, confirmed=True))
    allowed = [d for d in devices if d.verify_is_allowed()[0]]
    if not allowed:
        record(action=Action.OTP_FAILED, actor=user, data={"method": "throttled"})
        return CodeCheck(device=None, throttled=True)
    with transaction.atomic():
        for device in allowed:
            if device.verify_token(token):
                method = "backup" if isinstance(device, StaticDevice) else "totp"
                record(action=Action.OTP_SUCCEEDED, actor=user, data={"method": method})
                if method == "backup":
                    record(
                        action=Action.BACKUP_CODE_USED,
                        actor=user,
                        data={"remaining": device.token_set.count()},
                    )
                return CodeCheck(device=device)
        record(action=Action.OTP_FAILED, actor=user, data={"method": "code"})
    return CodeCheck(device=None)
