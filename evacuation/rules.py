"""Who may do what to a case, and when: the one place that answers it.

Three parties ask the same question here and so always get the same answer:
- the state machine: each transition's `permission=` (evacuation.models.case) is a function
  below, so django-fsm's own checks agree with the rest;
- the services: `check(action, case, actor)` under the row lock, before anything is written;
- the case page: it offers the staff actions (evacuation.staff.actions) that `allows`.

An answer is None (go ahead) or a `Refusal` that says why, asked in this order: this person may
not (PermissionDenied), the case is not in a state for it (TransitionNotAllowed; the page says
"this case changed, reload"), or the work needs something else first (ValidationError, with a
message a person can act on). The case is read, never imported: the models import this module.

Every action on a case's content (`ON_CONTENT`: what decrypts it, writes under its key, or
decides on what the applicant wrote) needs the person's own opening of the case, with a reason,
in their signed-in session: the caller says whether there is one (`opened=`, from the session's
StaffKeys), and the vault itself unwraps a case key only for an opened case.

The one declared exception (`TRIAGE`): the coarse triage summary each request carries (region,
help needed, people, children, language, referral: fixed lists, no free text), sealed to the
organisation-wide triage key rather than to the case key. The queue shows it to those who may
open cases (`may_see_triage`) without an opening, and each queue page that shows summaries is
one audit event naming the references shown (evacuation/services/triage.py), never the content.

The limits of what may be asked for (the funding cap, its currencies) live here too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed, can_proceed

from accounts.cooling_off import cooling_off_until
from evacuation.choices import Currency, State

APPLICANT = "applicant"  # the actor who holds the receipt code
CENT = Decimal("0.01")
_LOOK_IT_UP = object()  # `pending` not given: the rule reads the case's pending proposal


def staff_may(user: Any, capability: str) -> bool:
    """The role table (accounts.roles), answering no for the applicant and anonymous visitors."""
    return bool(getattr(user, "is_authenticated", False) and user.may(capability))


# --- the transitions' permissions: django-fsm calls these as permission(case, user) ----------


def may_assess(case, user) -> bool:
    return staff_may(user, "assess_case")


def may_decline(case, user) -> bool:
    return staff_may(user, "decline_case")


def may_approve_funding(case, user, pending=_LOOK_IT_UP) -> bool:
    """Four eyes: a coordinator who neither assessed the case nor proposed the funding."""
    return staff_may(user, "approve_funding") and not is_own_work(case, user, pending)


def may_cancel_funding(case, user) -> bool:
    return staff_may(user, "cancel_funding")


def may_confirm_relocation(case, user) -> bool:
    return staff_may(user, "confirm_relocation")


def may_withdraw(case, user) -> bool:
    """The applicant (holding the code) or case staff acting on the applicant's word."""
    return user == APPLICANT or staff_may(user, "withdraw_case")


def is_own_work(case, user, pending=_LOOK_IT_UP) -> bool:
    """Whether `user` assessed the case or proposed its pending funding (four eyes)."""
    proposal = case.pending_proposal() if pending is _LOOK_IT_UP else pending
    return case.assessed_by_id == user.pk or (
        proposal is not None and proposal.proposed_by_id == user.pk
    )


# --- every action: when it applies and who may do it -----------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why an action may not happen now; `error()` is what a service raises."""

    kind: type[Exception]
    message: str = ""
    needs_opening: bool = False  # allowed once the person opens the case

    def error(self) -> Exception:
        if self.kind is ValidationError:
            return ValidationError(self.message)
        return self.kind(self.message)


NOT_NOW = Refusal(TransitionNotAllowed, "the case is not in a state for this")
NOT_YOU = Refusal(PermissionDenied)

TRIAGE = "triage"  # the exception above, by name


def may_see_triage(user) -> bool:
    """Whether `user` may see triage summaries in the queue: who may open cases."""
    return user.may("open_case")


ON_CONTENT = frozenset(
    {
        "assess",
        "decline",
        "propose_funding",
        "note",
        "message",
        "upload",
        "download",
        "issue_new_code",
        "mark_duplicate",  # deciding that two requests are the same person's
    }
)


def _needs(message: str) -> Refusal:
    return Refusal(ValidationError, message)


def _transition(name: str, permission: Callable[..., bool]) -> Callable[..., Refusal | None]:
    """A state-machine transition: its permission, then its source states."""

    def rule(case, user, pending) -> Refusal | None:
        if not permission(case, user):
            return NOT_YOU
        return None if can_proceed(getattr(case, name)) else NOT_NOW

    return rule


