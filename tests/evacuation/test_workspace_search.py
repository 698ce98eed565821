"""Finding a case from the queue: by its reference as people type it (with or without dashes,
any case, in any state, closed too), by label, by assignee, by state. Bad input gets a message,
never an error page."""

from __future__ import annotations

import re

import pytest

from evacuation.selectors.workspace import reference_typed
from evacuation.services import casework
from tests.factories import case_in_state, make_case, verified_client

pytestmark = pytest.mark.django_db


def _rows(page: str) -> list[str]:
    return re.findall(r'<td><a href="/staff/cases/(EV-[A-Z0-9-]+)/">', page)


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("EV-ABCD-EF", "EV-ABCD-EF"),
        ("ev-abcd-ef", "EV-ABCD-EF"),
        ("EVABCDEF", "EV-ABCD-EF"),
        (" ev abcd ef ", "EV-ABCD-EF"),
        ("abcdef", "EV-ABCD-EF"),
        ("ABCD-EF", "EV-ABCD-EF"),
        ("ev\u2013abcd\u2013ef", "EV-ABCD-EF"),
        ("EV-ABCD-E", None),
        ("EV-ABCD-EF1", None),  # 1 is not in the alphabet
        ("EV-0BCD-EF", None),
        ("<script>", None),
        ("", None),
    ],
)
def test_a_reference_is_read_as_people_type_it(typed, stored):
    assert reference_typed(typed) == stored


def test_a_reference_finds_its_case_in_any_state_however_it_is_typed(team):
    closed = case_in_state("declined", assessor=team.carla)
    other = make_case()
    client = verified_client(team.carla)
    assert closed.reference not in _rows(client.get("/staff/cases/").content.decode())
    for typed in (closed.reference, closed.reference.lower(), closed.reference.replace("-", "")):
        page = client.get("/staff/cases/", {"q": typed}).content.decode()
        assert _rows(page) == [closed.reference], typed
        assert other.reference not in page
        assert f'value="{closed.reference}"' in page  # the box shows what is looked for


def test_a_reference_that_is_not_one_gets_a_message_and_the_usual_queue(team):
    case = make_case()
    client = verified_client(team.carla)
    for typed, message in (
        ("EV-12", "A reference looks like EV-ABCD-EF"),
        ("<b>x</b>", "A reference looks like EV-ABCD-EF"),
        ("x" * 41, "A reference looks like EV-ABCD-EF"),
        ("EV-ABCD-EF' OR 1=1 --", "A reference looks like EV-ABCD-EF"),
        ("a\x00b", "Null characters are not allowed."),
    ):
        response = client.get("/staff/cases/", {"q": typed})
        assert response.status_code == 200
        page = response.content.decode()
        assert message in page, typed
        assert case.reference in _rows(page)
        assert "<b>x</b>" not in page


def test_a_reference_nobody_has_finds_nothing(team):
    make_case()
    page = verified_client(team.carla).get("/staff/cases/?q=EV-ZZZZ-ZZ").content.decode()
    assert _rows(page) == [] and "No cases match." in page


def test_the_queue_filters_by_assignee_and_state(team):
    kims = make_case()
    casework.case_take(case=kims, actor=team.kim)
    nobodys = make_case()
    assessed = case_in_state("assessed", assessor=team.carla)
    client = verified_client(team.cora)
    page = client.get("/staff/cases/", {"assignee": team.kim.pk}).content.decode()
    assert _rows(page) == [kims.reference]
    assert f'<option value="{team.kim.pk}" selected>kim</option>' in page
    page = client.get("/staff/cases/", {"state": "assessed"}).content.decode()
    assert _rows(page) == [assessed.reference]
    assert nobodys.reference in _rows(client.get("/staff/cases/").content.decode())
    # An auditor is no one a case can be given to: the filter says so, nothing breaks.
    response = client.get("/staff/cases/", {"assignee": team.audrey.pk})
    assert response.status_code == 200
    assert "Choose a person from the list." in response.content.decode()
    for nonsense in ("abc", "-1", "9" * 30, "1e309"):
        assert (
            client.get("/staff/cases/", {"assignee": nonsense, "label": nonsense}).status_code
            == 200
        )
