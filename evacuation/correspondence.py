"""Messages and files between staff and the applicant.

Text and files are stored only as ciphertext under the case key: staff seal with their unlocked
session, the applicant with their receipt code (`vault.cases.case_cipher_for_*`). Every message,
upload and download is an audit event carrying only its direction and kind, in the same
transaction as the row or the decryption it describes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from audit.actions import Action
from evacuation import file_sandbox, files
from evacuation.events import case_event
from evacuation.forms import MESSAGE_MAX_LENGTH
from evacuation.models import Attachment, Case, Direction, Message
from vault.cases import CaseCipher
from vault.errors import VaultError


@dataclass(frozen=True)
class OpenedMessage:
    direction: str
    author: str  # staff username, or "" for the applicant
    created_at: datetime
    text: str
    readable: bool


@dataclass(frozen=True)
class FileRow:
    uid: str
    direction: str
    kind: str
    size: int
    created_at: datetime
    name: str


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


def _lock_unpurged(case: Case) -> None:
    """Locks the case row and checks again: a purge that ran since the page was loaded has
    shredded the key, and a row written after it would be stray ciphertext on a purged case."""
    locked = Case.objects.select_for_update().only("id", "purged_at").get(pk=case.pk)
    _refuse_if_purged(locked)


def _actor_fields(case: Case, actor) -> tuple[str, dict]:
    """Direction and the activity stamp a new message or file sets on the case."""
    now = timezone.now()
    if actor == "applicant":
        case.last_applicant_activity_at = now
        return Direction.FROM_APPLICANT, {"last_applicant_activity_at": now}
    if not actor.may("message_applicant"):
        raise PermissionDenied
    case.last_staff_action_at = now
    return Direction.TO_APPLICANT, {"last_staff_action_at": now}


def message_to_applicant(*, case: Case, cipher: CaseCipher, actor, text: str) -> Message:
    """A staff member (who may message_applicant) writes; `cipher` from their unlocked session."""
    return _message_add(case=case, cipher=cipher, actor=actor, text=text)


def message_from_applicant(*, case: Case, cipher: CaseCipher, text: str) -> Message:
    """The code holder writes; `cipher` opened with their receipt code."""
    return _message_add(case=case, cipher=cipher, actor="applicant", text=text)


@sensitive_variables()
def _message_add(*, case: Case, cipher: CaseCipher, actor, text: str) -> Message:
    text = _checked_text(text)
    _refuse_if_purged(case)
    direction, stamp = _actor_fields(case, actor)
    with transaction.atomic():
        _lock_unpurged(case)
        message = Message(
            case=case, direction=direction, author=None if actor == "applicant" else actor
        )
        message.body = cipher.encrypt_text(message.purpose, text)
        message.save()
        Case.objects.filter(pk=case.pk).update(**stamp)
        case_event(case, Action.MESSAGE_SENT, actor=actor, data={"direction": direction})
    return message


@sensitive_variables()
def attachment_add(*, case: Case, cipher: CaseCipher, actor, data: bytes) -> Attachment:
    """Cleans (evacuation.files, in a limited child process), seals and stores one file.
    Raises files.FileRefused."""
    _refuse_if_purged(case)
    cleaned = file_sandbox.sanitise_isolated(data)
    direction, stamp = _actor_fields(case, actor)
    with transaction.atomic():
        # Serialises uploads too, so two at once cannot both squeeze under the cap.
        _lock_unpurged(case)
        stored = case.attachments.aggregate(total=Sum("size"))["total"] or 0
        files.case_files_room_check(stored_bytes=stored, new_bytes=cleaned.size)
        attachment = Attachment(
            case=case,
            direction=direction,
            uploaded_by=None if actor == "applicant" else actor,
            kind=cleaned.kind,
            size=cleaned.size,
        )
        attachment.blob = cipher.seal_file(attachment.purpose, cleaned.data)
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
    return attachment


@sensitive_variables()
def attachment_open(*, case: Case, cipher: CaseCipher, actor, uid: str) -> tuple[FileRow, bytes]:
    """Decrypts one of the case's files for download, recording it in the same transaction.

    Raises Attachment.DoesNotExist for a file of another case (or none)."""
    if actor != "applicant" and not actor.may("open_case"):
        raise PermissionDenied
    attachment = case.attachments.get(uid=uid)
    with transaction.atomic():
        data = cipher.open_file(attachment.purpose, bytes(attachment.blob))
        case_event(case, Action.FILE_DOWNLOADED, actor=actor, data={"kind": attachment.kind})
    return _file_row(attachment, _number_of(case, attachment)), data


def _number_of(case: Case, attachment: Attachment) -> int:
    return case.attachments.filter(created_at__lte=attachment.created_at).count()


def _file_row(attachment: Attachment, number: int) -> FileRow:
    return FileRow(
        uid=str(attachment.uid),
        direction=attachment.direction,
        kind=attachment.kind,
        size=attachment.size,
        created_at=attachment.created_at,
        name=files.neutral_filename(attachment.kind, number),
    )


def case_files(*, case: Case) -> list[FileRow]:
    """What files a case holds (never their content): one query."""
    rows = case.attachments.only("uid", "direction", "kind", "size", "created_at")
    return [_file_row(attachment, n) for n, attachment in enumerate(rows, start=1)]


@sensitive_variables()
def case_thread(*, case: Case, cipher: CaseCipher) -> list[OpenedMessage]:
    """Every message of the case, decrypted. Callers record why they opened it."""
    thread = []
    for message in case.messages.select_related("author"):
        try:
            text, readable = cipher.decrypt_text(message.purpose, bytes(message.body)), True
        except VaultError:
            text, readable = "", False
        thread.append(
            OpenedMessage(
                direction=message.direction,
                author=message.author.username if message.author else "",
                created_at=message.created_at,
                text=text,
                readable=readable,
            )
        )
    return thread


def messages_mark_read(*, case: Case) -> int:
    return case.messages.filter(direction=Direction.FROM_APPLICANT, read_at__isnull=True).update(
        read_at=timezone.now()
    )