def _approve_funding(case, user, pending) -> Refusal | None:
    if not staff_may(user, "approve_funding"):
        return NOT_YOU
    if not can_proceed(case.approve_funding) or pending is None:
        return NOT_NOW
    if not may_approve_funding(case, user, pending):
        return NOT_YOU
    # Cooling-off: an account an administrator created, re-roled or reset recently cannot be
    # the second pair of eyes on money yet (accounts.changes; ACCOUNT_COOLING_OFF_HOURS).
    until = cooling_off_until(user)
    if until is not None:
        return _needs(
            _(
                "An administrator created, re-roled or reset your account less than %(hours)d "
                "hours ago: you may approve funding from %(until)s. Ask another coordinator."
            )
            % {
                "hours": settings.ACCOUNT_COOLING_OFF_HOURS,
                "until": formats.date_format(timezone.localtime(until), "DATETIME_FORMAT"),
            }
        )
    return None


def _propose_funding(case, user, pending) -> Refusal | None:
    if not staff_may(user, "propose_funding"):
        return NOT_YOU
    if case.state != State.ASSESSED:
        return NOT_NOW
    if pending is not None:
        return _needs(_("A funding proposal for this case is already waiting for approval."))
    return None


def _reject_funding(case, user, pending) -> Refusal | None:
    """A coordinator turning a proposal down, or its proposer taking it back."""
    coordinator = staff_may(user, "approve_funding")
    if not (coordinator or staff_may(user, "propose_funding")):
        return NOT_YOU
    if case.state != State.ASSESSED or pending is None:
        return NOT_NOW
    return None if coordinator or pending.proposed_by_id == user.pk else NOT_YOU


def _take(case, user, pending) -> Refusal | None:
    if not staff_may(user, "take_case"):
        return NOT_YOU
    if not case.is_open:
        return NOT_NOW
    if case.assignee_id == user.pk:
        return _needs(_("This case is already assigned to you."))
    if case.assignee_id is not None:
        return _needs(_("Someone else already works on this case; a coordinator can reassign it."))
    return None


def _while_open(capability: str) -> Callable[..., Refusal | None]:
    def rule(case, user, pending) -> Refusal | None:
        if not staff_may(user, capability):
            return NOT_YOU
        return None if case.is_open else NOT_NOW

    return rule


def _while_kept(capability: str) -> Callable[..., Refusal | None]:
    """Anything that writes the case's ciphertexts: gone once the case is purged."""

    def rule(case, user, pending) -> Refusal | None:
        if not staff_may(user, capability):
            return NOT_YOU
        return NOT_NOW if case.is_purged else None

    return rule


def _role(capability: str) -> Callable[..., Refusal | None]:
    """Whatever the case's state; the service says what a purged case no longer holds."""

    def rule(case, user, pending) -> Refusal | None:
        return None if staff_may(user, capability) else NOT_YOU

    return rule


def _hold(case, user, pending) -> Refusal | None:
    if not staff_may(user, "hold_case"):
        return NOT_YOU
    if case.is_purged:
        return _needs(_("The data of this request has been deleted."))
    return None


def _request_new_code(case, user, pending) -> Refusal | None:
    """The caseworker who verified, out of band, that the one asking is the applicant."""
    if not staff_may(user, "replace_code"):
        return NOT_YOU
    if case.is_purged or case.open_code_replacement() is not None:
        return NOT_NOW
    return None


def _confirm_new_code(case, user, pending) -> Refusal | None:
    """Four eyes: a coordinator who did not ask."""
    if not staff_may(user, "confirm_code_replacement"):
        return NOT_YOU
    replacement = case.open_code_replacement()
    if replacement is None or replacement.confirmed_at is not None:
        return NOT_NOW
    return NOT_YOU if replacement.requested_by_id == user.pk else None


def _issue_new_code(case, user, pending) -> Refusal | None:
    """Only the one who asked, once it is confirmed: they pass the code on."""
    if not staff_may(user, "replace_code"):
        return NOT_YOU
    replacement = case.open_code_replacement()
    if case.is_purged or replacement is None or replacement.confirmed_at is None:
        return NOT_NOW
    return None if replacement.requested_by_id == user.pk else NOT_YOU


