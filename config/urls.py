from django.conf import settings
from django.urls import include, path
from django.views.i18n import set_language

from accounts.admin_site import admin_site

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("staff/", include("accounts.urls")),
    path("staff/cases/", include("evacuation.staff.urls")),
    path("audit/", include("audit.urls")),
    path("admin/", admin_site.urls),
    path("", include("evacuation.applicant.urls")),
]

# bench: the bare one-row view exists only in the benchmarks' own server (SAFE_PASSAGE_BENCH).
if "bench.bareapp" in settings.INSTALLED_APPS:
    urlpatterns.insert(0, path("bench/", include("bench.bareapp.urls")))

handler400 = "core.errors.bad_request"
handler403 = "core.errors.forbidden"
handler404 = "core.errors.not_found"
handler500 = "core.errors.server_error"
