"""Labels for the state of the work: coordinators create, rename and retire them on a page that
says they are stored in clear for all staff; case staff put them on cases and take them off from
the case page; the queue filters on them; every change is an audit event naming the label only."""

from __future__ import annotations

import html
import re

import pytest

from audit.models import AuditEvent
from evacuation.models import Case, CaseLabel, Label
from tests.factories import make_case, staff_case_page, verified_client

pytestmark = pytest.mark.django_db


def label_form(page: str) -> dict[str, str]:
    """The hidden fields of the case page's label form, as a browser sends them back."""
    section = re.search(
        r'<details class="[^"]*" id="action-label"[^>]*>(.*?)</details>', page, re.S
    )
    assert section, "no label form on the page"
    return {
        name: html.unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)"', section.group(1)
        )
        if name != "csrfmiddlewaretoken"
    }


def ticked(page: str) -> set[str]:
    section = re.search(r'id="action-label"[^>]*>(.*?)</details>', page, re.S).group(1)
    return set(re.findall(r'name="labels" value="(\d+)"[^>]*checked', section))


def test_a_coordinator_manages_labels_on_a_page_that_says_they_are_in_clear(team):
    client = verified_client(team.cora)
    page = client.get("/staff/cases/labels/").content.decode()
    assert "Labels are stored in clear and every member of staff sees them." in page
    assert "never for facts about the person" in page

    response = client.post("/staff/cases/labels/", {"name": "  waiting   for documents "})
    assert response.status_code == 302
    label = Label.objects.get()
    assert label.name == "waiting for documents"
    response = client.post(f"/staff/cases/labels/{label.pk}/", {"do": "rename", "name": "docs"})
    assert response.status_code == 302
    client.post(f"/staff/cases/labels/{label.pk}/", {"do": "retire"})
    label.refresh_from_db()
    assert (label.name, label.is_retired) == ("docs", True)
    page = client.get("/staff/cases/labels/").content.decode()
    assert "docs" in page and "Put back in use" in page

    events = list(
        AuditEvent.objects.filter(action__startswith="label.")
        .order_by("sequence")
        .values_list("action", "actor", "target_ref", "data")
    )
    assert events == [
        ("label.created", team.cora.pk, f"label-{label.pk}", {"label": "waiting for documents"}),
        (
            "label.renamed",
            team.cora.pk,
            f"label-{label.pk}",
            {"label": "docs", "old_name": "waiting for documents"},
        ),
        ("label.retired", team.cora.pk, f"label-{label.pk}", {"label": "docs"}),
    ]


@pytest.mark.parametrize(
    "name, message",
    [
        ("", "Write the label&#x27;s name."),
        ("   ", "Write the label&#x27;s name."),
        ("x" * 61, "Keep the name to 60 characters or fewer."),
        ("a\x00b", "Null characters are not allowed."),
        ("bad\u202eword", "Use letters, digits and punctuation only."),
        ("Visa in progress", "There is already a label with this name."),
    ],
)
def test_a_bad_label_name_is_refused_with_a_message_and_nothing_changes(team, name, message):
    Label.objects.create(name="visa in progress")
    client = verified_client(team.cora)
    before = AuditEvent.objects.count()
    response = client.post("/staff/cases/labels/", {"name": name}, follow=True)
    assert response.status_code in (200, 400)
    assert message in response.content.decode()
    assert Label.objects.count() == 1 and AuditEvent.objects.count() == before


def test_caseworkers_use_labels_but_do_not_manage_them(team):
    client = verified_client(team.carla)
    assert client.get("/staff/cases/labels/").status_code == 403
    assert client.post("/staff/cases/labels/", {"name": "mine"}).status_code == 403
    assert not Label.objects.exists()


