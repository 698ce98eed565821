"""The auditor's workspace. The 2FA middleware guards /audit/; these views check the role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from audit import exports, selectors, signing
from audit.actions import Action
from audit.chain import HASHED_FIELDS, event_canonical, timestamp
from audit.forms import EventFilterForm
from audit.services import record
from audit.verify import verify_database

PAGE_SIZE = 50


def auditor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only roles with the view_audit capability (auditors); everyone else gets 403."""

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
    form = EventFilterForm(request.GET or None)
    page = None
    if form.is_bound and not form.is_valid():
        queryset = None
    else:
        filters = form.cleaned_data if form.is_bound else {}
        queryset = selectors.events_filtered(**filters).order_by("-sequence")
    if queryset is not None:
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/events.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "key_fingerprint": _fingerprint(),
        },
    )


@require_http_methods(["GET", "HEAD"])
@auditor_required
def event_detail(request: HttpRequest, sequence: int) -> HttpResponse:
    event = selectors.event_by_sequence(sequence)
    if event is None:
        raise Http404
    fields = {name: getattr(event, name) for name in HASHED_FIELDS}
    fields["created_at"] = timestamp(event.created_at)
    hashed = event_canonical(**fields).decode("utf-8")
    return render(
        request,
        "audit/event_detail.html",
        {
            "event": event,
            "hashed": hashed,
            "has_next": selectors.event_exists(event.sequence + 1),
        },
    )


@require_POST
@auditor_required
def verify(request: HttpRequest) -> HttpResponse:
    result = verify_database()
    record(
        action=Action.AUDIT_VERIFIED,
        actor=request.user,
        target_type="audit",
        data={"ok": result.ok, "checked": result.checked, "first_bad": result.first_bad_sequence},
    )
    return render(request, "audit/verify.html", {"result": result}, status=200)


@require_http_methods(["GET", "HEAD"])
@auditor_required
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    form = EventFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "audit/events.html",
            {"form": form, "page": None, "query": "", "key_fingerprint": _fingerprint()},
            status=400,
        )
    filters = form.cleaned_data if form.is_bound else {}
    filtered = form.is_bound and form.is_filtered()
    queryset = selectors.events_filtered(**filters)
    record(
        action=Action.AUDIT_EXPORTED,
        actor=request.user,
        target_type="audit",
        data={"format": fmt, "count": queryset.count()},
    )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    if fmt == "jsonl":
        response = StreamingHttpResponse(
            exports.jsonl_lines(queryset, filtered=filtered, key_fingerprint=_fingerprint()),
            content_type="application/x-ndjson; charset=utf-8",
        )
    else:
        response = StreamingHttpResponse(
            exports.csv_lines(queryset), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
    return response


@require_http_methods(["GET", "HEAD"])
@auditor_required
def checkpoints(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.checkpoints_newest_first(), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    key, key_problem = None, False
    try:
        key = signing.public_key()
    except signing.SigningKeyError:
        key_problem = True
    return render(
        request,
        "audit/checkpoints.html",
        {
            "page": page,
            "key_fingerprint": signing.fingerprint(key) if key else "",
            "public_pem": signing.public_pem(key) if key else "",
            "key_problem": key_problem,
        },
    )


def _fingerprint() -> str:
    try:
        key = signing.public_key()
    except signing.SigningKeyError:
        return ""
    return signing.fingerprint(key) if key else ""
