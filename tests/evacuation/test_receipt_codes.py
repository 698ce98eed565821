from __future__ import annotations

import re

import pytest
from django.test import Client

from evacuation.models import Case
from tests.factories import submit_intake, vault_ready
from vault.cases import case_keys_shred

pytestmark = pytest.mark.django_db

NOT_FOUND = "We could not find a request with this code."


@pytest.fixture(autouse=True)
def _vault():
    vault_ready()


def _status(code: str):
    return Client().post("/status/", {"code": code})


def test_the_right_code_shows_the_state_in_plain_words():
    reference, code = submit_intake()
    page = _status(code).content.decode()
    assert reference in page
    assert "We have received your request." in page


def test_it_accepts_the_code_with_spaces_instead_of_dashes():
    reference, code = submit_intake()
    assert reference in _status(code.replace("-", " ")).content.decode()


@pytest.mark.parametrize("code", ["", "   ", "0000-0000-0000-0000-0000", "not a code", "1" * 64])
def test_wrong_and_missing_codes_get_the_same_message(code):
    reference, _right = submit_intake()
    response = _status(code)
    page = response.content.decode()
    assert response.status_code == 200
    assert NOT_FOUND in page
    assert reference not in page


def test_a_wrong_code_and_a_purged_cases_code_look_exactly_alike():
    reference, code = submit_intake()
    case = Case.objects.get(reference=reference)
    case_keys_shred(case_uid=str(case.uid))
    case.delete()
    used = _status(code).content.decode()
    wrong = _status("1111-2222-3333-4444-5555").content.decode()
    assert NOT_FOUND in used
    assert _without_csrf(used) == _without_csrf(wrong)


def test_one_code_never_opens_another_applicants_case():
    first_ref, first_code = submit_intake()
    second_ref, _second_code = submit_intake()
    page = _status(first_code).content.decode()
    assert first_ref in page and second_ref not in page


def test_the_code_is_never_put_in_a_url():
    _ref, code = submit_intake()
    response = Client().get("/status/", {"code": code})
    assert NOT_FOUND not in response.content.decode()
    assert "We have received your request." not in response.content.decode()


def _without_csrf(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
