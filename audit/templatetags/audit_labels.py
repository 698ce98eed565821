"""The audit log's codes in words, in the reader's language: `{% load audit_labels %}`.

An event stores codes (`reason=assess`, `direction=from_applicant`, `ok=True`, the actor's role),
never words, so that the hash chain does not depend on a translation. These are the words for
them. audit is the ground floor and imports no other app, so the words for other apps' codes
(evacuation.choices, accounts.roles) are repeated here; tests/test_languages.py checks that every
code of those lists has its words here, the same as there.

    {{ event.actor_role|audit_role }}          the role at the time, e.g. "Координатор"
    {{ event.target_type|audit_target }}       "case", "user" ... in words
    {% for key, value in event|audit_data %}   each data item as (words for the key, for the value)
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

register = template.Library()

ROLES = {
    "caseworker": _("Caseworker"),
    "coordinator": _("Coordinator"),
    "auditor": _("Auditor"),
    "admin": _("Administrator"),
}
TARGETS = {
    "case": pgettext_lazy("audit target", "Case"),
    "user": pgettext_lazy("audit target", "Staff account"),
    "vault": pgettext_lazy("audit target", "Vault"),
    "audit": pgettext_lazy("audit target", "Audit log"),
}
KEYS = {
    "username_hash": _("Username (hashed)"),
    "method": _("Method"),
    "count": _("Count"),
    "remaining": _("Remaining"),
    "role": _("Role"),
    "via": _("Through"),
    "old_role": _("Previous role"),
    "new_role": _("New role"),
    "format": _("Format"),
    "sequence": _("Event number"),
    "fingerprint": _("Key fingerprint"),
    "ok": _("Chain intact"),
    "checked": _("Events checked"),
    "first_bad": _("First bad event"),
    "heads": _("Signed heads"),
    "version": _("Key version"),
    "reason": _("Reason"),
    "old_version": _("Previous key version"),
    "new_version": _("New key version"),
    "cases": _("Cases"),
    "rekeyed": _("Cases given new keys"),
    "root": _("Batch record (Merkle root)"),
    "urgency": _("Urgency"),
    "key_commitment": _("Key commitment"),
    "intake_hash": _("Request hash"),
    "what": _("What did not match"),
    "risk_level": _("Risk level"),
    "verified_by": _("Verified by"),
    "support": _("Support"),
    "has_note": _("With a note"),
    "amount": _("Amount"),
    "currency": _("Currency"),
    "purpose": _("Purpose"),
    "region": _("Region"),
    "by": _("By"),
    "assignee": _("Assigned to"),
    "final_state": _("Final state"),
    "rule": _("Rule"),
    "direction": _("Direction"),
    "kind": _("Kind"),
    "size_kib": _("Size (KiB)"),
    "period": _("Period"),
    "change": _("Account change number"),
    "references": _("References shown"),
    # Security keys (accounts.keys)
    "keys": _("Security keys on the account"),
    "prf": _("Can bind the personal key"),
    "bound": _("The personal key was bound to it"),
    # The workspace (evacuation.services.workspace)
    "label": _("Label"),
    "old_name": _("Previous name"),
    "languages": _("Languages"),
    "original": _("Duplicate of"),
    "duplicate": _("Duplicate"),
    # Follow-ups and check-ins (evacuation.services.followups)
    "due_on": _("Follow-up day"),
    "followups_due": _("Follow-ups on"),
    "every_days": _("Check-in every (days)"),
    "checkins": _("Check-ins so far"),
    # Staff notifications (evacuation.notifications)
    "mode": _("Told"),
    "language": _("Language of the e-mail"),
    "on_call": _("On call"),
    "kinds": _("What it was about"),
    "digest": _("Daily digest"),
}
STATES = {
    "received": _("Received"),
    "assessed": _("Assessed"),
    "funded": _("Funded"),
    "relocated": _("Relocated"),
    "declined": _("Declined"),
    "withdrawn": _("Withdrawn"),
}
# evacuation.choices, repeated (see the module's docstring).
OPEN_REASONS = {
    "verify_identity": _("Verify the applicant's identity"),
    "assess": _("Assess the request"),
    "arrange_funding": _("Arrange funding"),
    "arrange_travel": _("Arrange travel"),
    "reply": _("Reply to the applicant"),
    "other": _("Other casework"),
}
DECLINE_REASONS = {
    "out_of_mandate": _("Outside our mandate"),
    "not_verified": _("Could not be verified"),
    "no_capacity": _("No capacity or funds"),
    "duplicate": _("Duplicate request"),
    "resolved_elsewhere": _("Helped by another organisation"),
    "no_contact": _("Applicant could not be reached"),
    "other": _("Other"),
}
CANCEL_REASONS = {
    "plans_changed": _("Travel plans changed"),
    "funded_elsewhere": _("Funded by another source"),
    "amount_wrong": _("Amount or purpose was wrong"),
    "safety": _("Safety concerns about the route"),
    "other": _("Other"),
}
HOLD_REASONS = {
    "legal_proceedings": _("Legal proceedings under way"),
    "ongoing_support": _("Support still going on"),
    "applicant_request": _("Applicant asked us to keep it"),
    "audit_review": _("Audit or review"),
    "other": _("Other"),
}
KEY_REVOKE_REASONS = {
    "password_reset": _("Password reset"),
    "disabled": _("Account disabled"),
    "role_changed": _("Role changed"),
    "offboarded": _("Offboarded"),
}
URGENCIES = {
    "now": _("I am in danger now"),
    "weeks": _("I need to leave within weeks"),
    "planning": _("I am planning ahead"),
}
RISK_LEVELS = {
    "1": _("1 — low"),
    "2": _("2 — elevated"),
    "3": _("3 — high"),
    "4": _("4 — critical, life at risk"),
}
VERIFIED_BY = {
    "trusted_partner": _("Trusted partner organisation"),
    "referee": _("Referee known to us"),
    "interview": _("Interview with the applicant"),
    "other": _("Other"),
}
SUPPORT = {
    "relocation": _("Relocation abroad"),
    "temporary_shelter": _("Temporary shelter"),
    "legal": _("Legal aid"),
    "medical": _("Medical care"),
    "psychosocial": _("Psychosocial support"),
    "financial": _("Emergency money"),
}
PURPOSES = {
    "transport": _("Transport"),
    "shelter": _("Shelter"),
    "visa": _("Visa"),
    "medical": _("Medical"),
    "living_costs": _("Living costs"),
    "other": _("Other"),
}
REGIONS = {
    "in_country": _("Safer place in the same country"),
    "eu": _("European Union"),
    "europe_other": _("Elsewhere in Europe"),
    "caucasus": _("South Caucasus"),
    "central_asia": _("Central Asia"),
    "north_america": _("North America"),
    "latin_america": _("Latin America"),
    "other": _("Elsewhere"),
}
DIRECTIONS = {
    "to_applicant": _("To the applicant"),
    "from_applicant": _("From the applicant"),
}
VALUES: dict[str, dict] = {
    "role": ROLES,
    "old_role": ROLES,
    "new_role": ROLES,
    "via": {
        "command": _("A command on the server"),
        "admin": _("The administration site"),
        "session": _("The team access page"),
        "init": _("Setting up the vault"),
        "recovery": _("The recovery secret"),
        "enrolment_link": _("An enrolment link"),
        "key_session": _("A session signed in with a security key"),
    },
    "method": {
        "totp": _("Authenticator app"),
        "backup": _("Backup code"),
        "webauthn": _("Security key"),
        "code": _("Code"),
        "throttled": _("Too many tries"),
    },
    "what": {"key": _("The case key"), "request": _("The request")},
    "urgency": URGENCIES,
    "risk_level": RISK_LEVELS,
    "verified_by": VERIFIED_BY,
    "support": SUPPORT,
    "purpose": PURPOSES,
    "region": REGIONS,
    "by": {"applicant": _("The applicant"), "staff": _("Staff, on the applicant's word")},
    "final_state": STATES,
    "rule": {
        "ended": _("Closed, and the retention period passed"),
        "untouched": _("Untouched for too long"),
        "asked": _("The applicant asked for deletion"),
    },
    "direction": DIRECTIONS,
    # evacuation.models.NoticeMode, repeated
    "mode": {
        "immediately": _("Immediately"),
        "digest": _("Once a day, in a digest"),
        "off": _("Never"),
    },
}
# "reason" means something else for each action.
REASONS: dict[str, dict] = {
    "case.opened": OPEN_REASONS,
    "case.declined": DECLINE_REASONS,
    "funding.cancelled": CANCEL_REASONS,
    "case.hold_set": HOLD_REASONS,
    "key.revoked": KEY_REVOKE_REASONS,
}


def _words(labels: dict, code) -> str:
    """The words for `code`; a code without words is shown as itself."""
    return str(labels.get(str(code), code))


def value_words(action: str, key: str, value) -> str:
    """One data value of an event of `action`, in words."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    labels = REASONS.get(action, {}) if key == "reason" else VALUES.get(key)
    if not labels:
        return str(value)
    if key == "support":  # several codes, comma-separated
        return "; ".join(_words(labels, code) for code in str(value).split(",") if code)
    return _words(labels, value)


@register.filter
def audit_role(code: str) -> str:
    return _words(ROLES, code) if code else ""


@register.filter
def audit_target(code: str) -> str:
    return _words(TARGETS, code) if code else ""


@register.filter
def audit_data(event) -> list[tuple[str, str]]:
    """(key, value) in words for each item of the event's data, in the order stored."""
    return [
        (_words(KEYS, key), value_words(event.action, key, value))
        for key, value in (event.data or {}).items()
    ]
