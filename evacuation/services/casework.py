"""What staff do to a case: the transitions of the state machine, funding, assignment, notes.

Every function here is one transaction that
1. locks the case row (select_for_update), so two people acting at once are served one after
   the other and the second finds the case already changed;
2. refuses with CaseChanged when the row no longer matches what the caller saw (the `case` it
   passes, and `seen_version` when a form carried one);
3. asks evacuation.rules whether this person may do this to the case now (TransitionNotAllowed,
   PermissionDenied, ValidationError), and validates the required fields (ValidationError, a
   message for people);
4. saves and records its audit event in the same transaction.

Exceptions a view must turn into a message: CaseChanged / django_fsm.ConcurrentTransition and
django_fsm.TransitionNotAllowed ("this case changed, reload"), ValidationError (form errors).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from django_fsm import ConcurrentTransition

from audit.actions import Action
from evacuation import rules
from evacuation.choices import (
    DeclineReason,
    FundingCancelReason,
    FundingPurpose,
    Region,
    RiskLevel,
    Support,
    VerifiedBy,
)
from evacuation.models import NOTE_MAX_LENGTH, Case, FundingProposal, Note, ProposalStatus
from evacuation.services import followups, integrity
from evacuation.services.events import case_event
from vault.errors import VaultError

if TYPE_CHECKING:
    from accounts.models import User
    from vault.session import StaffKeys

# The furthest any time zone is ahead of / behind UTC: a date typed by someone east or west of
# the server must not be refused as "in the future" or "before the request arrived".
_AHEAD_OF_UTC = timedelta(hours=14)
_BEHIND_UTC = timedelta(hours=12)


class CaseChanged(ConcurrentTransition):
    """The case is no longer as the person acting saw it; nothing was written."""


# --- the transitions -----------------------------------------------------------------------------


def case_assess(
    *,
    case: Case,
    actor: User,
    keys: StaffKeys,
    risk_level: int,
    verified_by: str,
    support: Iterable[str],
    seen_version: str | None = None,
) -> Case:
    """Assesses what the applicant wrote: only after the assessor opened the case."""
    support_codes = _support_codes(support)
    with transaction.atomic():
        locked = _locked(case, seen_version)
        rules.check("assess", locked, actor, opened=keys.has_opened(case.uid))
        _require(
            risk_level in RiskLevel.values,
            _("Choose a risk level from 1 to 4."),
        )
        _require(verified_by in VerifiedBy.values, _("Choose how the request was verified."))
        now = timezone.now()
        locked.assess()
        locked.risk_level = int(risk_level)
        locked.verified_by = verified_by
        locked.support = support_codes
        locked.assessed_by = actor
        locked.assessed_at = now
        _touched(locked, now, state_changed=True)
        case_event(
            locked,
            Action.CASE_ASSESSED,
            actor=actor,
            data={
                "risk_level": locked.risk_level,
                "verified_by": verified_by,
                "support": ",".join(support_codes),
            },
        )
    return locked


@sensitive_variables("note", "text")
def case_decline(
    *,
    case: Case,
    actor: User,
    keys: StaffKeys,
    reason: str,
    note: str = "",
    seen_version: str | None = None,
) -> Case:
    """Ends the case, after the decliner opened it, with a reason from the fixed list; an
    optional note is stored encrypted under the case key `keys` open."""
    text = _note_text(note, required=False)
    opened = keys.has_opened(case.uid)
    cipher = None
    if text:
        rules.check("decline", case, actor, opened=opened)
        cipher = _note_cipher(keys=keys, case=case, actor=actor)
    with transaction.atomic():
        locked = _locked(case, seen_version)
        rules.check("decline", locked, actor, opened=opened)
        _require(reason in DeclineReason.values, _("Choose why the request is declined."))
        if text:
            _note_create(cipher=cipher, case=locked, actor=actor, text=text)
        now = timezone.now()
        locked.decline()
        locked.decline_reason = reason
        _proposals_close(locked, actor=actor, now=now)
        _touched(locked, now, state_changed=True)
        case_event(
            locked,
            Action.CASE_DECLINED,
            actor=actor,
            data={"reason": reason, "has_note": bool(text)},
        )
    return locked


def funding_propose(
    *,
    case: Case,
    actor: User,
    keys: StaffKeys,
    amount: Decimal | str,
    currency: str,
    purpose: str,
    seen_version: str | None = None,
) -> FundingProposal:
    """A request for money on an assessed case the proposer opened, within the cap; a second
    person approves it."""
    with transaction.atomic():
        locked = _locked(case, seen_version)
        rules.check("propose_funding", locked, actor, opened=keys.has_opened(case.uid))
        value = rules.funding_amount(amount)
        _require(
            currency in rules.funding_currencies(),
            _("Choose one of the currencies offered."),
        )
        _require(purpose in FundingPurpose.values, _("Choose what the money is for."))
        now = timezone.now()
        proposal = FundingProposal.objects.create(
            case=locked,
            amount=value,
            currency=currency,
            purpose=purpose,
            proposed_by=actor,
            proposed_at=now,
        )
        _touched(locked, now)
        case_event(
            locked,
            Action.FUNDING_PROPOSED,
            actor=actor,
            data={"amount": str(value), "currency": currency, "purpose": purpose},
        )
    return proposal


def funding_approve(
    *,
    case: Case,
    actor: User,
    proposal_id: int | None = None,
    seen_version: str | None = None,
) -> FundingProposal:
    """The second pair of eyes: assessed -> funded. `proposal_id` is the proposal the approver
    saw; if another is pending now, nothing is approved."""
    with transaction.atomic():
        locked = _locked(case, seen_version)
        proposal = _pending_proposal(locked, proposal_id)
        rules.check("approve_funding", locked, actor, pending=proposal)  # four eyes
        now = timezone.now()
        locked.approve_funding()
        proposal.status = ProposalStatus.APPROVED
        proposal.decided_by = actor
        proposal.decided_at = now
        proposal.save(update_fields=["status", "decided_by", "decided_at"])
        _touched(locked, now, state_changed=True)
        case_event(
            locked,
            Action.FUNDING_APPROVED,
            actor=actor,
            data={
                "amount": str(proposal.amount),
                "currency": proposal.currency,
                "purpose": proposal.purpose,
            },
        )
    return proposal


def funding_reject(
    *,
    case: Case,
    actor: User,
    reason: str,
    proposal_id: int | None = None,
    seen_version: str | None = None,
) -> FundingProposal:
    """Takes a pending proposal off the table (a coordinator turning it down, or its proposer
    withdrawing it), so a corrected one can be made. The case stays assessed."""
    with transaction.atomic():
        locked = _locked(case, seen_version)
        rules.check("reject_funding", locked, actor)
        proposal = _pending_proposal(locked, proposal_id)
        _require(reason in FundingCancelReason.values, _("Choose a reason."))
        now = timezone.now()
        proposal.status = ProposalStatus.CANCELLED
        proposal.cancel_reason = reason
        proposal.decided_by = actor
        proposal.decided_at = now
        proposal.save(update_fields=["status", "cancel_reason", "decided_by", "decided_at"])
        _touched(locked, now)
        case_event(locked, Action.FUNDING_CANCELLED, actor=actor, data={"reason": reason})
    return proposal


def funding_cancel(
    *,
    case: Case,
    actor: User,
    reason: str,
    seen_version: str | None = None,
) -> Case:
    """funded -> assessed; the approved proposal is marked cancelled with the reason."""
    with transaction.atomic():
        locked = _locked(case, seen_version)
        rules.check("cancel_funding", locked, actor)
        _require(reason in FundingCancelReason.values, _("Choose why the funding is cancelled."))
        now = timezone.now()
        locked.cancel_funding()
        # decided_by/at stay those of the approval (the four-eyes record); the audit event
        # says who cancelled and when.
        locked.funding_proposals.filter(status=ProposalStatus.APPROVED).update(
            status=ProposalStatus.CANCELLED, cancel_reason=reason
        )
        _touched(locked, now, state_changed=True)
        case_event(locked, Action.FUNDING_CANCELLED, actor=actor, data={"reason": reason})
    return locked


def case_confirm_relocation(
    *,
    case: Case,
    actor: User,
    relocated_on: date,
    region: str,
    seen_version: str | None = None,
) -> Case:
    """The person is safe: a date and a coarse region, never an address."""
    with transaction.atomic():
        locked = _locked(case, seen_version)
        rules.check("confirm_relocation", locked, actor)
        _require(isinstance(relocated_on, date), _("Enter the date of the relocation."))
        now = timezone.now()
        _require(
            relocated_on <= (now + _AHEAD_OF_UTC).date(),
            _("The relocation date cannot be in the future."),
        )
        _require(
            relocated_on >= (locked.created_at - _BEHIND_UTC).date(),
            _("The relocation date cannot be before the request arrived."),
        )
        _require(region in Region.values, _("Choose the region the person moved to."))
        locked.confirm_relocation()
        locked.relocated_on = relocated_on
        locked.relocation_region = region
        _touched(locked, now, state_changed=True)
        # Follow-ups at 30 and 90 days, and the end of the check-ins, in this same transaction
        # and on the relocation's own event.
        due = followups.followups_after_relocation(
            case=locked, actor=actor, relocated_on=relocated_on
        )
        case_event(
            locked,
            Action.CASE_RELOCATED,
            actor=actor,
            data={"region": region, "followups_due": ",".join(f.due_on.isoformat() for f in due)},
        )
    return locked


def case_withdraw(*, case: Case, actor: Any, seen_version: str | None = None) -> Case:
    """Withdraws on the applicant's word (actor "applicant", or a staff member relaying it).

    Raises TransitionNotAllowed from a closed state and CaseChanged (a ConcurrentTransition) if
    the case changed since `case` was loaded.
    """
    by_applicant = actor == rules.APPLICANT
    with transaction.atomic():
        locked = _locked(case, seen_version)
        rules.check("withdraw", locked, actor)
        now = timezone.now()
        locked.withdraw()
        _proposals_close(locked, actor=None if by_applicant else actor, now=now)
        if by_applicant:
            locked.last_applicant_activity_on = timezone.localdate(now)
            locked.state_changed_at = now
            locked.save()
        else:
            _touched(locked, now, state_changed=True)
        case_event(
            locked,
            Action.CASE_WITHDRAWN,
            actor=actor,
            data={"by": "applicant" if by_applicant else "staff"},
        )
    return locked


# --- assignment and notes ------------------------------------------------------------------------


def case_take(*, case: Case, actor: User, seen_version: str | None = None) -> Case:
    """Assigns an unassigned open case to the person taking it."""
    with transaction.atomic():
        locked = _locked(case, seen_version)
        rules.check("take", locked, actor)
        return _assign(locked, actor=actor, assignee=actor)


def case_reassign(
    *,
    case: Case,
    actor: User,
    assignee: User | None,
    seen_version: str | None = None,
) -> Case:
    """A coordinator hands an open case to another caseworker or coordinator (or to nobody)."""
    with transaction.atomic():
        locked = _locked(case, seen_version)
        rules.check("reassign", locked, actor)
        _require(
            assignee is None or assignee.may("view_cases"),
            _("Choose an active caseworker or coordinator."),
        )
        if locked.assignee_id == (assignee.pk if assignee else None):
            return locked
        return _assign(locked, actor=actor, assignee=assignee)


@sensitive_variables("text", "body")
def note_add(
    *,
    case: Case,
    actor: User,
    keys: StaffKeys,
    text: str,
    seen_version: str | None = None,
) -> Note:
    """An internal note, stored only as ciphertext under the case key. The event has no text."""
    body = _note_text(text, required=True)
    opened = keys.has_opened(case.uid)
    rules.check("note", case, actor, opened=opened)
    cipher = _note_cipher(keys=keys, case=case, actor=actor)  # before the lock: see integrity
    with transaction.atomic():
        locked = _locked(case, seen_version)
        rules.check("note", locked, actor, opened=opened)
        note = _note_create(cipher=cipher, case=locked, actor=actor, text=body)
        _touched(locked, note.created_at)
        case_event(locked, Action.CASE_NOTE_ADDED, actor=actor)
    return note


# --- helpers -------------------------------------------------------------------------------------


def _locked(case: Case, seen_version: str | None) -> Case:
    """The case row, locked until the transaction ends, if it is still what the caller saw."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.state != case.state or (seen_version is not None and locked.version != seen_version):
        raise CaseChanged("The case changed since it was loaded.")
    return locked


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValidationError(message)


