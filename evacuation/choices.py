"""Fixed lists used by the intake form, the case pages and the audit log.

Only codes from these lists ever leave the encrypted payload (urgency in clear,
the open reason in the audit log), so nothing a person typed can reach them.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


def label(choices: Any, code: Any) -> str:
    """The words for `code` in `choices`; an unknown code is shown as itself, nothing as ""."""
    if code in (None, ""):
        return ""
    try:
        return str(choices(code).label)
    except ValueError:
        return str(code)


class State(models.TextChoices):
    RECEIVED = "received", _("Received")
    ASSESSED = "assessed", _("Assessed")
    FUNDED = "funded", _("Funded")
    RELOCATED = "relocated", _("Relocated")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATES = (State.RECEIVED, State.ASSESSED, State.FUNDED)
CLOSED_STATES = (State.RELOCATED, State.DECLINED, State.WITHDRAWN)


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    CANCELLED = "cancelled", _("Cancelled")


class Urgency(models.TextChoices):
    NOW = "now", _("I am in danger now")
    WEEKS = "weeks", _("I need to leave within weeks")
    PLANNING = "planning", _("I am planning ahead")


class ContactMethod(models.TextChoices):
    SIGNAL = "signal", _("Signal")
    TELEGRAM = "telegram", _("Telegram")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone call or SMS")
    OTHER = "other", _("Other")


class TravelDocuments(models.TextChoices):
    VALID_PASSPORT = "valid_passport", _("I have a valid passport")
    EXPIRED_PASSPORT = "expired_passport", _("My passport has expired")
    NONE = "none", _("I have no passport")


class HelpNeeded(models.TextChoices):
    TRANSPORT = "transport", _("Transport out of the country")
    SHELTER = "shelter", _("A safe place to stay for a while")
    VISA = "visa", _("Help with a visa")
    LEGAL = "legal", _("Legal help")
    MEDICAL = "medical", _("Medical care, including continuity of HIV treatment")
    PSYCHOLOGICAL = "psychological", _("Psychological support")
    MONEY = "money", _("Money for basic needs")


class OpenReason(models.TextChoices):
    VERIFY_IDENTITY = "verify_identity", _("Verify the applicant's identity")
    ASSESS = "assess", _("Assess the request")
    ARRANGE_FUNDING = "arrange_funding", _("Arrange funding")
    ARRANGE_TRAVEL = "arrange_travel", _("Arrange travel")
    REPLY = "reply", _("Reply to the applicant")
    OTHER = "other", _("Other casework")


# Workflow: codes only, so every value can also appear in the audit log.
class RiskLevel(models.IntegerChoices):
    LOW = 1, _("1 — low")
    ELEVATED = 2, _("2 — elevated")
    HIGH = 3, _("3 — high")
    CRITICAL = 4, _("4 — critical, life at risk")


class VerifiedBy(models.TextChoices):
    TRUSTED_PARTNER = "trusted_partner", _("Trusted partner organisation")
    REFEREE = "referee", _("Referee known to us")
    INTERVIEW = "interview", _("Interview with the applicant")
    OTHER = "other", _("Other")


class Support(models.TextChoices):
    RELOCATION = "relocation", _("Relocation abroad")
    TEMPORARY_SHELTER = "temporary_shelter", _("Temporary shelter")
    LEGAL = "legal", _("Legal aid")
    MEDICAL = "medical", _("Medical care")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    FINANCIAL = "financial", _("Emergency money")


class DeclineReason(models.TextChoices):
    OUT_OF_MANDATE = "out_of_mandate", _("Outside our mandate")
    NOT_VERIFIED = "not_verified", _("Could not be verified")
    NO_CAPACITY = "no_capacity", _("No capacity or funds")
    DUPLICATE = "duplicate", _("Duplicate request")
    RESOLVED_ELSEWHERE = "resolved_elsewhere", _("Helped by another organisation")
    NO_CONTACT = "no_contact", _("Applicant could not be reached")
    OTHER = "other", _("Other")


class Currency(models.TextChoices):
    EUR = "EUR", "EUR"
    USD = "USD", "USD"
    GBP = "GBP", "GBP"
    GEL = "GEL", "GEL"
    TRY = "TRY", "TRY"
    AMD = "AMD", "AMD"
    KZT = "KZT", "KZT"
    KGS = "KGS", "KGS"
    UAH = "UAH", "UAH"


class FundingPurpose(models.TextChoices):
    TRANSPORT = "transport", _("Transport")
    SHELTER = "shelter", _("Shelter")
    VISA = "visa", _("Visa")
    MEDICAL = "medical", _("Medical")
    LIVING_COSTS = "living_costs", _("Living costs")
    OTHER = "other", _("Other")


class FundingCancelReason(models.TextChoices):
    PLANS_CHANGED = "plans_changed", _("Travel plans changed")
    FUNDED_ELSEWHERE = "funded_elsewhere", _("Funded by another source")
    AMOUNT_WRONG = "amount_wrong", _("Amount or purpose was wrong")
    SAFETY = "safety", _("Safety concerns about the route")
    OTHER = "other", _("Other")


class Region(models.TextChoices):
    """Coarse on purpose: never a city, never an address."""

    IN_COUNTRY = "in_country", _("Safer place in the same country")
    EU = "eu", _("European Union")
    EUROPE_OTHER = "europe_other", _("Elsewhere in Europe")
    CAUCASUS = "caucasus", _("South Caucasus")
    CENTRAL_ASIA = "central_asia", _("Central Asia")
    NORTH_AMERICA = "north_america", _("North America")
    LATIN_AMERICA = "latin_america", _("Latin America")
    OTHER = "other", _("Elsewhere")


# Each language named in itself, so a person finds theirs whatever the page is in now.
LANGUAGE_NAMES = {
    "en": "English",
    "ru": "Русский",
    "uk": "Українська",
    "ka": "ქართული",
    "hy": "Հայերեն",
    "az": "Azərbaycanca",
    "kk": "Қазақша",
    "ky": "Кыргызча",
    "uz": "Oʻzbekcha",  # noqa: RUF001 (U+02BB, the letter of Uzbek Latin script)
    "tg": "Тоҷикӣ",
}


class RegionNow(models.TextChoices):
    """Where the applicant is now, for triage: a region, never a country or a city."""

    CAUCASUS = "caucasus", _("South Caucasus")
    CENTRAL_ASIA = "central_asia", _("Central Asia")
    EASTERN_EUROPE = "eastern_europe", _("Eastern Europe")
    RUSSIA = "russia", _("Russia")
    OTHER = "other", _("Elsewhere")


class YesNo(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")


class HoldReason(models.TextChoices):
    LEGAL_PROCEEDINGS = "legal_proceedings", _("Legal proceedings under way")
    ONGOING_SUPPORT = "ongoing_support", _("Support still going on")
    APPLICANT_REQUEST = "applicant_request", _("Applicant asked us to keep it")
    AUDIT_REVIEW = "audit_review", _("Audit or review")
    OTHER = "other", _("Other")
