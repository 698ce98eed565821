"""The auditor's workspace. The 2FA middleware guards /audit/; these views check the role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from audit import exports, lookout, selectors, signing
from audit.actions import Action
from audit.chain import HASHED_FIELDS, event_canonical, timestamp
from audit.forms import EventFilterForm, HeadsForm
from audit.services import record
from audit.templatetags.audit_labels import audit_data, audit_role, audit_target
from audit.verify import verify_heads

PAGE_SIZE = 50
# The newest signed heads only: at one checkpoint per 5 minutes, 500 reach back about 42 hours
# (further on a quiet chain). The newest head an auditor kept is what catches a rollback, a cut
# tail or a fork; older checkpoints are listed on /audit/checkpoints/, not as statements.
HEADS_DOWNLOAD = 500


class Shown:
    """An event as its pages show it: the role at the time, the target and the data in words, in
    the reader's language (audit.templatetags.audit_labels); everything else as stored. Only for
    showing: the hashed text and the exports are made from the stored event."""

    def __init__(self, event) -> None:
        self._event = event

    def __getattr__(self, name: str):
        return getattr(self._event, name)

    @property
    def actor_role(self) -> str:
        return audit_role(self._event.actor_role)

    @property
    def target_type(self) -> str:
        return audit_target(self._event.target_type)

    @property
    def data(self) -> dict[str, str]:
        return dict(audit_data(self._event))


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
        page.object_list = [Shown(event) for event in page.object_list]
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
            "event": Shown(event),
            "hashed": hashed,
            "has_next": selectors.event_exists(event.sequence + 1),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@auditor_required
def verify(request: HttpRequest) -> HttpResponse:
    """The last full verification (run outside any request, by verify_audit), how fresh the
    signatures are, and a quick check of signed heads the auditor kept off the server."""
    form = HeadsForm(request.POST or None, request.FILES or None)
    heads = None
    if request.method == "POST" and form.is_valid():
        heads = verify_heads(form.cleaned_data["heads"], public_key=_public_key())
        record(
            action=Action.AUDIT_HEADS_CHECKED,
            actor=request.user,
            target_type="audit",
            data={
                "ok": heads.ok,
                "heads": len(form.cleaned_data["heads"]),
                "first_bad": heads.first_bad_sequence,
            },
        )
    checkpoint = selectors.last_checkpoint()
    stale_after = timezone.now() - timedelta(seconds=settings.AUDIT_MAX_UNSIGNED_AGE)
    context = {
        "form": form,
        "heads": heads,
        "verification": selectors.last_verification(),
        "checkpoint": checkpoint,
        "checkpoint_stale": checkpoint is None or checkpoint.created_at < stale_after,
        "max_unsigned_age": settings.AUDIT_MAX_UNSIGNED_AGE,
        "key_fingerprint": _fingerprint(),
    }
    return render(
        request, "audit/verify.html", context, status=200 if heads is None or heads.ok else 409
    )


@require_http_methods(["GET", "HEAD"])
@auditor_required
def heads(request: HttpRequest) -> HttpResponse:
    """The signed heads, newest first, as lines to keep away from this server (verify_audit
    --expect reads them back and fails if the chain no longer holds them)."""
    checkpoints = list(selectors.checkpoints_newest_first()[:HEADS_DOWNLOAD])
    record(
        action=Action.AUDIT_EXPORTED,
        actor=request.user,
        target_type="audit",
        data={"format": "heads", "count": len(checkpoints)},
    )
    lines = [
        signing.statement_line(
            signing.statement(
                sequence=c.sequence,
                hash=c.hash,
                signed_at=c.created_at,
                fingerprint=c.key_fingerprint,
                signature=c.signature,
            )
        )
        for c in checkpoints
    ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="application/x-ndjson")
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="audit-heads-{stamp}.jsonl"'
    return response


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
    key = _public_key()
    key_problem = key is None
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


@require_http_methods(["GET", "HEAD"])
@auditor_required
def needs_a_look(request: HttpRequest) -> HttpResponse:
    """A short list to look into (audit.lookout), and one person's openings if chosen."""
    people = lookout.staff_people()
    person = None
    openings = None
    chosen = request.GET.get("person", "")
    if chosen:
        person = next((p for p in people if str(p[0]) == chosen), None)
        if person is None:
            raise Http404
        openings = [Shown(event) for event in lookout.openings_by(user_id=person[0])]
    context = {
        "changes_then_funding": [
            {"change": Shown(row.change), "funding": Shown(row.funding)}
            for row in lookout.changes_then_funding()
        ],
        "busy_openers": lookout.busy_openers(),
        "threshold": settings.AUDIT_OPENINGS_PER_DAY,
        "look_back_days": lookout.LOOK_BACK_DAYS,
        "follow_days": lookout.FOLLOW_DAYS,
        "people": people,
        "person": person,
        "openings": openings,
    }
    return render(request, "audit/needs_a_look.html", context)


def _public_key():
    try:
        return signing.public_key()
    except signing.SigningKeyError:
        return None


def _fingerprint() -> str:
    key = _public_key()
    return signing.fingerprint(key) if key else ""
