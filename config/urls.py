from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from django.views.i18n import set_language

from accounts.admin_site import admin_site
from core import health
from evacuation.staff import home_views

urlpatterns = [
    # Health: the public probe ("ok" or 503) and the full check for a monitor on this machine.
    path("healthz", health.healthz, name="healthz"),
    path("health/", health.full, name="health"),
    # The staff pages' language switch (a POST with Django's CSRF check; staff have a session).
    path("i18n/setlang/", set_language, name="set_language"),
    # The staff home page is the working day (evacuation). Named here, not in accounts, which
    # redirects to it by name ("staff_home") and may not import evacuation.
    path("staff/", home_views.home_view, name="staff_home"),
    path("staff/", include("accounts.urls")),
    path("staff/cases/", include("evacuation.staff.urls")),
    path("audit/", include("audit.urls")),
    path("admin/", admin_site.urls),
    path("staff/reports/", include("reports.urls")),
    # The applicant's pages carry their language in the URL (/en/, /ru/request/ ...), never in
    # a cookie; "/" and "/request/" redirect to the visitor's language (Accept-Language).
    *i18n_patterns(path("", include("evacuation.applicant.urls")), prefix_default_language=True),
]

# bench: the bare one-row view exists only in the benchmarks' own server (SAFE_PASSAGE_BENCH).
if "bench.bareapp" in settings.INSTALLED_APPS:
    urlpatterns.insert(0, path("bench/", include("bench.bareapp.urls")))

handler400 = "core.errors.bad_request"
handler403 = "core.errors.forbidden"
handler404 = "core.errors.not_found"
handler500 = "core.errors.server_error"
