from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# (capability, url name, label): the staff menu follows the role table in accounts.roles.
NAV = [
    ("view_cases", "evacuation_staff:queue", _("Cases")),
    ("view_cases", "evacuation_staff:notifications", _("Notifications")),
    ("grant_key", "accounts:team", _("Team access")),
    ("view_audit", "audit:events", _("Audit log")),
    ("view_reports", "reports:index", _("Reports")),
    ("admin_site", "admin:index", _("Administration")),
    ("admin_site", "accounts:account_changes", _("Account changes")),
]


def staff_nav(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_verified():
        return {"staff_nav": []}
    links = [{"url": reverse("staff_home"), "label": _("Home")}]
    links += [{"url": reverse(name), "label": label} for cap, name, label in NAV if user.may(cap)]
    links.append({"url": reverse("accounts:security"), "label": _("Security")})
    return {"staff_nav": links}
