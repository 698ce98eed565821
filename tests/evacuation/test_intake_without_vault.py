from __future__ import annotations

import pytest
from django.test import Client

from evacuation.models import Case
from tests.factories import intake_data

pytestmark = pytest.mark.django_db


def test_without_an_organisation_key_it_says_to_come_back_and_keeps_the_answers():
    response = Client().post("/request/", intake_data(city="Kept City"))
    page = response.content.decode()
    assert response.status_code == 503
    assert "We cannot accept requests at this moment" in page
    assert 'value="Kept City"' in page
    assert Case.objects.count() == 0
