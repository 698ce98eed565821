"""The case page's follow-ups and check-ins (POST, then back to the case page's section).

Who may is asked by the services (case staff, a case whose data is kept, check-ins only for a
funded case); a refusal is said on the case page and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import capability_required
from evacuation.models import Case, FollowUpOutcome
from evacuation.services import followups
from evacuation.staff.followup_forms import CheckinsForm, FollowUpCloseForm, FollowUpForm


def _case(reference: str) -> Case:
    return get_object_or_404(Case.objects.defer("payload"), reference=reference)


def _back(reference: str) -> HttpResponse:
    return redirect(reverse("evacuation_staff:case", args=[reference]) + "#followups")


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(str(m) for m in exc.messages))


def _form_errors(form) -> ValidationError:
    return ValidationError([str(e) for errors in form.errors.values() for e in errors])


@require_POST
@capability_required("view_cases")
def followup_add(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(reference)
    form = FollowUpForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_errors(form)
        followup = followups.followup_set(
            case=case, actor=request.user, due_on=form.cleaned_data["due_on"]
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("Follow-up set for %(day)s.") % {"day": followup.due_on.isoformat()},
        )
    return _back(reference)


@require_POST
@capability_required("view_cases")
def followup_close(request: HttpRequest, reference: str, id: int) -> HttpResponse:
    case = _case(reference)
    form = FollowUpCloseForm(request.POST)
    try:
        if not form.is_valid():
            raise _form_errors(form)
        outcome = form.cleaned_data["outcome"]
        followups.followup_close(case=case, actor=request.user, followup_id=id, outcome=outcome)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        done = outcome == FollowUpOutcome.DONE
        messages.success(
            request, _("The follow-up is done.") if done else _("The follow-up is dismissed.")
        )
    return _back(reference)


@require_POST
@capability_required("view_cases")
def checkins(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case(reference)
    try:
        if request.POST.get("stop"):
            if followups.checkins_stop(case=case, actor=request.user):
                messages.success(request, _("Check-ins stopped."))
            return _back(reference)
        form = CheckinsForm(request.POST)
        if not form.is_valid():
            raise _form_errors(form)
        every = form.cleaned_data["every_days"]
        followups.checkins_set(case=case, actor=request.user, every_days=every)
    except PermissionDenied:
        raise
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _(
                "Check-ins set: the applicant is asked to press “I am safe” on their status "
                "page at least every %(days)d days."
            )
            % {"days": every},
        )
    return _back(reference)