def _touched(case: Case, now: datetime, *, state_changed: bool = False) -> None:
    case.last_staff_action_at = now
    if state_changed:
        case.state_changed_at = now
    case.save()


def _support_codes(support: Iterable[str]) -> list[str]:
    chosen = set(support or ())
    _require(bool(chosen), _("Choose at least one kind of support to recommend."))
    _require(chosen <= set(Support.values), _("Choose support from the list."))
    return [code for code in Support.values if code in chosen]  # the list's order, no repeats


def _pending_proposal(case: Case, proposal_id: int | None) -> FundingProposal:
    proposal = case.pending_proposal()
    if proposal is None or (proposal_id is not None and proposal.pk != proposal_id):
        raise CaseChanged("The proposal seen is no longer the one waiting.")
    return proposal


def _proposals_close(case: Case, *, actor: User | None, now: datetime) -> None:
    # A declined or withdrawn case must not leave money waiting for approval.
    case.funding_proposals.filter(status=ProposalStatus.PENDING).update(
        status=ProposalStatus.CANCELLED,
        cancel_reason=FundingCancelReason.OTHER,
        decided_by=actor,
        decided_at=now,
    )


def _assign(case: Case, *, actor: User, assignee: User | None) -> Case:
    case.assignee = assignee
    _touched(case, timezone.now())
    case_event(
        case,
        Action.CASE_ASSIGNED,
        actor=actor,
        data={"assignee": assignee.pk if assignee else None},
    )
    return case


