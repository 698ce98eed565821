"""Fixed lists used by the intake form, the case pages and the audit log.

Only codes from these lists ever leave the encrypted payload (urgency in clear,
the open reason in the audit log), so nothing a person typed can reach them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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
