"""Messages and files between staff and the applicant.

Text and files are stored only as ciphertext under the case key: staff seal with the cipher their
unlocked session opens (`StaffKeys.case_cipher`), the applicant with the one their receipt code
opens. Every message, upload and download is an audit event carrying only its direction and kind,
in the same transaction as the row or the decryption it describes. (Reading the thread and the
file list is in evacuation.selectors.thread.)
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from audit.actions import Action
from evacuation import rules
from evacuation.files import sandbox, sanitise
from evacuation.models import MESSAGE_MAX_LENGTH, Addition, Attachment, Case, Direction, Message
from evacuation.notifications import kinds as notifications
from evacuation.selectors.thread import FileRow, file_row
from evacuation.services import integrity
from evacuation.services.events import case_event
from vault.cases import CaseCipher
from vault.errors import VaultError


def _checked_text(text: str) -> str:
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise ValidationError(_("Write a message first."), code="empty")
    if len(text) > MESSAGE_MAX_LENGTH:
        raise ValidationError(
            _("A message can be at most %(limit)s characters.") % {"limit": MESSAGE_MAX_LENGTH},
            code="too_long",
        )
    return text


def _refuse_if_purged(case: Case) -> None:
    if case.is_purged:
        raise ValidationError(_("The data of this request has been deleted."), code="purged")


def _lock_unpurged(case: Case, cipher: CaseCipher) -> None:
    """Locks the case row and checks again: a purge that ran since the page was loaded has
    shredded the key, and a row written after it would be stray ciphertext on a purged case;
    a rotation that re-keyed the case meanwhile has replaced the key `cipher` holds."""
    locked = Case.objects.select_for_update().only("id", "purged_at").get(pk=case.pk)
    _refuse_if_purged(locked)
    integrity.still_current(cipher)


def _next_place(rows) -> int:
    """The next place in a case's thread or notes (the caller holds the case's row lock)."""
    return (rows.aggregate(last=Max("sequence"))["last"] or 0) + 1


def _actor_fields(case: Case, actor) -> tuple[str, dict]:
    """Direction and the activity stamp a new message or file sets on the case."""
    now = timezone.now()
    if actor == rules.APPLICANT:
        case.last_applicant_activity_on = timezone.localdate(now)
        return Direction.FROM_APPLICANT, {"last_applicant_activity_on": timezone.localdate(now)}
    # The cipher is the opening's proof: a staff session unwraps only a case it opened.
    rules.check("message", case, actor, opened=True)
    case.last_staff_action_at = now
    return Direction.TO_APPLICANT, {"last_staff_action_at": now}


def message_to_applicant(*, case: Case, cipher: CaseCipher, actor, text: str) -> Message:
    """A staff member (who may message_applicant) writes; `cipher` from their unlocked session."""
    return _message_add(case=case, cipher=cipher, actor=actor, text=text)


def message_from_applicant(*, case: Case, cipher: CaseCipher, text: str) -> Message:
    """The code holder writes; `cipher` opened with their receipt code."""
    return _message_add(case=case, cipher=cipher, actor=rules.APPLICANT, text=text)


@sensitive_variables()
def _message_add(*, case: Case, cipher: CaseCipher, actor, text: str) -> Message:
    text = _checked_text(text)
    _refuse_if_purged(case)
    direction, stamp = _actor_fields(case, actor)
    with transaction.atomic():
        _lock_unpurged(case, cipher)
        message = Message(
            case=case,
            direction=direction,
            author=None if actor == rules.APPLICANT else actor,
            sequence=_next_place(case.messages),
        )
        message.body = cipher.encrypt_text(message.purpose, text)
        message.save()
        Case.objects.filter(pk=case.pk).update(**stamp)
        case_event(case, Action.MESSAGE_SENT, actor=actor, data={"direction": direction})
        if actor == rules.APPLICANT:
            notifications.applicant_wrote(case, f"message:{message.pk}")
    return message


@sensitive_variables()
def attachment_add(*, case: Case, cipher: CaseCipher, actor, data: bytes) -> Attachment:
    """Cleans (evacuation.files, in a limited child process), seals and stores one file.
    Raises sanitise.FileRefused."""
    _refuse_if_purged(case)
    return attachment_store(case=case, cipher=cipher, actor=actor, cleaned=attachment_clean(data))


def attachment_clean(data: bytes) -> sanitise.Sanitised:
    """The slow half of an upload, run before any transaction opens (on SQLite a transaction
    holds the write lock from its start): the file cleaned in a limited child process.
    Raises sanitise.FileRefused."""
    return sandbox.sanitise_isolated(data)


def attachment_store(
    *, case: Case, cipher: CaseCipher, actor, cleaned: sanitise.Sanitised
) -> Attachment:
    """Seals and stores a file `attachment_clean` cleaned, in one transaction with its audit
    event. Raises sanitise.FileRefused when it would not fit the case's room."""
    direction, stamp = _actor_fields(case, actor)
    with transaction.atomic():
        # Serialises uploads too, so two at once cannot both squeeze under the cap.
        _lock_unpurged(case, cipher)
        stored = case.attachments.aggregate(total=Sum("size"))["total"] or 0
        sanitise.case_files_room_check(stored_bytes=stored, new_bytes=cleaned.size)
        attachment = Attachment(
            case=case,
            direction=direction,
            uploaded_by=None if actor == rules.APPLICANT else actor,
            kind=cleaned.kind,
            size=cleaned.size,
        )
        attachment.wrapped_key, attachment.blob = cipher.seal_file(attachment.purpose, cleaned.data)
        attachment.save()
        Case.objects.filter(pk=case.pk).update(**stamp)
        case_event(
            case,
            Action.FILE_UPLOADED,
            actor=actor,
            data={
                "direction": direction,
                "kind": cleaned.kind,
                "size_kib": -(-cleaned.size // 1024),
            },
        )
        if actor == rules.APPLICANT:
            notifications.applicant_wrote(case, f"file:{attachment.pk}")
    return attachment


@sensitive_variables()
def attachment_open(*, case: Case, cipher: CaseCipher, actor, uid: str) -> tuple[FileRow, bytes]:
    """Decrypts one of the case's files for download, recording it in the same transaction.

    Raises Attachment.DoesNotExist for a file of another case (or none)."""
    if actor != rules.APPLICANT:
        rules.check("download", case, actor, opened=True)  # as for "message"
    attachment = case.attachments.get(uid=uid)
    with transaction.atomic():
        data = cipher.open_file(
            attachment.purpose, bytes(attachment.wrapped_key), bytes(attachment.blob)
        )
        case_event(case, Action.FILE_DOWNLOADED, actor=actor, data={"kind": attachment.kind})
    number = case.attachments.filter(created_at__lte=attachment.created_at).count()
    return file_row(attachment, number), data


@sensitive_variables()
def addition_from_applicant(*, case: Case, cipher: CaseCipher, text: str) -> Addition:
    """The applicant adds to their request; what they sent first is never changed."""
    text = _checked_text(text)
    _refuse_if_purged(case)
    _, stamp = _actor_fields(case, rules.APPLICANT)
    with transaction.atomic():
        _lock_unpurged(case, cipher)
        addition = Addition(case=case)
        addition.body = cipher.encrypt_text(addition.purpose, text)
        addition.save()
        Case.objects.filter(pk=case.pk).update(**stamp)
        case_event(case, Action.CASE_ADDED_TO, actor=rules.APPLICANT)
        notifications.applicant_wrote(case, f"addition:{addition.pk}")
    return addition


SEEN_PURPOSE = "seen"


@sensitive_variables()
def applicant_visit(*, case: Case, cipher: CaseCipher) -> int:
    """The applicant reads their thread: how many replies came since their last visit. What
    they saw is kept sealed under the case key, so nothing in clear says when they came (this is
    not a staff decryption: no audit event)."""
    replies = case.messages.filter(direction=Direction.TO_APPLICANT).count()
    seen = 0
    if bytes(case.seen):
        try:
            seen = int(cipher.decrypt_text(SEEN_PURPOSE, bytes(case.seen)))
        except (VaultError, ValueError):
            seen = 0
    if replies != seen or not bytes(case.seen):
        Case.objects.filter(pk=case.pk, purged_at__isnull=True).update(
            seen=cipher.encrypt_text(SEEN_PURPOSE, str(replies))
        )
    return max(replies - seen, 0)


def messages_mark_read(*, case: Case) -> int:
    return case.messages.filter(direction=Direction.FROM_APPLICANT, read_at__isnull=True).update(
        read_at=timezone.now()
    )
