from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.html import escape
from django.views.decorators.http import require_http_methods

from bench.bareapp.models import BareRow


@require_http_methods(["GET", "POST"])
def bare_insert(request: HttpRequest) -> HttpResponse:
    """GET: a form with the CSRF token. POST: insert one row and say so."""
    if request.method == "POST":
        row = BareRow.objects.create(value=request.POST.get("value", "")[:64])
        return HttpResponse(f"<p>saved {row.pk}</p>")
    token = escape(get_token(request))
    return HttpResponse(
        f'<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
        '<input name="value"><button>Save</button></form>'
    )
