"""Reading a case's request, messages and files. What is decrypted, with a cipher the caller
holds, is the request, the applicant's additions and the thread; the file list never is. Staff
callers record why they opened any of it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.views.decorators.debug import sensitive_variables

from evacuation.files import sanitise
from evacuation.models import PAYLOAD_PURPOSE, Attachment, Case
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


def file_row(attachment: Attachment, number: int) -> FileRow:
    """The file as a page lists it, with a neutral name from its kind and its number."""
    return FileRow(
        uid=str(attachment.uid),
        direction=attachment.direction,
        kind=attachment.kind,
        size=attachment.size,
        created_at=attachment.created_at,
        name=sanitise.neutral_filename(attachment.kind, number),
    )


def case_files(*, case: Case) -> list[FileRow]:
    """What files a case holds (never their content): one query."""
    rows = case.attachments.only("uid", "direction", "kind", "size", "created_at")
    return [file_row(attachment, n) for n, attachment in enumerate(rows, start=1)]


@sensitive_variables()
def case_thread(*, case: Case, cipher: CaseCipher) -> list[OpenedMessage]:
    """Every message of the case, decrypted."""
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


@dataclass(frozen=True)
class OpenedAddition:
    created_at: datetime
    text: str
    readable: bool


@sensitive_variables()
def case_additions(*, case: Case, cipher: CaseCipher) -> list[OpenedAddition]:
    """What the applicant added to their request later, decrypted, oldest first."""
    additions = []
    for addition in case.additions.all():
        try:
            text, readable = cipher.decrypt_text(addition.purpose, bytes(addition.body)), True
        except VaultError:
            text, readable = "", False
        additions.append(OpenedAddition(addition.created_at, text, readable))
    return additions


@sensitive_variables()
def case_intake(*, case: Case, cipher: CaseCipher) -> dict[str, Any]:
    """What the applicant told us when they asked (raises vault.errors.DecryptionFailed)."""
    return json.loads(cipher.decrypt(PAYLOAD_PURPOSE, bytes(case.payload)))
