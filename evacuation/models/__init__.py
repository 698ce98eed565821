"""Cases, what staff add to them, and what staff and applicants exchange."""

from evacuation.choices import CLOSED_STATES, OPEN_STATES, ProposalStatus, State
from evacuation.models.case import PAYLOAD_PURPOSE, REFERENCE_ALPHABET, Case, reference_new
from evacuation.models.casework import NOTE_MAX_LENGTH, CodeReplacement, FundingProposal, Note
from evacuation.models.correspondence import (
    MESSAGE_MAX_LENGTH,
    Addition,
    Attachment,
    Direction,
    Message,
)
from evacuation.models.followups import (
    CheckinSchedule,
    FollowUp,
    FollowUpKind,
    FollowUpOutcome,
)
from evacuation.models.notifications import (
    Notice,
    NoticeMode,
    NoticePreference,
    NoticeStatus,
)
from evacuation.models.workspace import CaseLabel, DuplicateLink, Label, ReplyTemplate

__all__ = [
    "CLOSED_STATES",
    "MESSAGE_MAX_LENGTH",
    "NOTE_MAX_LENGTH",
    "OPEN_STATES",
    "PAYLOAD_PURPOSE",
    "REFERENCE_ALPHABET",
    "Addition",
    "Attachment",
    "Case",
    "CaseLabel",
    "CheckinSchedule",
    "CodeReplacement",
    "Direction",
    "DuplicateLink",
    "FollowUp",
    "FollowUpKind",
    "FollowUpOutcome",
    "FundingProposal",
    "Label",
    "Message",
    "Note",
    "Notice",
    "NoticeMode",
    "NoticePreference",
    "NoticeStatus",
    "ProposalStatus",
    "ReplyTemplate",
    "State",
    "reference_new",
]
