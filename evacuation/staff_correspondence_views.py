"""Staff side of messages, files and retention holds on the case page (POST, then back to it)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from accounts.decorators import capability_required
from evacuation import correspondence, retention, transfer
from evacuation.choices import HoldReason
from evacuation.models import Attachment, Case
from vault import cases as vault_cases
from vault.errors import VaultError, VaultLocked

LOCKED = gettext_lazy(
    "Your session cannot open case data (no key grant, or signed in before it was granted). "
    "Nothing was saved."
)


class MessageForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Message to the applicant"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=correspondence.MESSAGE_MAX_LENGTH,
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (photo or PDF)"))


class HoldForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Why keep it"), choices=HoldReason.choices)


def panel_context(case: Case, user) -> dict[str, Any]:
    """What the case page's messages, files and retention panels show (no decryption)."""
    return {
        "files": correspondence.case_files(case=case),
        "may_message": user.may("message_applicant"),
        "may_download": user.may("open_case"),
        "message_form": MessageForm(),
        "upload_form": UploadForm(),
        "may_hold": user.may("hold_case"),
        "hold_form": HoldForm(),
        "deletion_date": retention.deletion_date(case),
        "hold_label": HoldReason(case.hold_reason).label if case.hold_reason else "",
    }


def _case(reference: str) -> Case:
    return get_object_or_404(Case, reference=reference)


def _back(reference: str) -> HttpResponse:
    return redirect("evacuation_staff:case", reference=reference)


@require_POST
@capability_required("message_applicant")
@sensitive_post_parameters("text")
@sensitive_variables()
def message_send(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(reference)
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("text", [_("Write a message first.")])))
        return _back(reference)
    try:
        cipher = vault_cases.case_cipher_for_staff(request, case_uid=str(case.uid))
        correspondence.message_to_applicant(
            case=case, cipher=cipher, actor=request.user, text=form.cleaned_data["text"]
        )
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
    try:
        data = transfer.uploaded_bytes(request)
        cipher = vault_cases.case_cipher_for_staff(request, case_uid=str(case.uid))
        correspondence.attachment_add(case=case, cipher=cipher, actor=request.user, data=data)
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
    try:
        cipher = vault_cases.case_cipher_for_staff(request, case_uid=str(case.uid))
        row, data = correspondence.attachment_open(
            case=case, cipher=cipher, actor=request.user, uid=uid
        )
    except (Attachment.DoesNotExist, ValidationError):
        raise PermissionDenied from None
    except VaultError:
        messages.error(request, LOCKED)
        return _back(reference)
    return transfer.file_response(row, data)


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
