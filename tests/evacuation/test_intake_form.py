from __future__ import annotations

import pytest

from evacuation.models import Case
from tests.factories import Applicant, intake_sent, vault_ready

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _vault():
    vault_ready()


def _post(**overrides) -> str:
    """The request form, filled in with intake_data(**overrides) and sent from its page."""
    applicant = Applicant()
    response = intake_sent(applicant, **overrides)
    assert response.status_code == 200
    return applicant.page


def test_it_explains_each_missing_answer_and_keeps_what_was_typed():
    page = _post(
        name="", contact_method="", urgency="", help_needed=[], consent="", city="Kept City"
    )
    for message in (
        "Please tell us what we should call you.",
        "Please choose how we can reach you safely.",
        "Please choose how urgent it is.",
        "Please choose at least one kind of help.",
        "We can only accept your request if you agree to how it is kept.",
    ):
        assert message in page
    assert 'value="Kept City"' in page
    assert "Threatened by my neighbours." in page
    assert 'value="medical"' in page
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("party_size", "message"),
    [
        ("0", "at least 1 (you)"),
        ("21", "For more than 20 people"),
        ("two", "as a whole number"),
    ],
)
def test_it_explains_a_wrong_number_of_people(party_size, message):
    assert message in _post(party_size=party_size)
    assert Case.objects.count() == 0


def test_it_refuses_overlong_answers():
    page = _post(situation="x" * 5001)
    assert "Ensure this value has at most 5000 characters" in page
    assert Case.objects.count() == 0


def test_an_email_contact_must_look_like_an_address():
    assert "This does not look like an e-mail address." in _post(
        contact_method="email", contact_handle="not-an-address"
    )
    _post(contact_method="email", contact_handle="me@example.org")
    assert Case.objects.count() == 1


def test_the_voucher_and_city_are_optional():
    _post(voucher="", city="")
    assert Case.objects.count() == 1


def test_it_offers_continuity_of_hiv_treatment():
    page = Applicant().open("/request/").content.decode()
    assert "Medical care, including continuity of HIV treatment" in page
    for method in ("Signal", "Telegram", "WhatsApp", "E-mail"):
        assert method in page
