"""Staff pages for cases. The 2FA middleware guards /staff/; these views check the role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_http_methods

from evacuation import selectors, services
from evacuation.forms import OpenCaseForm
from vault.errors import VaultError, VaultLocked


def capability_required(capability: str) -> Callable:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated or not request.user.may(capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@require_http_methods(["GET", "HEAD"])
@capability_required("view_cases")
def queue(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.cases_for_queue(), 50).get_page(request.GET.get("page"))
    return render(request, "evacuation/staff/queue.html", {"page": page})


@require_http_methods(["GET", "HEAD", "POST"])
@capability_required("view_cases")
@sensitive_variables()
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """Facts on GET; the decrypted intake only in the answer to an "Open" POST with a reason."""
    context: dict = {"may_open": request.user.may("open_case")}
    if request.method == "POST":
        if not context["may_open"]:
            raise PermissionDenied
        case = selectors.case_for_opening(reference=reference)
        form = OpenCaseForm(request.POST)
        if form.is_valid():
            try:
                intake = services.case_open(
                    request=request,
                    case=case,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
                context["intake"] = selectors.intake_for_display(intake)
            except VaultLocked:
                context["locked"] = True
            except VaultError:
                context["unreadable"] = True
    else:
        case = selectors.case_facts(reference=reference)
        form = OpenCaseForm()
    context.update(case=case, form=form)
    return render(request, "evacuation/staff/case.html", context)
