"""Who may do what: the one place that answers "may this user do X"."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    COORDINATOR = "coordinator", _("Coordinator")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


CASE_STAFF = frozenset({Role.CASEWORKER, Role.COORDINATOR})

CAPABILITIES: dict[str, frozenset[str]] = {
    "view_cases": CASE_STAFF,
    "open_case": CASE_STAFF,
    "assess_case": CASE_STAFF,
    "decline_case": CASE_STAFF,
    "propose_funding": CASE_STAFF,
    "approve_funding": frozenset({Role.COORDINATOR}),
    "cancel_funding": frozenset({Role.COORDINATOR}),
    "confirm_relocation": CASE_STAFF,
    "withdraw_case": CASE_STAFF,
    "take_case": CASE_STAFF,
    "reassign_case": frozenset({Role.COORDINATOR}),
    "message_applicant": CASE_STAFF,
    "write_note": CASE_STAFF,
    "hold_case": frozenset({Role.COORDINATOR}),
    "replace_code": CASE_STAFF,
    "confirm_code_replacement": frozenset({Role.COORDINATOR}),
    "grant_key": frozenset({Role.COORDINATOR}),
    "view_audit": frozenset({Role.AUDITOR}),
    "admin_site": frozenset({Role.ADMIN}),
}


def may(user, capability: str) -> bool:
    """Whether `user` (an accounts.models.User) may use `capability`."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.role in CAPABILITIES[capability]
