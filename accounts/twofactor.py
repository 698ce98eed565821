"""Checking a second-factor code against a user's confirmed devices.

A code is tried on the one kind of device its shape belongs to: six digits on the authenticator
(TOTP), eight letters and digits on the backup codes (django_otp's StaticToken.random_token:
base32, lower case). So a backup code never counts as a failed authenticator code, and the
other way round: django-otp throttles each device on its own failures only."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from audit.actions import Action
from audit.services import record

TOTP_CODE_SHAPE = re.compile(r"[0-9]{6}")  # TOTPDevice's default digits, as enrolment makes it
BACKUP_CODE_SHAPE = re.compile(r"[a-z2-7]{8}")  # StaticToken.random_token: 5 bytes in base32
DEVICE_KINDS: dict[str, type[Device]] = {"totp": TOTPDevice, "backup": StaticDevice}
# What people type between the groups of a code: spaces of any kind, dashes, dots, underscores.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212._]+")


@dataclass(frozen=True)
class CodeCheck:
    device: Device | None
    throttled: bool = False
    wait_seconds: int = 0  # when throttled: how long until the device takes a code again


def has_second_factor(user: User) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def normalise(token: str) -> str:
    """The code as typed, without separators and in lower case ("ABCD efgh" is "abcdefgh")."""
    return _SEPARATORS.sub("", token).lower()


def code_kind(token: str) -> str | None:
    """ "totp" or "backup" by the shape of a normalised code, or None if it is neither."""
    if TOTP_CODE_SHAPE.fullmatch(token):
        return "totp"
    if BACKUP_CODE_SHAPE.fullmatch(token):
        return "backup"
    return None


def _wait_seconds(device: Device) -> int:
    allowed, info = device.verify_is_allowed()
    until = (info or {}).get("locked_until")
    if allowed or until is None:
        return 0 if allowed else 1
    return max(1, math.ceil((until - timezone.now()).total_seconds()))


def second_factor_check(*, user: User, token: str) -> CodeCheck:
    """Tries the code on the user's devices of its kind; django-otp throttles failures and
    refuses replayed TOTP codes. A code of neither shape touches no device."""
    token = normalise(token)
    kind = code_kind(token)
    devices = [
        d
        for d in devices_for_user(user, confirmed=True)
        if kind is not None and isinstance(d, DEVICE_KINDS[kind])
    ]
    if not devices:
        record(action=Action.OTP_FAILED, actor=user, data={"method": kind or "malformed"})
        return CodeCheck(device=None)
    waits = [_wait_seconds(d) for d in devices]
    allowed = [d for d, wait in zip(devices, waits, strict=True) if not wait]
    if not allowed:
        record(action=Action.OTP_FAILED, actor=user, data={"method": "throttled"})
        return CodeCheck(device=None, throttled=True, wait_seconds=min(waits))
    with transaction.atomic():
        for device in allowed:
            if device.verify_token(token):
                record(action=Action.OTP_SUCCEEDED, actor=user, data={"method": kind})
                if kind == "backup":
                    record(
                        action=Action.BACKUP_CODE_USED,
                        actor=user,
                        data={"remaining": device.token_set.count()},
                    )
                return CodeCheck(device=device)
        record(action=Action.OTP_FAILED, actor=user, data={"method": kind})
    return CodeCheck(device=None)
