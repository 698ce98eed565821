"""Forms of the case page's follow-up section (evacuation.staff.followup_views)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from evacuation.models import FollowUpOutcome
from evacuation.models.followups import CHECKIN_EVERY_DAYS_MAX
from evacuation.services.followups import DAYS_RANGE


class FollowUpForm(forms.Form):
    due_on = forms.DateField(
        label=_("Follow up on"),
        help_text=_("Year-month-day, for example 2025-03-31."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={
            "required": _("Enter the day to follow up on."),
            "invalid": _("Enter the date as year-month-day, for example 2025-03-31."),
        },
    )


class FollowUpCloseForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[(FollowUpOutcome.DONE, _("Done")), (FollowUpOutcome.DISMISSED, _("Dismiss"))],
        error_messages={
            "required": _("Choose whether the follow-up is done or dismissed."),
            "invalid_choice": _("Choose whether the follow-up is done or dismissed."),
        },
    )


class CheckinsForm(forms.Form):
    """How often the applicant of a funded case presses "I am safe" (1 to 30 days)."""

    every_days = forms.IntegerField(
        label=_("Days between check-ins"),
        min_value=1,
        max_value=CHECKIN_EVERY_DAYS_MAX,
        initial=3,
        error_messages={
            "required": _("Enter after how many days each check-in is due."),
            "invalid": _("Enter a whole number of days."),
            "min_value": DAYS_RANGE,
            "max_value": DAYS_RANGE,
        },
    )
