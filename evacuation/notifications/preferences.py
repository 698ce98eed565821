"""Each staff member's choice of how they are told, and who is on call.

Every change is an audit event in the same transaction, naming the person by id and the new
setting (codes only).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.roles import CASE_STAFF
from audit.actions import Action
from audit.services import record
from evacuation.models import Notice, NoticeMode, NoticePreference, NoticeStatus

# Who may put others on call: the coordinators (who give cases to people).
ON_CALL_CAPABILITY = "reassign_case"


def preference_of(user) -> NoticePreference:
    return NoticePreference.objects.filter(user=user).first() or NoticePreference(user=user)


def preference_set(*, user, mode: str, language: str) -> bool:
    """Sets the person's own mode and language; True if anything changed."""
    if mode not in NoticeMode.values:
        raise ValidationError(_("Choose how you want to be told."), code="mode")
    if language not in settings.STAFF_LANGUAGES:
        raise ValidationError(_("Choose a language for the e-mail."), code="language")
    with transaction.atomic():
        preference, _created = NoticePreference.objects.select_for_update().get_or_create(user=user)
        if preference.mode == mode and preference.language == language:
            return False
        preference.mode, preference.language = mode, language
        preference.save(update_fields=["mode", "language", "updated_at"])
        if mode == NoticeMode.OFF:  # nothing waiting is sent after all
            Notice.objects.filter(recipient=user, status=NoticeStatus.PENDING).update(
                status=NoticeStatus.MUTED
            )
        record(
            action=Action.NOTICE_PREFERENCE_CHANGED,
            actor=user,
            target_type="user",
            target_ref=str(user.pk),
            data={"mode": mode, "language": language},
        )
    return True


def on_call_set(*, actor, member_id: int, on_call: bool) -> bool:
    """A coordinator puts a caseworker or coordinator on call, or off it; True if it changed."""
    if not actor.may(ON_CALL_CAPABILITY):
        raise PermissionDenied
    member = (
        get_user_model().objects.filter(pk=member_id, is_active=True, role__in=CASE_STAFF).first()
    )
    if member is None:
        raise ValidationError(_("Choose an active caseworker or coordinator."), code="member")
    with transaction.atomic():
        preference, _created = NoticePreference.objects.select_for_update().get_or_create(
            user=member
        )
        if preference.on_call == on_call:
            return False
        preference.on_call = on_call
        preference.save(update_fields=["on_call", "updated_at"])
        record(
            action=Action.NOTICE_ON_CALL_CHANGED,
            actor=actor,
            target_type="user",
            target_ref=str(member.pk),
            data={"on_call": on_call},
        )
    return True


def on_call_rows() -> list[dict]:
    """Active case staff, each with whether they are on call (and whether by NOTIFY_ON_CALL,
    which only the settings change). Two queries."""
    members = list(
        get_user_model().objects.filter(is_active=True, role__in=CASE_STAFF).order_by("username")
    )
    on_call = set(
        NoticePreference.objects.filter(on_call=True, user__in=members).values_list(
            "user_id", flat=True
        )
    )
    fixed = set(settings.NOTIFY_ON_CALL)
    return [
        {
            "user": member,
            "on_call": member.pk in on_call or member.username in fixed,
            "by_setting": member.username in fixed,
        }
        for member in members
    ]
