"""What the case page's follow-up section needs (evacuation/staff/_followups.html), read by the
section itself so the case page's view needs no change: two queries (evacuation.selectors)."""

from __future__ import annotations

from django import template

from evacuation.choices import State
from evacuation.selectors.followups import case_followups
from evacuation.staff.followup_forms import CheckinsForm, FollowUpForm

register = template.Library()


@register.simple_tag(takes_context=True)
def case_followups_section(context, case) -> dict:
    user = context["request"].user
    shown = case_followups(case=case)
    schedule = shown.schedule
    return {
        "shown": shown,
        "may": user.may("view_cases") and not case.is_purged,
        "funded": case.state == State.FUNDED,
        "running": schedule is not None and schedule.running and case.state == State.FUNDED,
        "followup_form": FollowUpForm(auto_id="followup-%s"),
        "checkins_form": CheckinsForm(
            auto_id="checkins-%s",
            initial={"every_days": schedule.every_days} if schedule else None,
        ),
    }
