"""The one way an applicant reaches a case."""

from __future__ import annotations

from django.views.decorators.debug import sensitive_variables

from evacuation.models import Case
from vault import cases as vault_cases


@sensitive_variables()
def case_find_by_code(*, receipt_code: str) -> Case | None:
    """The case a receipt code finds. A wrong code and no case look the same."""
    if not receipt_code:
        return None
    return Case.objects.filter(receipt_lookup=vault_cases.receipt_lookup(receipt_code)).first()
