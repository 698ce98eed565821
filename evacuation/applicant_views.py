"""The applicant's pages. They share no template, session or cookie with the staff side.

Rules these views keep: nothing here reads or writes request.session; the
receipt code travels only in POST bodies and in the page that answers them; no
address is stored (rate limits keep a keyed hash for at most an hour).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from evacuation import correspondence, retention, services, transfer
from evacuation.forms import ApplicantMessageForm, IntakeForm, ReceiptCodeForm
from evacuation.models import Attachment, State
from evacuation.ratelimit import rate_limited
from vault import cases as vault_cases
from vault.errors import VaultError

# One message for a wrong, unknown, malformed or empty code: it must not tell them apart.
CODE_NOT_FOUND = _(
    "We could not find a request with this code. Check each digit and try again. "
    "If you have lost your code, you can send a new request."
)

STATE_TEXT = {
    State.RECEIVED: _(
        "We have received your request. A caseworker will read it and contact you the way "
        "you asked. Urgent requests are read first."
    ),
    State.ASSESSED: _(
        "A caseworker has read your request and is working on the next steps. They will "
        "contact you the way you asked."
    ),
    State.FUNDED: _(
        "Support for your journey has been approved. A caseworker will contact you about "
        "the next steps."
    ),
    State.RELOCATED: _("Your relocation has been recorded as completed. We wish you safety."),
    State.DECLINED: _(
        "We are sorry: we cannot help with this request. This does not mean we doubt you. "
        "If your situation changes, you can send a new request."
    ),
    State.WITHDRAWN: _(
        "This request has been withdrawn. No one will act on it. If you need help again, "
        "you can send a new request."
    ),
}


def no_referrer(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Links from applicant pages must not tell another site where the person came from."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapped


def _page(request: HttpRequest, template: str, context: dict | None = None) -> HttpResponse:
    context = {
        "quick_exit_url": settings.QUICK_EXIT_URL,
        "retention_days": settings.RETENTION_DAYS,
        **(context or {}),
    }
    return render(request, f"evacuation/applicant/{template}", context)


def too_many_attempts(request: HttpRequest) -> HttpResponse:
    response = _page(request, "too_many.html")
    response.status_code = 429
    return response


@no_referrer
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    return _page(request, "home.html")


@no_referrer
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited("intake", refuse=too_many_attempts)
@sensitive_variables()
def request_form(request: HttpRequest) -> HttpResponse:
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case, receipt_code = services.case_submit(form_data=form.cleaned_data)
        except VaultError:
            # No organisation key to seal to: keep what they typed and say plainly to come back.
            response = _page(request, "request.html", {"form": form, "unavailable": True})
            response.status_code = 503
            return response
        # Rendered straight from the POST answer: the code is never in a URL, a redirect or a log.
        return _page(
            request, "received.html", {"receipt_code": receipt_code, "reference": case.reference}
        )
    return _page(request, "request.html", {"form": form})


@no_referrer
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited("code", refuse=too_many_attempts)
@sensitive_variables()
def status(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, "status_lookup.html", {"form": ReceiptCodeForm()})
    form = ReceiptCodeForm(request.POST)
    case = services.case_find_by_code(receipt_code=form.data.get("code", "").strip()[:64])
    if not form.is_valid() or case is None:
        return _page(
            request, "status_lookup.html", {"form": ReceiptCodeForm(), "error": CODE_NOT_FOUND}
        )
    code = form.cleaned_data["code"]
    step = request.POST.get("step", "check")
    if step == "confirm_withdraw" and case.is_open:
        return _page(request, "withdraw_confirm.html", {"case": case, "code": code})
    context: dict = {"just_withdrawn": False}
    cipher = _applicant_cipher(case, code)  # one Argon2id per request: it is the slow part
    if step == "withdraw":
        try:
            services.case_withdraw(case=case, actor="applicant")
            context["just_withdrawn"] = True
        except (TransitionNotAllowed, ConcurrentTransition):
            # Already closed, or changed a moment ago: the page below shows where it stands now.
            case = type(case).objects.get(pk=case.pk)
    elif step in ("message", "upload", "download") and cipher is not None:
        if step == "download":
            return _applicant_download(case, cipher, request.POST.get("file", ""))
        context.update(_applicant_writes(request, case, cipher, step))
    with transaction.atomic():  # the thread is decrypted for the page: the view is recorded with it
        if cipher is not None:
            context["thread"] = correspondence.case_thread(case=case, cipher=cipher)
            context["files"] = correspondence.case_files(case=case)
        services.case_status_viewed(case=case)
    context["deletion_date"] = retention.deletion_date(case)
    return _page(
        request,
        "status.html",
        {
            "case": case,
            "code": code,
            "state_text": STATE_TEXT[case.state],
            "message_form": ApplicantMessageForm(),
            "file_limit_mb": settings.FILE_MAX_BYTES // (1024 * 1024),
            **context,
        },
    )


@sensitive_variables()
def _applicant_cipher(case, code: str):
    """The case's cipher opened with the receipt code, or None once its keys are gone."""
    if case.is_purged:
        return None
    try:
        return vault_cases.case_cipher_for_applicant(case_uid=str(case.uid), receipt_code=code)
    except VaultError:
        return None


@sensitive_variables()
def _applicant_writes(request: HttpRequest, case, cipher, step: str) -> dict:
    """A message or a file from the applicant; returns what the page should say about it."""
    try:
        if step == "message":
            form = ApplicantMessageForm(request.POST)
            if not form.is_valid():
                return {"write_error": " ".join(form.errors.get("text", [])), "draft": form}
            correspondence.message_from_applicant(
                case=case, cipher=cipher, text=form.cleaned_data["text"]
            )
            return {"written": _("Your message is sent.")}
        data = transfer.uploaded_bytes(request)
        correspondence.attachment_add(case=case, cipher=cipher, actor="applicant", data=data)
        return {"written": _("Your file is sent. Hidden data such as location was removed.")}
    except ValidationError as exc:  # FileRefused is one
        return {"write_error": " ".join(exc.messages)}


@sensitive_variables()
def _applicant_download(case, cipher, uid: str) -> HttpResponse:
    try:
        row, data = correspondence.attachment_open(
            case=case, cipher=cipher, actor="applicant", uid=uid
        )
    except (Attachment.DoesNotExist, ValidationError):
        raise Http404 from None
    return transfer.file_response(row, data)
