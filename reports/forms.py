from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.periods import Period, PeriodError


class GenerateForm(forms.Form):
    period = forms.CharField(
        label=_("Period"),
        max_length=7,
        help_text=_("A month (2026-03), a quarter (2026-Q1) or a year (2026) that has ended."),
        error_messages={"required": _("Enter a month, a quarter or a year.")},
    )

    def clean_period(self) -> Period:
        code = self.cleaned_data["period"].strip().upper()
        try:
            period = Period.parse(code)
        except PeriodError:
            raise forms.ValidationError(
                _("Write a month as 2026-03, a quarter as 2026-Q1 or a year as 2026."),
                code="malformed",
            ) from None
        if not period.is_closed():
            raise forms.ValidationError(
                _(
                    "%(period)s has not ended yet. Only a month, quarter or year that is over "
                    "can be reported on: its figures must not change after it is generated."
                ),
                code="open",
                params={"period": period.code},
            )
        return period
