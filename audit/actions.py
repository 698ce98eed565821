"""The fixed vocabulary of the audit log.

Every event names one `Action`; `ALLOWED_DATA` lists the only data keys that
action may carry. Values must be short non-personal scalars (numbers, codes
from fixed lists, hashes, references): no names, free text, receipt codes,
keys or IP addresses. `audit.services.record` refuses anything else.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    # Staff accounts and sign-in
    SIGNIN_SUCCEEDED = "signin.succeeded", _("Sign-in succeeded")
    SIGNIN_FAILED = "signin.failed", _("Sign-in failed")
    SIGNIN_LOCKED_OUT = "signin.locked_out", _("Account locked out")
    OTP_FAILED = "otp.failed", _("Second-factor code rejected")
    OTP_SUCCEEDED = "otp.succeeded", _("Second factor passed")
    TOTP_ENROLLED = "totp.enrolled", _("Authenticator enrolled")
    TOTP_REPLACED = "totp.replaced", _("Authenticator replaced")
    BACKUP_CODES_GENERATED = "backup_codes.generated", _("Backup codes generated")
    BACKUP_CODE_USED = "backup_code.used", _("Backup code used")
    SECURITY_KEY_ENROLLED = "security_key.enrolled", _("Security key enrolled")
    SECURITY_KEY_REMOVED = "security_key.removed", _("Security key removed")
    SECURITY_KEY_BOUND = "security_key.bound", _("Personal key bound to a security key")
    TRIAGE_SHOWN = "triage.shown", _("Triage summaries shown in the queue")
    SIGNOUT = "signout", _("Signed out")
    STAFF_CREATED = "staff.created", _("Staff account created")
    STAFF_ROLE_CHANGED = "staff.role_changed", _("Role changed")
    STAFF_DISABLED = "staff.disabled", _("Account disabled")
    STAFF_ENABLED = "staff.enabled", _("Account enabled")
    STAFF_SESSIONS_ENDED = "staff.sessions_ended", _("Account's sessions ended")
    STAFF_2FA_RESET = "staff.2fa_reset", _("Second factor reset")
    PASSWORD_CHANGED = "password.changed", _("Password changed")
    PASSWORD_RESET = "password.reset", _("Password reset by admin")
    # Account changes, four eyes (accounts.changes): asked by one admin, confirmed by another
    ACCOUNT_CHANGE_REQUESTED = "account_change.requested", _("Account change asked for")
    ACCOUNT_CHANGE_CONFIRMED = "account_change.confirmed", _("Account change confirmed")
    ACCOUNT_CHANGE_CANCELLED = "account_change.cancelled", _("Account change cancelled")
    ENROLMENT_LINK_ISSUED = "enrolment_link.issued", _("Enrolment link issued")
    ENROLMENT_LINK_USED = "enrolment_link.used", _("Enrolment link used")
    # Audit log itself
    AUDIT_EXPORTED = "audit.exported", _("Audit log exported")
    AUDIT_CHECKPOINT = "audit.checkpoint", _("Checkpoint signed")
    AUDIT_VERIFIED = "audit.verified", _("Chain verified")
    AUDIT_HEADS_CHECKED = "audit.heads_checked", _("Signed heads checked against the chain")
    # Backups (evacuation.services.backup)
    BACKUP_MADE = "backup.made", _("Backup written")
    BACKUP_RESTORED = "backup.restored", _("Backup restored")
    # Keys
    VAULT_INITIALISED = "vault.initialised", _("Vault initialised")
    KEY_GRANTED = "key.granted", _("Organisation key granted")
    KEY_REVOKED = "key.revoked", _("Organisation key grant removed")
    KEY_ROTATED = "key.rotated", _("Organisation key rotated")
    KEY_ROTATION_STARTED = "key.rotation_started", _("Organisation key rotation started")
    CASES_REKEYED = "cases.rekeyed", _("Case keys replaced (one batch of cases)")
    VAULT_RECOVERED = "vault.recovered", _("Vault recovered with recovery secret")
    # Cases
    CASE_RECEIVED = "case.received", _("Request received")
    CASE_OPENED = "case.opened", _("Case opened (decrypted)")
    CASE_OPENING_ENDED = "case.opening_ended", _("Case content hidden again")
    CASE_TAMPERING_FOUND = "case.tampering_found", _("Case key or request did not match the record")
    CASE_STATUS_VIEWED = "case.status_viewed", _("Applicant checked status")
    CASE_ASSESSED = "case.assessed", _("Case assessed")
    CASE_DECLINED = "case.declined", _("Case declined")
    FUNDING_PROPOSED = "funding.proposed", _("Funding proposed")
    FUNDING_APPROVED = "funding.approved", _("Funding approved")
    FUNDING_CANCELLED = "funding.cancelled", _("Funding cancelled")
    CASE_RELOCATED = "case.relocated", _("Relocation confirmed")
    CASE_WITHDRAWN = "case.withdrawn", _("Request withdrawn")
    CASE_ASSIGNED = "case.assigned", _("Case assigned")
    CASE_NOTE_ADDED = "case.note_added", _("Internal note added")
    CASE_ADDED_TO = "case.added_to", _("Applicant added to the request")
    CASE_HOLD_SET = "case.hold_set", _("Retention hold set")
    CASE_HOLD_RELEASED = "case.hold_released", _("Retention hold released")
    CASE_PURGED = "case.purged", _("Case crypto-shredded")
    CODE_REPLACEMENT_REQUESTED = "code.replacement_requested", _("New receipt code requested")
    CODE_REPLACEMENT_CONFIRMED = "code.replacement_confirmed", _("New receipt code confirmed")
    CODE_REPLACEMENT_CANCELLED = "code.replacement_cancelled", _("New receipt code cancelled")
    CODE_REPLACED = "code.replaced", _("New receipt code issued")
    MESSAGE_SENT = "message.sent", _("Message sent")
    FILE_UPLOADED = "file.uploaded", _("File uploaded")
    FILE_DOWNLOADED = "file.downloaded", _("File downloaded")
    # Follow-ups and check-ins (evacuation.services.followups): dates and counts, no content
    FOLLOWUP_SET = "followup.set", _("Follow-up date set")
    FOLLOWUP_DONE = "followup.done", _("Follow-up done")
    FOLLOWUP_DISMISSED = "followup.dismissed", _("Follow-up dismissed")
    CHECKINS_SET = "checkins.set", _("Check-in schedule set")
    CHECKINS_STOPPED = "checkins.stopped", _("Check-in schedule stopped")
    CHECKIN_RECORDED = "checkin.recorded", _("Applicant checked in as safe")
    # The workspace (evacuation.services.workspace): labels, reply templates, duplicates
    LABEL_CREATED = "label.created", _("Label created")
    LABEL_RENAMED = "label.renamed", _("Label renamed")
    LABEL_RETIRED = "label.retired", _("Label retired")
    LABEL_RESTORED = "label.restored", _("Label put back in use")
    CASE_LABEL_ADDED = "case.label_added", _("Label put on the case")
    CASE_LABEL_REMOVED = "case.label_removed", _("Label taken off the case")
    TEMPLATE_CREATED = "reply_template.created", _("Reply template created")
    TEMPLATE_CHANGED = "reply_template.changed", _("Reply template changed")
    TEMPLATE_RETIRED = "reply_template.retired", _("Reply template retired")
    TEMPLATE_RESTORED = "reply_template.restored", _("Reply template put back in use")
    CASE_MARKED_DUPLICATE = "case.marked_duplicate", _("Closed as a duplicate")
    CASE_DUPLICATE_LINKED = "case.duplicate_linked", _("A duplicate was linked to this case")
    # Staff notifications (evacuation.notifications): preferences, and each mail sent
    NOTICE_PREFERENCE_CHANGED = "notice.preference_changed", _("Notification preference changed")
    NOTICE_ON_CALL_CHANGED = "notice.on_call_changed", _("On-call duty changed")
    NOTICE_SENT = "notice.sent", _("Notification e-mail sent")
    # Reports (reports/): frozen aggregate figures for a closed period, e.g. "2026-Q3"
    REPORT_GENERATED = "report.generated", _("Report generated")
    REPORT_EXPORTED = "report.exported", _("Report exported")


ALLOWED_DATA: dict[str, frozenset[str]] = {
    Action.SIGNIN_SUCCEEDED: frozenset(),
    Action.SIGNIN_FAILED: frozenset({"username_hash"}),
    Action.SIGNIN_LOCKED_OUT: frozenset({"username_hash"}),
    Action.OTP_FAILED: frozenset({"method"}),
    Action.OTP_SUCCEEDED: frozenset({"method"}),
    Action.TOTP_ENROLLED: frozenset(),
    Action.TOTP_REPLACED: frozenset(),
    Action.BACKUP_CODES_GENERATED: frozenset({"count"}),
    Action.BACKUP_CODE_USED: frozenset({"remaining"}),
    Action.SECURITY_KEY_ENROLLED: frozenset({"keys", "prf", "via"}),
    Action.SECURITY_KEY_REMOVED: frozenset({"keys", "bound"}),
    Action.SECURITY_KEY_BOUND: frozenset({"keys"}),
    Action.TRIAGE_SHOWN: frozenset({"count", "references"}),
    Action.SIGNOUT: frozenset(),
    Action.STAFF_CREATED: frozenset({"role", "via"}),
    Action.STAFF_ROLE_CHANGED: frozenset({"old_role", "new_role"}),
    Action.STAFF_DISABLED: frozenset(),
    Action.STAFF_ENABLED: frozenset(),
    Action.STAFF_SESSIONS_ENDED: frozenset({"count"}),
    Action.STAFF_2FA_RESET: frozenset(),
    Action.PASSWORD_CHANGED: frozenset(),
    Action.PASSWORD_RESET: frozenset(),
    Action.ACCOUNT_CHANGE_REQUESTED: frozenset({"change", "kind", "role"}),
    Action.ACCOUNT_CHANGE_CONFIRMED: frozenset({"change", "kind", "role"}),
    Action.ACCOUNT_CHANGE_CANCELLED: frozenset({"change", "kind"}),
    Action.ENROLMENT_LINK_ISSUED: frozenset({"change", "kind"}),
    Action.ENROLMENT_LINK_USED: frozenset({"change"}),
    Action.AUDIT_EXPORTED: frozenset({"format", "count"}),
    Action.AUDIT_CHECKPOINT: frozenset({"sequence", "fingerprint"}),
    Action.AUDIT_VERIFIED: frozenset({"ok", "checked", "first_bad"}),
    Action.AUDIT_HEADS_CHECKED: frozenset({"ok", "heads", "first_bad"}),
    # sequence: the chain head the backup holds; heads: the newest signed head given to the
    # restore; first_bad: the first event that head knows and the backup lost; cases: purges
    # re-applied.
    Action.BACKUP_MADE: frozenset({"sequence", "cases"}),
    Action.BACKUP_RESTORED: frozenset({"sequence", "heads", "first_bad", "cases"}),
    Action.VAULT_INITIALISED: frozenset({"version", "fingerprint"}),
    Action.KEY_GRANTED: frozenset({"version", "via"}),
    Action.KEY_REVOKED: frozenset({"version", "reason"}),
    Action.KEY_ROTATED: frozenset({"old_version", "new_version", "cases", "rekeyed"}),
    Action.KEY_ROTATION_STARTED: frozenset({"old_version", "new_version"}),
    # `root`: the Merkle root of the batch's (case, key commitment) pairs; each case keeps its
    # path to it on its key row (vault.cases.case_key_record), checked by integrity.checked.
    Action.CASES_REKEYED: frozenset({"version", "cases", "root"}),
    Action.VAULT_RECOVERED: frozenset({"version"}),
    Action.CASE_RECEIVED: frozenset({"urgency", "key_commitment", "intake_hash"}),
    Action.CASE_TAMPERING_FOUND: frozenset({"what"}),
    Action.CASE_OPENED: frozenset({"reason"}),
    Action.CASE_OPENING_ENDED: frozenset(),
    Action.CASE_STATUS_VIEWED: frozenset(),
    Action.CASE_ASSESSED: frozenset({"risk_level", "verified_by", "support"}),
    Action.CASE_DECLINED: frozenset({"reason", "has_note"}),
    Action.FUNDING_PROPOSED: frozenset({"amount", "currency", "purpose"}),
    Action.FUNDING_APPROVED: frozenset({"amount", "currency", "purpose"}),
    Action.FUNDING_CANCELLED: frozenset({"reason"}),
    Action.CASE_RELOCATED: frozenset({"region", "followups_due"}),
    Action.CASE_WITHDRAWN: frozenset({"by"}),
    Action.CASE_ASSIGNED: frozenset({"assignee"}),
    Action.CASE_NOTE_ADDED: frozenset(),
    Action.CASE_ADDED_TO: frozenset(),
    Action.CASE_HOLD_SET: frozenset({"reason"}),
    Action.CASE_HOLD_RELEASED: frozenset(),
    Action.CASE_PURGED: frozenset({"final_state", "rule"}),
    Action.CODE_REPLACEMENT_REQUESTED: frozenset(),
    Action.CODE_REPLACEMENT_CONFIRMED: frozenset(),
    Action.CODE_REPLACEMENT_CANCELLED: frozenset(),
    Action.CODE_REPLACED: frozenset(),
    Action.MESSAGE_SENT: frozenset({"direction"}),
    Action.FILE_UPLOADED: frozenset({"direction", "kind", "size_kib"}),
    Action.FILE_DOWNLOADED: frozenset({"kind"}),
    Action.FOLLOWUP_SET: frozenset({"kind", "due_on"}),
    Action.FOLLOWUP_DONE: frozenset({"kind", "due_on"}),
    Action.FOLLOWUP_DISMISSED: frozenset({"kind", "due_on"}),
    Action.CHECKINS_SET: frozenset({"every_days"}),
    Action.CHECKINS_STOPPED: frozenset(),
    Action.CHECKIN_RECORDED: frozenset({"checkins"}),
    # label: the label's name (staff-written words for the state of the work, never about the
    # person); old_name: before a rename. languages: the codes a template has a text in.
    Action.LABEL_CREATED: frozenset({"label"}),
    Action.LABEL_RENAMED: frozenset({"label", "old_name"}),
    Action.LABEL_RETIRED: frozenset({"label"}),
    Action.LABEL_RESTORED: frozenset({"label"}),
    Action.CASE_LABEL_ADDED: frozenset({"label"}),
    Action.CASE_LABEL_REMOVED: frozenset({"label"}),
    Action.TEMPLATE_CREATED: frozenset({"languages"}),
    Action.TEMPLATE_CHANGED: frozenset({"languages"}),
    Action.TEMPLATE_RETIRED: frozenset(),
    Action.TEMPLATE_RESTORED: frozenset(),
    # original / duplicate: the other case's reference (staff pages only)
    Action.CASE_MARKED_DUPLICATE: frozenset({"original"}),
    Action.CASE_DUPLICATE_LINKED: frozenset({"duplicate"}),
    # The target is the staff member (user id); kinds: the notice kinds the mail covered (codes).
    Action.NOTICE_PREFERENCE_CHANGED: frozenset({"mode", "language"}),
    Action.NOTICE_ON_CALL_CHANGED: frozenset({"on_call"}),
    Action.NOTICE_SENT: frozenset({"kinds", "digest"}),
    Action.REPORT_GENERATED: frozenset({"period"}),
    Action.REPORT_EXPORTED: frozenset({"period", "format"}),
}
