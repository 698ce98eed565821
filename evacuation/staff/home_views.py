"""The staff home page (/staff/): for case staff, the working day (evacuation.selectors.home);
for everyone, who they are signed in as and what their role may do, as accounts' page did.

config/urls.py routes /staff/ here under the name "staff_home", by which accounts' views
redirect to it (accounts may not import evacuation). The 2FA middleware guards /staff/.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts import selectors as account_selectors
from accounts.cooling_off import cooling_off_until
from accounts.roles import CAPABILITIES, CAPABILITY_LABELS
from evacuation.selectors import home


@require_http_methods(["GET", "HEAD"])
def home_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    capabilities = [CAPABILITY_LABELS[cap] for cap in CAPABILITIES if user.may(cap)]
    context = {
        "capabilities": capabilities,
        "cooling_off_until": cooling_off_until(user) if user.may("approve_funding") else None,
        "waiting": (
            account_selectors.account_changes_waiting_for(user=user)
            if user.may("admin_site")
            else 0
        ),
        "day": home.working_day(user=user) if user.may("view_cases") else None,
        "today": timezone.localdate(),
        "limit": home.HOME_LIST_LIMIT,
    }
    return render(request, "evacuation/staff/home.html", context)
