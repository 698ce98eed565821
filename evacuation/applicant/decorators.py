"""What every applicant view is wrapped in."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters

from core.http import no_referrer
from core.tokens import same_origin
from evacuation.applicant.pages import page

NOT_FROM_HERE = _(
    "This form did not come from our own pages, so nothing was done. If you typed it here, "
    "open the page again and send it from there."
)


def applicant_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An applicant page: no referrer, nothing of the POST in error reports, and no cookie.

    Django's CSRF check needs a cookie, so it is switched off here (csrf_exempt) and replaced by
    what needs none: every form carries a token signed by the server (core.tokens) and a POST
    from another site (Sec-Fetch-Site / Origin) is refused before the view runs.
    """

    @csrf_exempt
    @no_referrer
    @sensitive_post_parameters()
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST" and not same_origin(request):
            return page(request, "refused.html", {"reason": NOT_FROM_HERE}, status=403)
        return view(request, *args, **kwargs)

    return wrapped
