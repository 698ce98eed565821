"""An intake is stored whole or not at all, its one-time token with it: a send that failed may be
sent again, and one that worked is never stored twice, whatever clashes or races on the way."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client

from core.models import SpentToken
from evacuation.applicant.forms import IntakeForm
from evacuation.models import Case
from evacuation.services import intake
from tests.factories import Applicant, intake_data, intake_sent, receipt_on, vault_ready
from vault import cases as vault_cases
from vault.models import ApplicantKey, CaseKey
from vault.receipts import ReceiptCode, receipt_parse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _vault():
    vault_ready()


def opens(code: str) -> Case:
    """The case a receipt code opens (what the status page would show)."""
    cipher = vault_cases.case_cipher_for_applicant(receipt_parse(code))
    return Case.objects.get(uid=cipher.case_uid)


def test_a_send_that_failed_half_way_stored_nothing_and_can_be_sent_again():
    applicant = Applicant(Client(raise_request_exception=False))
    with mock.patch.object(intake, "case_event", side_effect=RuntimeError("the audit failed")):
        failed = intake_sent(applicant, city="Kept City")
    assert failed.status_code == 500
    assert Case.objects.count() == 0
    assert not CaseKey.objects.exists() and not ApplicantKey.objects.exists()
    assert not SpentToken.objects.exists()  # the token went with the rest

    answer = applicant.resend()  # the browser's reload of that form
    assert answer.status_code == 200
    code = receipt_on(applicant.page)
    assert code and "already sent" not in applicant.page
    assert opens(code).reference in applicant.page
    assert Case.objects.count() == 1


def test_a_receipt_locator_another_case_holds_is_drawn_again():
    first_reference, first_code = Applicant().submit()
    taken = receipt_parse(first_code)
    real_receipt_new = vault_cases.receipt_new
    drawn = iter([ReceiptCode(locator=taken.locator, secret=real_receipt_new().secret)])

    applicant = Applicant()
    with mock.patch.object(
        vault_cases, "receipt_new", side_effect=lambda: next(drawn, None) or real_receipt_new()
    ):
        applicant.submit()
    code = receipt_on(applicant.page)
    assert receipt_parse(code).locator != taken.locator
    assert opens(code).reference != first_reference
    assert opens(first_code).reference == first_reference
    assert Case.objects.count() == 2 and SpentToken.objects.count() == 2


def test_a_case_reference_another_case_holds_is_drawn_again():
    first_reference, first_code = Applicant().submit()
    real_reference_new = intake.reference_new
    drawn = iter([first_reference])

    applicant = Applicant()
    with mock.patch.object(
        intake, "reference_new", side_effect=lambda: next(drawn, None) or real_reference_new()
    ):
        reference, code = applicant.submit()
    assert reference != first_reference
    assert opens(code).reference == reference
    assert opens(first_code).reference == first_reference
    assert Case.objects.count() == 2


def test_two_sends_of_one_form_at_once_store_one_case_and_both_show_its_code():
    applicant = Applicant()
    applicant.open("/request/")
    _action, hidden = applicant.form("intake")
    won = {}

    def the_other_send_wins_first(request, **kwargs):
        # Between this send's "was it sent before?" and its own transaction, the other send
        # of the same form (a double click) stores its case and spends the token.
        form = IntakeForm(intake_data())
        assert form.is_valid()
        case, code = intake.case_submit(
            form_data=form.cleaned_data, form_token=hidden["form_token"]
        )
        won.update(reference=case.reference, code=str(code))
        return None

    with mock.patch("core.ratelimit.intake_spend", side_effect=the_other_send_wins_first):
        answer = applicant.act("intake", **intake_data())
    assert answer.status_code == 200
    assert receipt_on(applicant.page) == won["code"]
    assert won["reference"] in applicant.page
    assert Case.objects.count() == 1 and SpentToken.objects.count() == 1
