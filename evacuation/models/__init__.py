"""Cases, what staff add to them, what staff and applicants exchange, and rate-limit buckets."""

from evacuation.models.buckets import TokenBucket
from evacuation.models.case import (
    CLOSED_STATES,
    OPEN_STATES,
    REFERENCE_ALPHABET,
    Case,
    State,
    reference_new,
)
from evacuation.models.casework import FundingProposal, Note, ProposalStatus
from evacuation.models.correspondence import Attachment, Direction, Message

__all__ = [
    "CLOSED_STATES",
    "OPEN_STATES",
    "REFERENCE_ALPHABET",
    "Attachment",
    "Case",
    "Direction",
    "FundingProposal",
    "Message",
    "Note",
    "ProposalStatus",
    "State",
    "TokenBucket",
    "reference_new",
]
