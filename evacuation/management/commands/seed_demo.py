"""Demo data for a local run: four staff members, the vault, and a queue with work in it.

Everything is fictional and the passwords are random; they are printed once, here, because
nobody could sign in otherwise. Refused in production unless --force.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role, User
from accounts.services import staff_create
from evacuation.choices import ContactMethod, HelpNeeded, RegionNow, TravelDocuments, Urgency
from evacuation.models import Case, Label, ReplyTemplate
from evacuation.services import workspace
from evacuation.services.intake import case_submit

DEMO_STAFF = (
    ("demo-caseworker", Role.CASEWORKER),
    ("demo-coordinator", Role.COORDINATOR),
    ("demo-auditor", Role.AUDITOR),
    ("demo-admin", Role.ADMIN),
)
# Only case staff hold the organisation key; the auditor and the admin never open cases.
DEMO_GRANTEES = ("demo-caseworker", "demo-coordinator")
DEMO_CASES = 12
# Mostly "within weeks", a few "now", some "planning": a queue where the urgent stands out.
URGENCY_CYCLE = (Urgency.WEEKS, Urgency.NOW, Urgency.PLANNING, Urgency.WEEKS)
HELP_CYCLE = (
    [HelpNeeded.TRANSPORT, HelpNeeded.SHELTER],
    [HelpNeeded.VISA, HelpNeeded.LEGAL],
    [HelpNeeded.MEDICAL, HelpNeeded.MONEY],
    [HelpNeeded.PSYCHOLOGICAL],
)


DEMO_LABELS = ("waiting for documents", "visa in progress", "needs legal aid")
DEMO_REPLY = {
    "en": "We received your documents. We will write again within two days.",
    "ru": "Мы получили ваши документы. Мы напишем вам снова в течение двух дней.",
}


def demo_intake(number: int) -> dict:
    """A complete intake form's cleaned data, obviously invented."""
    contact_methods = list(ContactMethod.values)
    documents = list(TravelDocuments.values)
    return {
        "name": f"Demo Applicant {number}",
        "contact_method": contact_methods[number % len(contact_methods)],
        "contact_handle": f"@demo_applicant_{number}",
        "country": "Demoland",
        "city": f"Demo City {number % 3 + 1}",
        "situation": (
            f"This is demo request {number}. Nothing in it is real: it exists so that the "
            "queue has something in it when the site is first run."
        ),
        "urgency": str(URGENCY_CYCLE[number % len(URGENCY_CYCLE)]),
        "party_size": number % 4 + 1,
        "travel_documents": documents[number % len(documents)],
        "help_needed": [str(code) for code in HELP_CYCLE[number % len(HELP_CYCLE)]],
        "voucher": "Demo Partner Organisation" if number % 2 else "",
        # The triage answers the queue shows without opening the case.
        "region_now": str(list(RegionNow.values)[number % len(RegionNow.values)]),
        "children": "yes" if number % 3 == 0 else "no",
        "preferred_language": ("ru", "en", "uk", "ky")[number % 4],
        "referred": "yes" if number % 2 else "no",
    }


class Command(BaseCommand):
    help = (
        "Create demo staff (passwords printed once), initialise the vault and add demo cases. "
        "Safe to run again: it only adds what is missing. Refused in production without --force."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though SAFE_PASSAGE_ENV is production (never on a real deployment).",
        )

    def handle(self, *args, force: bool, **options) -> None:
        if settings.ENVIRONMENT == "production" and not force:
            raise CommandError(
                "seed_demo adds demo accounts with known roles and is refused in production. "
                "Use createstaff and init_vault instead (or --force on a throw-away copy)."
            )
        self._staff()
        call_command(
            "init_vault",
            "--exists-ok",
            *[arg for name in DEMO_GRANTEES for arg in ("--grant", name)],
            stdout=self.stdout,
            stderr=self.stderr,
        )
        self._cases()
        self._workspace()

    def _workspace(self) -> None:
        """A few labels and one reply template, written by the demo coordinator."""
        coordinator = User.objects.filter(role=Role.COORDINATOR, is_active=True).first()
        if coordinator is None or Label.objects.exists() or ReplyTemplate.objects.exists():
            return
        for name in DEMO_LABELS:
            workspace.label_create(actor=coordinator, name=name)
        workspace.template_create(actor=coordinator, name="Documents received", texts=DEMO_REPLY)
        self.stdout.write(f"Added {len(DEMO_LABELS)} demo labels and a demo reply template.")

    def _staff(self) -> None:
        existing = set(
            User.objects.filter(username__in=[n for n, _ in DEMO_STAFF]).values_list(
                "username", flat=True
            )
        )
        missing = [(name, role) for name, role in DEMO_STAFF if name not in existing]
        if not missing:
            self.stdout.write("The demo staff already exist; no password is shown again.")
            return
        created = []
        for username, role in missing:
            password = secrets.token_urlsafe(18)
            staff_create(username=username, role=role, password=password, actor="system")
            created.append((username, role, password))
        self.stdout.write(
            "\nDemo staff (passwords shown this once; the server keeps only a hash of each):\n"
        )
        self.stdout.write(f"  {'username':<18} {'role':<12} password")
        for username, role, password in created:
            self.stdout.write(f"  {username:<18} {role:<12} {password}")
        self.stdout.write(
            "\nAt first sign-in each of them must enrol an authenticator app (TOTP), then keep "
            "the backup codes shown.\n"
        )

    def _cases(self) -> None:
        if Case.objects.exists():
            self.stdout.write("Cases exist already; no demo cases added.")
            return
        for number in range(1, DEMO_CASES + 1):
            # The receipt codes are dropped: nobody needs them and they must never be printed.
            case_submit(form_data=demo_intake(number))
        self.stdout.write(f"Added {DEMO_CASES} demo cases to the queue.")
