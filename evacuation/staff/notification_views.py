"""The notifications page: how each staff member is told, and (for coordinators) who is on call."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import capability_required
from evacuation.models import NoticeMode
from evacuation.notifications import preferences
from evacuation.notifications.mail import staff_url


class PreferenceForm(forms.Form):
    mode = forms.ChoiceField(
        label=gettext_lazy("Tell me by e-mail"),
        choices=NoticeMode.choices,
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(label=gettext_lazy("Language of the e-mail"), choices=())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        names = dict(settings.LANGUAGES)
        self.fields["language"].choices = [
            (code, names.get(code, code)) for code in settings.STAFF_LANGUAGES
        ]


class OnCallForm(forms.Form):
    member = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    on_call = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1"
    )


@require_http_methods(["GET", "HEAD", "POST"])
@capability_required("view_cases")
def notifications(request: HttpRequest) -> HttpResponse:
    preference = preferences.preference_of(request.user)
    initial = {
        "mode": preference.mode,
        "language": preference.language or request.LANGUAGE_CODE,
    }
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = preferences.preference_set(
                user=request.user,
                mode=form.cleaned_data["mode"],
                language=form.cleaned_data["language"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if changed:
                messages.success(request, _("Your choice is saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("evacuation_staff:notifications")
    may_set_on_call = request.user.may(preferences.ON_CALL_CAPABILITY)
    context = {
        "form": form,
        "has_email": bool(request.user.email),
        "staff_url": staff_url(),
        "may_set_on_call": may_set_on_call,
        "on_call": preferences.on_call_rows() if may_set_on_call else [],
        "you_on_call": preference.on_call or request.user.username in settings.NOTIFY_ON_CALL,
        "urgent_minutes": settings.NOTIFY_URGENT_AFTER_MINUTES,
        "digest_hour": settings.NOTIFY_DIGEST_HOUR,
    }
    return render(request, "evacuation/staff/notifications.html", context)


@require_POST
@capability_required(preferences.ON_CALL_CAPABILITY)
def on_call(request: HttpRequest) -> HttpResponse:
    form = OnCallForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an active caseworker or coordinator."))
        return redirect("evacuation_staff:notifications")
    try:
        changed = preferences.on_call_set(
            actor=request.user,
            member_id=form.cleaned_data["member"],
            on_call=form.cleaned_data["on_call"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied:
        raise
    else:
        if changed:
            messages.success(request, _("Who is on call is saved."))
        else:
            messages.info(request, _("Nothing changed."))
    return redirect("evacuation_staff:notifications")
