"""Reports for donors and the UN. The 2FA middleware guards /staff/; these views check the role
(view_reports: coordinators and auditors)."""

from __future__ import annotations

from csp.constants import NONCE
from csp.decorators import csp_update
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import capability_required
from reports import charts, exports, services
from reports.forms import GenerateForm
from reports.models import Report
from reports.periods import Period, PeriodError
from reports.tables import empty_text, period_label, report_tables

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _index(request: HttpRequest, form: GenerateForm, *, status: int = 200) -> HttpResponse:
    reports = [
        {"code": r.code, "label": period_label(r.figures), "report": r}
        for r in Report.objects.select_related("generated_by")
    ]
    return render(request, "reports/index.html", {"form": form, "reports": reports}, status=status)


@require_http_methods(["GET", "HEAD"])
@capability_required("view_reports")
def index(request: HttpRequest) -> HttpResponse:
    return _index(request, GenerateForm())


@require_POST
@capability_required("view_reports")
def generate(request: HttpRequest) -> HttpResponse:
    form = GenerateForm(request.POST)
    if not form.is_valid():
        return _index(request, form, status=400)
    period: Period = form.cleaned_data["period"]
    try:
        services.report_generate(period=period, actor=request.user)
    except services.AlreadyGenerated:
        messages.info(
            request,
            _("The report for %(period)s was generated before; it is never generated again.")
            % {"period": period.code},
        )
    else:
        messages.success(
            request, _("The report for %(period)s is ready.") % {"period": period.code}
        )
    return redirect("reports:report", period=period.code)


def _report(period_code: str) -> Report:
    try:
        period = Period.parse(period_code)
    except PeriodError:
        raise Http404 from None
    found = Report.objects.select_related("generated_by").filter(
        period_kind=period.kind, period_start=period.start
    )
    report = found.first()
    if report is None:
        raise Http404
    return report


@require_http_methods(["GET", "HEAD"])
@capability_required("view_reports")
@csp_update({"style-src": [NONCE]})  # the charts' own <style> elements carry this nonce
def report(request: HttpRequest, period: str) -> HttpResponse:
    found = _report(period)
    nonce = str(request.csp_nonce)
    context = {
        "report": found,
        "label": period_label(found.figures),
        "tables": report_tables(found.figures),
        "charts": charts.report_charts(found.figures, nonce=nonce),
        "empty": empty_text(),
    }
    return render(request, "reports/report.html", context)


@require_http_methods(["GET", "HEAD"])
@capability_required("view_reports")
def export(request: HttpRequest, period: str, fmt: str) -> HttpResponse:
    found = _report(period)
    title = _("Safe Passage report: %(period)s") % {"period": period_label(found.figures)}
    tables = report_tables(found.figures)
    body = (exports.report_csv if fmt == "csv" else exports.report_xlsx)(title, tables)
    services.report_exported(report=found, actor=request.user, fmt=fmt)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    filename = f"safe-passage-report-{found.code}-{get_language()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