@sensitive_variables("text")
def _note_text(text: str, *, required: bool) -> str:
    text = (text or "").strip()
    if required:
        _require(bool(text), _("Write the note first."))
    _require(
        len(text) <= NOTE_MAX_LENGTH,
        _("A note can be at most %(limit)s characters.") % {"limit": f"{NOTE_MAX_LENGTH:,}"},
    )
    _require("\x00" not in text, _("The note contains a character that cannot be stored."))
    return text


def _note_cipher(*, keys: StaffKeys, case: Case, actor: User):
    """The case's (checked) cipher for a note, or a ValidationError that says why not."""
    try:
        return integrity.staff_cipher(case=case, keys=keys, actor=actor)
    except integrity.CaseTampered as exc:
        raise ValidationError(str(exc)) from None
    except VaultError:
        raise ValidationError(
            _(
                "Your session cannot open this case's key, so the note cannot be stored "
                "encrypted. Nothing was saved. Sign out and sign in again with your password, "
                "or ask a coordinator for access to case keys."
            )
        ) from None


@sensitive_variables("text", "cipher")
def _note_create(*, cipher, case: Case, actor: User, text: str) -> Note:
    integrity.still_current(cipher)  # under the case's lock: not re-keyed since it was opened
    place = (case.notes.aggregate(last=Max("sequence"))["last"] or 0) + 1
    note = Note(case=case, author=actor, created_at=timezone.now(), sequence=place)
    note.body = cipher.encrypt_text(note.purpose, text)
    note.save(force_insert=True)
    return note
