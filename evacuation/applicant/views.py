"""The applicant's pages. They share no template, session or cookie with the staff side.

Rules these views keep: no session and no cookie (the language is in the URL; forms carry
signed tokens, core.tokens); the receipt code travels only in the POST that types it and is
written into no page after the one that first shows it; after a right code the page carries a
15-minute capability (vault.capabilities) instead, so later actions cost no Argon2id; a form
that changes something is one-time, so sending it again changes nothing; no address is
stored (rate limits keep 16 bits of a keyed hash, core.ratelimit).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_http_methods
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from core import ratelimit
from core.tokens import (
    Token,
    forget_kept,
    spent_token_row,
    token_check,
    token_forget,
    token_issue,
    token_kept,
    token_secret,
    token_spend,
    token_state,
)
from evacuation import rules
from evacuation.applicant.decorators import applicant_view
from evacuation.applicant.forms import (
    ApplicantMessageForm,
    IntakeForm,
    ReceiptCodeForm,
    intake_answers,
)
from evacuation.applicant.pages import (
    CODE_FORGOTTEN,
    CODE_NOT_FOUND,
    FORM_TOO_OLD,
    LOOKUP_FORM_AGE,
    STATE_TEXT,
    STATUS_FORM_AGE,
    lookup_page,
    page,
)
from evacuation.files import sanitise, transfer
from evacuation.models import Attachment, Case
from evacuation.selectors.thread import case_additions, case_files, case_intake, case_thread
from evacuation.services import correspondence, followups, intake, integrity, retention
from evacuation.services.casework import case_withdraw
from evacuation.services.intake import INTAKE_FORM_AGE, INTAKE_PURPOSE, RECEIPT_AGAIN_FOR
from vault import cases as vault_cases
from vault.capabilities import (
    CapabilityExpired,
    CapabilityInvalid,
    capability_issue,
    capability_open,
    receipt_unseal,
)
from vault.cases import CaseCipher
from vault.errors import VaultError, WrongCode

ALREADY_SENT = _("This was already sent. Here is your request as it is now.")
KEY_NOT_OURS = _(
    "Something is wrong with the protection of your request, so nothing was shown and nothing "
    "can be sent. Do not write anything here. Please contact the organisation another way you "
    "trust."
)
KEPT_ON_HOLD = _(
    "Your request is withdrawn. We have to keep its data for a while longer, for a reason a "
    "coordinator recorded; it will be deleted as soon as that ends."
)
CHECKED_IN = _("Thank you. We have noted that you are safe.")
CHECKED_IN_BEFORE = _("This check-in was already noted. Thank you: we know you are safe.")
WRITES = ("message", "add", "upload", "withdraw", "withdraw_delete", "checkin")


@applicant_view
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "organisation": settings.ORGANISATION_NAME,
        "organisation_url": settings.ORGANISATION_URL,
        "onion_address": settings.ONION_ADDRESS,
    }
    return page(request, "home.html", context)


def _request_page(request: HttpRequest, context: dict, *, status: int = 200) -> HttpResponse:
    # The language switch sends this form to the other language's URL, so nothing typed is lost.
    return page(request, "request.html", {**context, "switch_form": "intake"}, status=status)


@applicant_view
@require_http_methods(["GET", "HEAD", "POST"])
@sensitive_variables()
def request_form(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        context = {"form": IntakeForm.blank(), "form_token": token_issue(INTAKE_PURPOSE)}
        return _request_page(request, context)
    # Every POST here sweeps away the receipt codes kept past their minutes (one UPDATE on an
    # index), so none outlives its time while people use the site; the daily prune_traces is
    # the backstop when nobody does.
    forget_kept()
    token = request.POST.get("form_token", "")
    if "switch_language" in request.POST:
        if spent_token_row(token, INTAKE_PURPOSE, max_age=INTAKE_FORM_AGE) is not None:
            # The "request received" page in another language: the same code, within its time.
            return _sent_before(request, token, switched=True)
        # The same form, in another language, as typed.
        context = {"form": IntakeForm(initial=_typed(request, IntakeForm)), "form_token": token}
        return _request_page(request, context)
    if "written_down" in request.POST:
        token_forget(token, INTAKE_PURPOSE, max_age=INTAKE_FORM_AGE)
        return page(request, "written_down.html")
    form = IntakeForm(request.POST)
    context = {"form": form, "form_token": token}
    if not form.is_valid():
        return _request_page(request, context)
    if spent_token_row(token, INTAKE_PURPOSE, max_age=INTAKE_FORM_AGE) is not None:
        return _sent_before(request, token)  # a reload: nothing new, so no allowance spent
    if token_check(token, INTAKE_PURPOSE, max_age=INTAKE_FORM_AGE) is Token.INVALID:
        context.update(form_token=token_issue(INTAKE_PURPOSE), error=FORM_TOO_OLD)
        return _request_page(request, context)
    busy = ratelimit.intake_spend(request)
    if busy is not None:
        return _request_page(request, {**context, "busy": busy}, status=429)
    try:
        # The token is spent in the case's transaction: both happen, or neither.
        case, code = intake.case_submit(form_data=form.cleaned_data, form_token=token)
    except intake.SentBefore:  # the same form, sent twice at once: the first one made it
        return _sent_before(request, token)
    except VaultError:
        # No organisation key to seal to: keep what they typed and say plainly to come back.
        return _request_page(request, {**context, "unavailable": True}, status=503)
    return _received(request, code, case.reference, token, again=False)


@sensitive_variables()
def _received(request: HttpRequest, code, reference: str, token: str, *, again: bool):
    # Rendered straight from the POST answer: the code is never in a URL, a redirect or a log.
    # The language switch sends the form token (the "received" form) to the other language's
    # /request/, which shows the same page through _sent_before.
    context = {
        "receipt_code": str(code),
        "reference": reference,
        "form_token": token,
        "again": again,
        "again_minutes": int(RECEIPT_AGAIN_FOR.total_seconds() // 60),
        "switch_form": "received",
    }
    return page(request, "received.html", context)


@sensitive_variables()
def _sent_before(request: HttpRequest, token: str, *, switched: bool = False) -> HttpResponse:
    """The same form sent again: nothing new is made. Within its minutes, and until they said
    they wrote it down, the one who holds the form sees the same code again (`switched`: asked
    for in another language, so it is not news that it was sent before)."""
    sealed = token_kept(token, INTAKE_PURPOSE, max_age=INTAKE_FORM_AGE)
    key = token_secret(token, INTAKE_PURPOSE, max_age=INTAKE_FORM_AGE)
    if sealed is None or key is None:
        return page(request, "already_sent.html")
    try:
        code, reference = receipt_unseal(sealed, key=key)
    except CapabilityInvalid:
        return page(request, "already_sent.html")
    return _received(request, code, reference, token, again=not switched)


@applicant_view
@require_http_methods(["GET", "HEAD", "POST"])
@sensitive_variables()
def status(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return lookup_page(request)
    if "capability" in request.POST:
        return _with_capability(request)
    return _look_up(request)


def _typed(request: HttpRequest, form_class) -> dict:
    """What was typed into a form, as its initial values (shown again, not yet checked)."""
    typed = {}
    for name, field in form_class.base_fields.items():
        many = isinstance(field, forms.MultipleChoiceField)
        typed[name] = request.POST.getlist(name) if many else request.POST.get(name)
    return typed


@sensitive_variables()
def _look_up(request: HttpRequest) -> HttpResponse:
    """A typed receipt code: its shape first, then one Argon2id, paid for by the rate limits."""
    if "switch_language" in request.POST:
        return lookup_page(request, ReceiptCodeForm(initial=_typed(request, ReceiptCodeForm)))
    form = ReceiptCodeForm(request.POST)
    if token_check(request.POST.get("form_token", ""), "lookup", max_age=LOOKUP_FORM_AGE) is (
        Token.INVALID
    ):
        return lookup_page(request, form, error=FORM_TOO_OLD)
    if not form.is_valid():
        return lookup_page(request, form)
    code = form.cleaned_data["code"]
    # Charged by the typed locator alone, never by whether a case has it (core.ratelimit).
    attempt = ratelimit.code_attempt(request, locator=code.locator)
    if isinstance(attempt, ratelimit.Busy):
        return lookup_page(request, form, status=429, busy=attempt)
    try:
        cipher = vault_cases.case_cipher_for_applicant(code)
    except WrongCode:
        return lookup_page(request, form, error=CODE_NOT_FOUND)
    attempt.succeeded()
    case = Case.objects.get(uid=cipher.case_uid)
    try:
        integrity.checked(case=case, cipher=cipher, actor=rules.APPLICANT)
    except integrity.CaseTampered:
        # A key someone sealed to this applicant: nothing may be read or written under it.
        return page(request, "refused.html", {"reason": KEY_NOT_OURS}, status=409)
    return _status_page(request, case, cipher)


@sensitive_variables()
def _with_capability(request: HttpRequest) -> HttpResponse:
    """A form of the status page: the capability opens the case without the code."""
    step = request.POST.get("step", "view")
    try:
        cipher = capability_open(request.POST["capability"])
    except (CapabilityExpired, CapabilityInvalid):
        # Expired, or made before the server's key changed: type the code again, and whatever
        # was being sent is shown back so nothing is lost.
        unsent = request.POST.get("text", "") if step in ("message", "add") else ""
        return lookup_page(request, error=CODE_FORGOTTEN, unsent=unsent)
    if not vault_cases.cipher_is_current(cipher):
        # A rotation gave the case a new key since this page was drawn: the code opens it.
        unsent = request.POST.get("text", "") if step in ("message", "add") else ""
        return lookup_page(request, error=CODE_FORGOTTEN, unsent=unsent)
    busy = ratelimit.case_spend(cipher.case_uid)
    if busy is not None:
        return page(request, "refused.html", {"busy": busy}, status=429)
    case = Case.objects.get(uid=cipher.case_uid)
    if case.is_purged:  # shredded since this page was drawn: nothing of it is left to show
        return page(request, "deleted.html", {"case": case})
    if step == "download":
        return _download(case, cipher, request.POST.get("file", ""))
    if step == "confirm_withdraw" and not case.is_purged:
        context = {
            "case": case,
            "switch_step": step,  # the language switch stays on this step
            **_capability_fields(cipher, "withdraw", "withdraw_delete"),
        }
        return page(request, "withdraw_confirm.html", context)
    if "switch_language" in request.POST:
        # The same page in another language: a re-read that spends no token and sends nothing;
        # what was being typed is put back in its box.
        return _status_page(request, case, cipher, _draft(request, step))
    if step not in WRITES:
        return _status_page(request, case, cipher)
    outcome = _write_once(request, case, cipher, step)
    if outcome.get("deleted"):
        return page(request, "deleted.html", {"case": case})
    return _status_page(request, Case.objects.get(pk=case.pk), cipher, outcome)


def _not_sent(step: str, token: Token) -> dict:
    """What the page says of a form whose token is not FRESH: sent before, or too old."""
    if token is not Token.SPENT:
        return {"write_note": FORM_TOO_OLD}
    return {"write_note": CHECKED_IN_BEFORE if step == "checkin" else ALREADY_SENT}


@sensitive_variables()
def _write_once(request: HttpRequest, case: Case, cipher: CaseCipher, step: str) -> dict:
    """The write and the spending of its one-time token, in one transaction: both or neither.
    A send that failed half way (an error, a worker killed) leaves the form unspent, to be sent
    again; one that wrote nothing (refused, or the case moved meanwhile) is rolled back too."""
    token, purpose = request.POST.get("form_token", ""), f"status:{step}"
    state = token_state(token, purpose, max_age=STATUS_FORM_AGE)
    if state is not Token.FRESH:  # a reload: turned away before a file is cleaned again
        return _not_sent(step, state)
    try:
        cleaned = (
            correspondence.attachment_clean(transfer.uploaded_bytes(request))
            if step == "upload"
            else None
        )
    except ValidationError as exc:  # FileRefused is one
        return {"write_error": " ".join(exc.messages)}
    with transaction.atomic():
        spent = token_spend(token, purpose, max_age=STATUS_FORM_AGE)
        if spent is not Token.FRESH:  # a second send of the same form got there first
            return _not_sent(step, spent)
        outcome = _write(request, case, cipher, step, cleaned)
        if not outcome.keys() & _WROTE:
            transaction.set_rollback(True)
    if outcome.get("deleted"):
        retention.storage_scrub()  # outside any transaction; the shredding itself is committed
    return outcome


# What `_write` answers when it wrote something (the token is then spent with it).
_WROTE = {"written", "checked_in", "deleted"}


@sensitive_variables()
def _write(
    request: HttpRequest,
    case: Case,
    cipher: CaseCipher,
    step: str,
    cleaned: sanitise.Sanitised | None,
) -> dict:
    """A message, a file (`cleaned` already) or the withdrawal, inside `_write_once`'s
    transaction; returns what the page should say about it."""
    try:
        if step == "withdraw":
            case_withdraw(case=case, actor=rules.APPLICANT)
            return {"written": _("Your request has been withdrawn.")}
        if step == "checkin":
            try:
                followups.checkin_record(case=case)
            except ValidationError as exc:  # stopped, or no longer in transit: nothing noted
                return {"write_note": " ".join(exc.messages)}
            return {"checked_in": CHECKED_IN}
        if step == "withdraw_delete":
            if retention.case_delete_now(case=case):
                return {"deleted": True}
            return {"written": KEPT_ON_HOLD}
        if step in ("message", "add"):
            form = ApplicantMessageForm(request.POST)
            if not form.is_valid():
                errors = " ".join(form.errors.get("text", []))
                return {"write_error": errors, "draft": form, "draft_for": step}
            if step == "add":
                correspondence.addition_from_applicant(
                    case=case, cipher=cipher, text=form.cleaned_data["text"]
                )
                return {"written": _("What you added is sent. Your request itself is unchanged.")}
            correspondence.message_from_applicant(
                case=case, cipher=cipher, text=form.cleaned_data["text"]
            )
            return {"written": _("Your message is sent.")}
        correspondence.attachment_store(
            case=case, cipher=cipher, actor=rules.APPLICANT, cleaned=cleaned
        )
        return {"written": _("Your file is sent. Hidden data such as location was removed.")}
    except (TransitionNotAllowed, ConcurrentTransition):
        # Already closed, or changed a moment ago: the page shows where it stands now.
        return {}
    except ValidationError as exc:  # FileRefused is one
        return {"write_error": " ".join(exc.messages)}


def _draft(request: HttpRequest, step: str) -> dict:
    """What was typed in the message or "add" box, to be shown again unchecked and unsent."""
    if step not in ("message", "add"):
        return {}
    typed = ApplicantMessageForm(initial={"text": request.POST.get("text", "")})
    return {"draft": typed, "draft_for": step}


def _capability_fields(cipher: CaseCipher, *steps: str) -> dict:
    """What the page's forms carry: a fresh capability (so 15 minutes count from the last use)
    and a one-time token for each form that changes something."""
    return {
        "capability": capability_issue(cipher),
        **{f"{step}_token": token_issue(f"status:{step}") for step in steps},
    }


@sensitive_variables()
def _status_page(
    request: HttpRequest, case: Case, cipher: CaseCipher, extra: dict | None = None
) -> HttpResponse:
    context: dict = {
        "case": case,
        "state_text": STATE_TEXT[case.state],
        "message_form": ApplicantMessageForm(),
        "file_limit_mb": settings.FILE_MAX_BYTES // (1024 * 1024),
        "deletion_date": retention.deletion_date(case),
        # The language switch sends the message form along, so what is typed in it is kept (the
        # "add" form instead when that is the one being written, as after a refused addition).
        "switch_form": "" if case.is_purged else "status_message",
        **_capability_fields(cipher, "message", "add", "upload"),
        **(extra or {}),
    }
    if context.get("draft_for") == "add" and not case.is_purged:
        context["switch_form"] = "status_add"
    checkin = followups.checkin_running(case)
    if checkin is not None:  # a funded case in transit: the "I am safe" button
        context["checkin"] = checkin
        context["checkin_late"] = checkin.due_at < timezone.now()
        context["checkin_token"] = token_issue("status:checkin")
    if not case.is_purged:
        context["answers"] = intake_answers(case_intake(case=case, cipher=cipher))
        context["additions"] = case_additions(case=case, cipher=cipher)
    context["thread"] = case_thread(case=case, cipher=cipher)
    context["files"] = case_files(case=case)
    context["new_replies"] = correspondence.applicant_visit(case=case, cipher=cipher)
    return page(request, "status.html", context)


@sensitive_variables()
def _download(case: Case, cipher: CaseCipher, uid: str) -> HttpResponse:
    try:
        row, data = correspondence.attachment_open(
            case=case, cipher=cipher, actor=rules.APPLICANT, uid=uid
        )
    except (Attachment.DoesNotExist, ValidationError):
        raise Http404 from None
    return transfer.file_response(name=row.name, kind=row.kind, data=data)
