"""Staff side of messages, files and retention holds on the case page (POST, then back to it)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from accounts.decorators import capability_required
from evacuation import rules
from evacuation.files import transfer
from evacuation.models import Attachment, Case
from evacuation.services import correspondence, integrity, retention
from evacuation.staff.forms import HoldForm, MessageForm
from evacuation.staff.views import LOCKED
from vault.errors import VaultError, VaultLocked
from vault.session import StaffKeys, staff_keys


def _case(reference: str) -> Case:
    return get_object_or_404(Case, reference=reference)


def _back(reference: str) -> HttpResponse:
    return redirect("evacuation_staff:case", reference=reference)


def _refused(request: HttpRequest, action: str, case: Case, keys: StaffKeys) -> bool:
    """True (with the reason shown) unless this person may now: an opening comes first."""
    answer = rules.refusal(action, case, request.user, opened=keys.has_opened(case.uid))
    if answer is None:
        return False
    if answer.kind is PermissionDenied:
        raise PermissionDenied
    messages.error(request, answer.message or str(LOCKED))
    return True


@require_POST
@capability_required("message_applicant")
@sensitive_post_parameters("text")
@sensitive_variables()
def message_send(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(reference)
    keys = staff_keys(request)
    if _refused(request, "message", case, keys):
        return _back(reference)
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("text", [_("Write a message first.")])))
        return _back(reference)
    try:
        cipher = integrity.staff_cipher(case=case, keys=keys, actor=request.user)
        correspondence.message_to_applicant(
            case=case, cipher=cipher, actor=request.user, text=form.cleaned_data["text"]
        )
    except integrity.CaseTampered as exc:
        messages.error(request, str(exc))
    except VaultLocked:
        messages.error(request, LOCKED)
    except (VaultError, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(LOCKED)])))
    else:
        messages.success(
            request, _("Your message is sent. The applicant reads it with their code.")
        )
    return _back(reference)


@require_POST
@capability_required("message_applicant")
@sensitive_variables()
def file_upload(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(reference)
    keys = staff_keys(request)
    if _refused(request, "upload", case, keys):
        return _back(reference)
    try:
        data = transfer.uploaded_bytes(request)
        cipher = integrity.staff_cipher(case=case, keys=keys, actor=request.user)
        correspondence.attachment_add(case=case, cipher=cipher, actor=request.user, data=data)
    except integrity.CaseTampered as exc:
        messages.error(request, str(exc))
    except VaultLocked:
        messages.error(request, LOCKED)
    except ValidationError as exc:  # FileRefused is one
        messages.error(request, " ".join(exc.messages))
    except VaultError:
        messages.error(request, LOCKED)
    else:
        messages.success(request, _("The file is attached, cleaned of hidden data."))
    return _back(reference)


@require_POST
@capability_required("open_case")
@sensitive_variables()
def file_download(request: HttpRequest, reference: str, uid: str) -> HttpResponse:
    case = _case(reference)
    keys = staff_keys(request)
    if _refused(request, "download", case, keys):
        return _back(reference)
    try:
        cipher = integrity.staff_cipher(case=case, keys=keys, actor=request.user)
        row, data = correspondence.attachment_open(
            case=case, cipher=cipher, actor=request.user, uid=uid
        )
    except (Attachment.DoesNotExist, ValidationError):
        raise PermissionDenied from None
    except integrity.CaseTampered as exc:
        messages.error(request, str(exc))
        return _back(reference)
    except VaultError:
        messages.error(request, LOCKED)
        return _back(reference)
    return transfer.file_response(name=row.name, kind=row.kind, data=data)


@require_POST
@capability_required("hold_case")
def hold(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(reference)
    if request.POST.get("release"):
        retention.case_hold_release(case=case, actor=request.user)
        messages.success(request, _("The hold is released; the usual retention rules apply."))
        return _back(reference)
    form = HoldForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose why this case must be kept."))
        retention.case_hold_set(case=case, actor=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The case is on hold: it will not be deleted."))
    return _back(reference)
