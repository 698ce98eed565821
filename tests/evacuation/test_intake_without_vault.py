from __future__ import annotations

import pytest

from evacuation.models import Case
from tests.factories import Applicant, intake_data, intake_sent, receipt_on, send_form, vault_ready

pytestmark = pytest.mark.django_db


def test_without_an_organisation_key_it_says_to_come_back_and_keeps_the_answers():
    applicant = Applicant()
    response = intake_sent(applicant, city="Kept City")
    page = applicant.page
    assert response.status_code == 503
    assert "We cannot accept requests at this moment" in page
    assert 'value="Kept City"' in page
    assert receipt_on(page) is None
    assert Case.objects.count() == 0


def test_the_same_form_can_be_sent_once_the_service_is_back():
    applicant = Applicant()
    intake_sent(applicant, city="Kept City")
    _action, first = applicant.form("intake")
    vault_ready()
    # Nothing was stored, so the form's one-time token was not spent: sending it again works.
    response = send_form(applicant, "intake", intake_data(city="Kept City"))
    assert response.status_code == 200
    assert receipt_on(applicant.page)
    assert response.wsgi_request.POST["form_token"] == first["form_token"]
    assert Case.objects.count() == 1
