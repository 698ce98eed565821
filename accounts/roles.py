"""Who may do what: the one place that answers "may this user do X"."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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
    "view_reports": frozenset({Role.COORDINATOR, Role.AUDITOR}),
    # The workspace (labels, reply templates, duplicates): evacuation.services.workspace
    "manage_labels": frozenset({Role.COORDINATOR}),
    "label_case": CASE_STAFF,
    "manage_templates": frozenset({Role.COORDINATOR}),
    "mark_duplicate": CASE_STAFF,
}

# What each capability lets a person do, in words (the staff home page lists a person's own).
# Their own context: a capability reads "Confirm … (as a habit)", a button "Confirm …" (once).
CAPABILITY_LABELS = {
    "view_cases": pgettext_lazy("capability", "See the queue of requests"),
    "open_case": pgettext_lazy("capability", "Open and read a request"),
    "assess_case": pgettext_lazy("capability", "Assess a request"),
    "decline_case": pgettext_lazy("capability", "Decline a request"),
    "propose_funding": pgettext_lazy("capability", "Propose funding"),
    "approve_funding": pgettext_lazy("capability", "Approve funding someone else proposed"),
    "cancel_funding": pgettext_lazy("capability", "Cancel approved funding"),
    "confirm_relocation": pgettext_lazy("capability", "Confirm a relocation"),
    "withdraw_case": pgettext_lazy("capability", "Withdraw a request on the applicant's word"),
    "take_case": pgettext_lazy("capability", "Take a case"),
    "reassign_case": pgettext_lazy("capability", "Give a case to someone else"),
    "message_applicant": pgettext_lazy("capability", "Write to applicants"),
    "write_note": pgettext_lazy("capability", "Write internal notes"),
    "hold_case": pgettext_lazy("capability", "Keep a case's data past its deletion date"),
    "replace_code": pgettext_lazy("capability", "Ask for a new receipt code"),
    "confirm_code_replacement": pgettext_lazy("capability", "Confirm a new receipt code"),
    "grant_key": pgettext_lazy("capability", "Give and take back team access"),
    "view_audit": pgettext_lazy("capability", "Read the audit log"),
    "admin_site": pgettext_lazy("capability", "Use the administration site"),
    "view_reports": pgettext_lazy("capability", "See the reports"),
    "manage_labels": pgettext_lazy("capability", "Create, rename and retire labels"),
    "label_case": pgettext_lazy("capability", "Put labels on cases and take them off"),
    "manage_templates": pgettext_lazy("capability", "Write and change reply templates"),
    "mark_duplicate": pgettext_lazy("capability", "Close a request as a duplicate of another"),
}


def may(user, capability: str) -> bool:
    """Whether `user` (an accounts.models.User) may use `capability`."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.role in CAPABILITIES[capability]
