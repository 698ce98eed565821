"""The queue and the case page read a fixed number of SQL queries, however many cases, events,
proposals and messages there are."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from audit.actions import Action
from audit.services import record
from evacuation.models import (
    Case,
    CaseLabel,
    Direction,
    DuplicateLink,
    Label,
    Message,
    reference_new,
)
from evacuation.models.case import URGENCY_PRIORITY
from evacuation.services import casework
from tests.factories import VaultBrowser, case_in_state, make_staff, verified_client
from vault.session import staff_keys

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("team")]

# With the labels and people the filters offer, the rows' labels, and the triage summaries
# (the grant check, the triage key's seal, the `triage.shown` event: head, insert, update).
QUEUE_MAX_QUERIES = 20
CASE_PAGE_MAX_QUERIES = 20  # the four code-replacement rules each read the open request


def bulk_cases(count: int, *, assignee=None) -> None:
    """`count` cases straight into the table (no keys: neither page decrypts anything)."""
    now = timezone.now()
    states = ["received", "received", "assessed", "funded", "relocated", "declined", "withdrawn"]
    urgencies = ["now", "weeks", "planning"]
    references: set[str] = set(Case.objects.values_list("reference", flat=True))
    cases = []
    for i in range(count):
        reference = reference_new()
        while reference in references:
            reference = reference_new()
        references.add(reference)
        urgency = urgencies[i % 3]
        created = now - timedelta(hours=i)
        cases.append(
            Case(
                uid=uuid.uuid4(),
                reference=reference,
                state=states[i % len(states)],
                urgency=urgency,
                priority=URGENCY_PRIORITY[urgency],
                payload=b"x",
                created_at=created,
                last_applicant_activity_on=created.date(),
                assignee=assignee if i % 4 == 0 else None,
                last_staff_action_at=created if i % 5 == 0 else None,
            )
        )
    Case.objects.bulk_create(cases, batch_size=500)
    ids = list(
        Case.objects.filter(messages__isnull=True).values_list("pk", flat=True)[: count // 10]
    )
    Message.objects.bulk_create(
        [
            Message(case_id=pk, direction=Direction.FROM_APPLICANT, sequence=1, body=b"x")
            for pk in ids
        ]
    )


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


QUEUE_URLS = [
    "/staff/cases/",
    "/staff/cases/?state=all&page=3",
    "/staff/cases/?state=received&urgency=now&overdue=on",
    "/staff/cases/?mine=on&unassigned=on",
    "/staff/cases/approvals/",
    # Found by reference (any state), by label and by assignee (issue 19's search).
    "/staff/cases/?q={reference}",
    "/staff/cases/?state=all&label={label}&assignee={cora}",
    "/staff/cases/?q=not-a-reference&label=nonsense",
]


def labelled(cora) -> dict[str, str]:
    """Three labels, each on every third case; what the URLs above fill in."""
    labels = [Label.objects.get_or_create(name=f"label {i}")[0] for i in range(3)]
    have = set(CaseLabel.objects.values_list("case_id", "label_id"))
    CaseLabel.objects.bulk_create(
        [
            CaseLabel(case_id=pk, label=label, added_by=cora)
            for pk in Case.objects.values_list("pk", flat=True)[::3]
            for label in labels
            if (pk, label.pk) not in have
        ]
    )
    reference = Case.objects.order_by("pk").values_list("reference", flat=True).last()
    return {"reference": reference, "label": str(labels[0].pk), "cora": str(cora.pk)}


@pytest.mark.parametrize("url", QUEUE_URLS)
def test_the_queue_reads_the_same_number_of_queries_for_100_cases_and_for_1000(
    carla, cora, url, django_assert_max_num_queries
):
    client = verified_client(cora)
    bulk_cases(100, assignee=cora)
    for _ in range(3):
        case_in_state("proposed", assessor=carla)
    # Two one-time costs, whatever the number of cases, are paid before counting: the session's
    # first queue opens the triage key and keeps it (vault.session.triage_reader), and a page
    # whose summaries are read for the first time stores their cheaper form (one UPDATE).
    client.get(url.format(**labelled(cora)))
    few = queries(client, url.format(**labelled(cora)))
    bulk_cases(900, assignee=cora)
    for _ in range(3):
        case_in_state("proposed", assessor=carla)
    assert Case.objects.count() >= 1000
    url = url.format(**labelled(cora))
    client.get(url)
    many = queries(client, url)
    assert many == few
    with django_assert_max_num_queries(QUEUE_MAX_QUERIES):
        client.get(url)


def test_the_case_page_reads_the_same_number_of_queries_for_3_events_and_for_600(
    carla, cora, django_assert_max_num_queries
):
    bulk_cases(1000)
    case = case_in_state("proposed", assessor=carla)
    casework.case_take(case=case, actor=carla)  # one assignment: its name look-up is counted
    client = verified_client(cora)
    url = f"/staff/cases/{case.reference}/"
    few = queries(client, url)
    people = [make_staff(username=f"staff{i}", role=Role.CASEWORKER, totp=False) for i in range(5)]
    for i in range(600):
        record(
            action=Action.CASE_ASSIGNED,
            actor=people[i % 5],
            target_type="case",
            target_ref=case.reference,
            data={"assignee": people[(i + 1) % 5].pk},
        )
    # Labels on it (one retired) and other cases linked to it as its duplicates.
    for i in range(12):
        label = Label.objects.create(name=f"label {i}", retired_at=timezone.now() if i else None)
        CaseLabel.objects.create(case=case, label=label, added_by=cora)
    others = list(Case.objects.exclude(pk=case.pk).order_by("pk")[:8])
    DuplicateLink.objects.bulk_create(
        [DuplicateLink(duplicate=other, original=case, marked_by=carla) for other in others]
    )
    many = queries(client, url)
    assert many == few
    with django_assert_max_num_queries(CASE_PAGE_MAX_QUERIES):
        page = client.get(url).content.decode()
    assert "Only the latest 200 events are shown." in page
    assert "label 11" in page and others[-1].reference in page


def test_opening_a_case_with_many_notes_reads_a_fixed_number_of_queries(carla):
    case = case_in_state("assessed", assessor=carla)
    client = verified_client(carla)
    url = f"/staff/cases/{case.reference}/"

    def opening() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.post(url, {"reason": "assess"}, follow=True)
        assert "What the applicant told us" in response.content.decode()
        return len(captured)

    browser = VaultBrowser(carla)
    assert browser.sign_in()
    browser.open_case(case)
    browser.run(
        lambda r: casework.note_add(keys=staff_keys(r), case=case, actor=carla, text="first")
    )
    few = opening()
    for i in range(30):
        fresh = Case.objects.get(pk=case.pk)
        browser.run(
            lambda r, c=fresh, n=i: casework.note_add(
                keys=staff_keys(r), case=c, actor=carla, text=f"{n}"
            )
        )
    assert opening() == few
