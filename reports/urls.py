from __future__ import annotations

from django.urls import path, register_converter

from reports import views


class PeriodConverter:
    """A period code: 2026-03, 2026-Q1 or 2026 (reports.periods.Period.parse checks it)."""

    regex = r"\d{4}(?:-\d{2}|-Q[1-4])?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


register_converter(PeriodConverter, "period")

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("generate/", views.generate, name="generate"),
    path("<period:period>/", views.report, name="report"),
    path("<period:period>/report.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path("<period:period>/report.xlsx", views.export, {"fmt": "xlsx"}, name="export_xlsx"),
]