def _cancel_new_code(case, user, pending) -> Refusal | None:
    if not (staff_may(user, "replace_code") or staff_may(user, "confirm_code_replacement")):
        return NOT_YOU
    replacement = case.open_code_replacement()
    if replacement is None:
        return NOT_NOW
    asked = replacement.requested_by_id == user.pk
    return None if asked or staff_may(user, "confirm_code_replacement") else NOT_YOU


def _mark_duplicate(case, user, pending) -> Refusal | None:
    """Closes the case as a duplicate (the decline transition, reason "duplicate")."""
    if not staff_may(user, "mark_duplicate"):
        return NOT_YOU
    return None if can_proceed(case.decline) else NOT_NOW


RULES: dict[str, Callable[..., Refusal | None]] = {
    "take": _take,
    "assess": _transition("assess", may_assess),
    "approve_funding": _approve_funding,
    "propose_funding": _propose_funding,
    "reject_funding": _reject_funding,
    "confirm_relocation": _transition("confirm_relocation", may_confirm_relocation),
    "cancel_funding": _transition("cancel_funding", may_cancel_funding),
    "decline": _transition("decline", may_decline),
    "withdraw": _transition("withdraw", may_withdraw),
    "reassign": _while_open("reassign_case"),
    "note": _while_kept("write_note"),
    "request_new_code": _request_new_code,
    "confirm_new_code": _confirm_new_code,
    "issue_new_code": _issue_new_code,
    "cancel_new_code": _cancel_new_code,
    "mark_duplicate": _mark_duplicate,
    "label": _role("label_case"),  # labels name the state of the work: whatever the state
    # Not action forms, but asked the same way by pages and services:
    "open": _role("open_case"),
    "message": _role("message_applicant"),
    "upload": _role("message_applicant"),
    "download": _role("open_case"),
    "hold": _hold,
}


def not_opened() -> Refusal:
    message = _(
        "Open this case first, with a reason: its content is shown, and can be worked on, only "
        "after an opening on the record. Nothing was saved."
    )
    return Refusal(ValidationError, message, needs_opening=True)


def refusal(
    action: str, case, user, *, pending=_LOOK_IT_UP, opened: bool = False
) -> Refusal | None:
    """Why `user` may not do `action` to `case` now, or None. `pending` is the case's pending
    funding proposal (or None) when the caller has it at hand; otherwise it is read. `opened`:
    whether the person opened the case in this session (only `ON_CONTENT` actions ask)."""
    if pending is _LOOK_IT_UP and action in (
        "approve_funding",
        "propose_funding",
        "reject_funding",
    ):
        pending = case.pending_proposal()
    answer = RULES[action](case, user, None if pending is _LOOK_IT_UP else pending)
    if answer is None and action in ON_CONTENT and not opened:
        return not_opened()
    return answer


def allows(action: str, case, user, *, pending=_LOOK_IT_UP, opened: bool = False) -> bool:
    return refusal(action, case, user, pending=pending, opened=opened) is None


def check(action: str, case, user, *, pending=_LOOK_IT_UP, opened: bool = False) -> None:
    """Raises TransitionNotAllowed, PermissionDenied or ValidationError unless allowed."""
    answer = refusal(action, case, user, pending=pending, opened=opened)
    if answer is not None:
        raise answer.error()


# --- what a funding proposal may ask for ------------------------------------------------------


def funding_currencies() -> list[str]:
    """The currencies a proposal may use: FUNDING_CAP is compared with the amount as entered,
    so only currencies of about the cap's value (EUR, USD by default) are offered."""
    return [code for code in settings.FUNDING_CURRENCIES if code in Currency.values]


def funding_cap() -> Decimal:
    return Decimal(str(settings.FUNDING_CAP))


def funding_amount(amount: Decimal | str) -> Decimal:
    """The amount as money, within FUNDING_CAP; ValidationError otherwise. The proposal form
    asks this for its amount field, and funding_propose asks it again."""

    def refuse(message: str) -> ValidationError:
        return ValidationError(message, code="amount")

    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise refuse(_("Enter the amount as a number, for example 1500.00.")) from None
    if not value.is_finite():
        raise refuse(_("Enter the amount as a number, for example 1500.00."))
    if value <= 0:
        raise refuse(_("The amount must be more than zero."))
    cap = funding_cap()
    if value > cap:
        raise refuse(
            _("The amount is above the limit of %(cap)s for one proposal.") % {"cap": f"{cap:,.2f}"}
        )
    # After the cap: quantize() raises for numbers past the context's precision.
    if value != value.quantize(CENT):
        raise refuse(_("Use at most two decimal places."))
    return value.quantize(CENT)
