"""The auditor's workspace (work in progress)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from audit.models import AuditEvent


def auditor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or not user.may("view_audit"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@require_http_methods(["GET", "HEAD"])
@auditor_required
def events(request: HttpRequest) -> HttpResponse:
    latest = AuditEvent.objects.order_by("-sequence")[:50]
    return render(request, "audit/events.html", {"events": latest})