def test_case_staff_put_labels_on_and_take_them_off_from_the_case_page(team):
    docs = Label.objects.create(name="waiting for documents")
    visa = Label.objects.create(name="visa in progress")
    case = make_case()
    client = verified_client(team.carla)
    page = staff_case_page(client, case.reference)
    assert "waiting for documents" in page and ticked(page) == set()

    response = client.post(
        f"/staff/cases/{case.reference}/labels/",
        {**label_form(page), "labels": [docs.pk, visa.pk]},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "The labels are saved." in page
    assert ticked(page) == {str(docs.pk), str(visa.pk)}
    assert '<span class="tag">visa in progress</span>' in page

    response = client.post(
        f"/staff/cases/{case.reference}/labels/", {**label_form(page), "labels": [visa.pk]}
    )
    assert response.status_code == 302
    assert set(CaseLabel.objects.values_list("label__name", flat=True)) == {"visa in progress"}
    history = staff_case_page(client, case.reference).split("<h2>History</h2>")[1]
    assert "Label taken off the case</td><td>waiting for documents" in history
    events = list(
        AuditEvent.objects.filter(action__startswith="case.label")
        .order_by("sequence")
        .values_list("action", "target_ref", "data")
    )
    assert events == [
        ("case.label_added", case.reference, {"label": "visa in progress"}),
        ("case.label_added", case.reference, {"label": "waiting for documents"}),
        ("case.label_removed", case.reference, {"label": "waiting for documents"}),
    ]


def test_a_retired_label_stays_on_its_cases_but_is_not_offered_or_taken_off(team):
    kept = Label.objects.create(name="needs legal aid")
    case = make_case()
    client = verified_client(team.carla)
    page = staff_case_page(client, case.reference)
    client.post(f"/staff/cases/{case.reference}/labels/", {**label_form(page), "labels": [kept.pk]})
    verified_client(team.cora).post(f"/staff/cases/labels/{kept.pk}/", {"do": "retire"})

    page = staff_case_page(client, case.reference)
    assert "needs legal aid" in page and "(retired)" in page
    assert f'name="labels" value="{kept.pk}"' not in page  # no longer offered
    assert "No labels yet" in page
    fresh = Label.objects.create(name="visa in progress")
    page = staff_case_page(client, case.reference)
    client.post(f"/staff/cases/{case.reference}/labels/", {**label_form(page), "labels": []})
    assert CaseLabel.objects.filter(case=case, label=kept).exists()  # a retired one stays
    # Posting a retired label's id (an old page) is refused with a message, nothing changes.
    page = staff_case_page(client, case.reference)
    response = client.post(
        f"/staff/cases/{case.reference}/labels/",
        {**label_form(page), "labels": [fresh.pk, kept.pk]},
    )
    assert response.status_code == 200
    assert "one of them was retired" in response.content.decode()
    assert not CaseLabel.objects.filter(label=fresh).exists()


def test_the_queue_filters_on_a_label_and_shows_each_rows_labels(team):
    docs = Label.objects.create(name="waiting for documents")
    labelled, other = make_case(), make_case()
    CaseLabel.objects.create(case=labelled, label=docs, added_by=team.carla)
    client = verified_client(team.carla)
    page = client.get(f"/staff/cases/?label={docs.pk}").content.decode()
    assert labelled.reference in page and other.reference not in page
    assert '<span class="tag">waiting for documents</span>' in page
    assert f'<option value="{docs.pk}" selected>' in page
    page = client.get("/staff/cases/?label=999999").content.decode()
    assert "That label does not exist (any more)." in page
    assert labelled.reference in page and other.reference in page  # that filter left aside


def test_an_auditor_cannot_label_a_case(team):
    docs = Label.objects.create(name="waiting for documents")
    case = make_case()
    response = verified_client(team.audrey).post(
        f"/staff/cases/{case.reference}/labels/",
        {
            "seen_state": "received",
            "seen_version": Case.objects.get(pk=case.pk).version,
            "labels": [docs.pk],
        },
    )
    assert response.status_code == 403
    assert not CaseLabel.objects.exists()
