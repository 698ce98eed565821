"""The applicant's pages. They share no template, session or cookie with the staff side.

Rules these views keep: nothing here reads or writes request.session; the
receipt code travels only in POST bodies and in the page that answers them; no
address is stored (rate limits keep a keyed hash for at most an hour).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from core.http import no_referrer
from core.ratelimit import rate_limited
from evacuation import rules
from evacuation.applicant.decorators import receipt_code_required
from evacuation.applicant.forms import ApplicantMessageForm, IntakeForm
from evacuation.applicant.pages import STATE_TEXT, page, too_many_attempts
from evacuation.files import transfer
from evacuation.models import Attachment, Case
from evacuation.selectors.thread import case_files, case_thread
from evacuation.services import correspondence, intake, retention
from evacuation.services.casework import case_withdraw
from vault import cases as vault_cases
from vault.cases import CaseCipher
from vault.errors import VaultError


@no_referrer
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    return page(request, "home.html")


@no_referrer
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited("intake", refuse=too_many_attempts)
@sensitive_variables()
def request_form(request: HttpRequest) -> HttpResponse:
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case, receipt_code = intake.case_submit(form_data=form.cleaned_data)
        except VaultError:
            # No organisation key to seal to: keep what they typed and say plainly to come back.
            return page(request, "request.html", {"form": form, "unavailable": True}, status=503)
        # Rendered straight from the POST answer: the code is never in a URL, a redirect or a log.
        context = {"receipt_code": receipt_code, "reference": case.reference}
        return page(request, "received.html", context)
    return page(request, "request.html", {"form": form})


@no_referrer
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited("code", refuse=too_many_attempts)
@receipt_code_required
@sensitive_variables()
def status(request: HttpRequest, *, case: Case, code: str) -> HttpResponse:
    step = request.POST.get("step", "check")
    if step == "confirm_withdraw" and case.is_open:
        return page(request, "withdraw_confirm.html", {"case": case, "code": code})
    context: dict = {"just_withdrawn": False}
    cipher = _applicant_cipher(case, code)  # one Argon2id per request: it is the slow part
    if step == "withdraw":
        try:
            case_withdraw(case=case, actor=rules.APPLICANT)
            context["just_withdrawn"] = True
        except (TransitionNotAllowed, ConcurrentTransition):
            # Already closed, or changed a moment ago: the page below shows where it stands now.
            case = Case.objects.get(pk=case.pk)
    elif step in ("message", "upload", "download") and cipher is not None:
        if step == "download":
            return _applicant_download(case, cipher, request.POST.get("file", ""))
        context.update(_applicant_writes(request, case, cipher, step))
    with transaction.atomic():  # the thread is decrypted for the page: the view is recorded with it
        if cipher is not None:
            context["thread"] = case_thread(case=case, cipher=cipher)
            context["files"] = case_files(case=case)
        intake.case_status_viewed(case=case)
    context["deletion_date"] = retention.deletion_date(case)
    return page(
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
def _applicant_cipher(case: Case, code: str) -> CaseCipher | None:
    """The case's cipher opened with the receipt code, or None once its keys are gone."""
    if case.is_purged:
        return None
    try:
        return vault_cases.case_cipher_for_applicant(case_uid=str(case.uid), receipt_code=code)
    except VaultError:
        return None


@sensitive_variables()
def _applicant_writes(request: HttpRequest, case: Case, cipher: CaseCipher, step: str) -> dict:
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
        correspondence.attachment_add(case=case, cipher=cipher, actor=rules.APPLICANT, data=data)
        return {"written": _("Your file is sent. Hidden data such as location was removed.")}
    except ValidationError as exc:  # FileRefused is one
        return {"write_error": " ".join(exc.messages)}


@sensitive_variables()
def _applicant_download(case: Case, cipher: CaseCipher, uid: str) -> HttpResponse:
    try:
        row, data = correspondence.attachment_open(
            case=case, cipher=cipher, actor=rules.APPLICANT, uid=uid
        )
    except (Attachment.DoesNotExist, ValidationError):
        raise Http404 from None
    return transfer.file_response(name=row.name, kind=row.kind, data=data)
