"""What an applicant view needs resolved before it runs."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.views.decorators.debug import sensitive_variables

from evacuation.applicant.forms import ReceiptCodeForm
from evacuation.applicant.pages import CODE_NOT_FOUND, page
from evacuation.selectors.applicant import case_find_by_code


def receipt_code_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view runs with the case the posted receipt code finds (`case`, `code`). Anything
    else (a GET, a wrong, unknown, malformed or empty code) gets the code-entry page, the
    same page for every wrong code."""

    @wraps(view)
    @sensitive_variables()
    def wrapped(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return page(request, "status_lookup.html", {"form": ReceiptCodeForm()})
        form = ReceiptCodeForm(request.POST)
        case = case_find_by_code(receipt_code=form.data.get("code", "").strip()[:64])
        if not form.is_valid() or case is None:
            context = {"form": ReceiptCodeForm(), "error": CODE_NOT_FOUND}
            return page(request, "status_lookup.html", context)
        return view(request, case=case, code=form.cleaned_data["code"])

    return wrapped
