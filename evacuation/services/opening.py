"""Opening a case: staff decrypt what the applicant wrote, for a stated reason, on the record.

One CASE_OPENED event covers the opening; the view then keeps the case open for the person's
signed-in session (vault.session.opening_remember), so the case page goes on showing the content
after a reply, a note or an assessment without asking for a new reason, until they close it
(`case_close`, on the record too) or the session ends. Downloads are recorded one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from audit.actions import Action
from evacuation import rules
from evacuation.choices import OpenReason
from evacuation.models import Case, Note
from evacuation.selectors.thread import (
    OpenedAddition,
    OpenedMessage,
    case_additions,
    case_intake,
    case_thread,
)
from evacuation.services import integrity
from evacuation.services.correspondence import messages_mark_read
from evacuation.services.events import case_event
from vault.errors import VaultError

if TYPE_CHECKING:
    from accounts.models import User
    from vault.session import StaffKeys


@dataclass(frozen=True)
class OpenedNote:
    author: str
    created_at: datetime
    text: str
    readable: bool  # False: the ciphertext did not open (damaged or from another case)


@dataclass(frozen=True)
class OpenedCase:
    """Everything one audited opening shows: the intake, the notes and the thread, decrypted."""

    intake: dict[str, Any]
    additions: list[OpenedAddition] = field(default_factory=list)
    notes: list[OpenedNote] = field(default_factory=list)
    messages: list[OpenedMessage] = field(default_factory=list)


@sensitive_variables()
def case_open(*, case: Case, actor: User, keys: StaffKeys, reason: str) -> OpenedCase:
    """Decrypts the intake (with the applicant's additions), the notes and the messages for one
    staff member, for a stated
    reason, and records that it happened (one CASE_OPENED event covers them all). The
    applicant's messages count as read from then on.

    Raises vault.errors.VaultLocked (nothing recorded) when this session cannot open case keys,
    integrity.CaseTampered (recorded as such) when the key or the request is not the one made.
    """
    rules.check("open", case, actor)
    if reason not in OpenReason.values:
        raise ValueError("unknown reason")
    # Before the transaction: a key or request found swapped stays on the record.
    cipher = integrity.staff_cipher(
        case=case, keys=keys, actor=actor, request_too=True, opening=True
    )
    with transaction.atomic():
        opened = _decrypted(case, cipher)
        case_event(case, Action.CASE_OPENED, actor=actor, data={"reason": reason})
    return opened


@sensitive_variables()
def case_shown(*, case: Case, actor: User, keys: StaffKeys) -> OpenedCase:
    """The same content again, for a case this person opened in this session (its opening is
    the record). Raises vault.errors.NotOpened otherwise, and what `case_open` raises."""
    rules.check("open", case, actor)
    cipher = integrity.staff_cipher(case=case, keys=keys, actor=actor, request_too=True)
    with transaction.atomic():
        return _decrypted(case, cipher)


def case_close(*, case: Case, actor: User) -> None:
    """The person hides the content again (the view forgets the opening)."""
    case_event(case, Action.CASE_OPENING_ENDED, actor=actor)


@sensitive_variables()
def _decrypted(case: Case, cipher) -> OpenedCase:
    intake = case_intake(case=case, cipher=cipher)
    additions = case_additions(case=case, cipher=cipher)
    notes = [_note_open(cipher, note) for note in case.notes.select_related("author")]
    thread = case_thread(case=case, cipher=cipher)
    messages_mark_read(case=case)
    return OpenedCase(intake=intake, additions=additions, notes=notes, messages=thread)


@sensitive_variables()
def _note_open(cipher, note: Note) -> OpenedNote:
    try:
        text, readable = cipher.decrypt_text(note.purpose, bytes(note.body)), True
    except VaultError:
        text, readable = "", False
    return OpenedNote(
        author=note.author.username, created_at=note.created_at, text=text, readable=readable
    )
