"""The queue: the urgent and the longest waiting on top, counts per state, filters, overdue and
unread marks, the assignee; never anything the applicant wrote."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from evacuation.models import Case, Direction, Message
from evacuation.selectors import queue as selectors
from evacuation.services import casework
from tests.factories import case_in_state, make_case, opened_by, verified_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("team")]


def _age(case: Case, **delta) -> None:
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(**delta))


def _rows(page: str) -> list[str]:
    return re.findall(r'<td><a href="/staff/cases/(EV-[\w-]+)/">', page)


def _row(page: str, reference: str) -> str:
    match = re.search(
        rf"<tr[^>]*>\s*<td><a href=\"/staff/cases/{reference}/\">.*?</tr>", page, re.S
    )
    assert match, f"{reference} not listed"
    return match.group(0)


def test_most_urgent_first_then_longest_waiting_and_closed_cases_only_on_request(carla):
    planning_old = make_case(urgency="planning")
    weeks_new = make_case(urgency="weeks")
    weeks_old = make_case(urgency="weeks")
    now_new = make_case(urgency="now")
    closed = case_in_state("declined", assessor=carla, urgency="now")
    _age(planning_old, days=5)
    _age(weeks_old, days=2)
    _age(weeks_new, hours=1)
    client = verified_client(carla)
    page = client.get("/staff/cases/").content.decode()
    assert _rows(page) == [
        now_new.reference,
        weeks_old.reference,
        weeks_new.reference,
        planning_old.reference,
    ]
    assert closed.reference not in page
    assert closed.reference in client.get("/staff/cases/?state=declined").content.decode()
    assert closed.reference in client.get("/staff/cases/?state=all").content.decode()


def test_counts_per_state_are_shown_with_the_filters(carla):
    make_case()
    make_case()
    case_in_state("assessed", assessor=carla)
    case_in_state("withdrawn", assessor=carla)
    page = verified_client(carla).get("/staff/cases/").content.decode()

    def count(state):
        return re.search(rf'\?state={state}"[^>]*>[^<]+<span class="count">(\d+)', page).group(1)

    assert (count("open"), count("received"), count("assessed"), count("withdrawn")) == (
        "3",
        "2",
        "1",
        "1",
    )
    assert count("all") == "4" and count("funded") == "0"


def test_an_urgent_request_not_assessed_in_time_is_overdue(carla, settings):
    settings.ASSESS_WITHIN_HOURS = 24
    late = make_case(urgency="now")
    fresh = make_case(urgency="now")
    weeks = make_case(urgency="weeks")
    _age(late, hours=25)
    _age(fresh, hours=23)
    _age(weeks, hours=30)
    client = verified_client(carla)
    page = client.get("/staff/cases/").content.decode()
    assert "Overdue</span>" in _row(page, late.reference)
    assert "Overdue</span>" not in _row(page, fresh.reference)
    assert "Overdue</span>" not in _row(page, weeks.reference)
    assert _rows(client.get("/staff/cases/?overdue=on").content.decode()) == [late.reference]


def test_an_open_case_nobody_touched_for_a_week_is_overdue_and_a_closed_one_is_not(carla, settings):
    settings.STALE_AFTER_DAYS = 7
    untouched = make_case(urgency="planning")
    _age(untouched, days=8)
    worked_on = case_in_state("assessed", assessor=carla, urgency="planning")
    _age(worked_on, days=30)  # assessed just now: the last staff action counts, not arrival
    forgotten = case_in_state("assessed", assessor=carla, urgency="weeks")
    Case.objects.filter(pk=forgotten.pk).update(
        last_staff_action_at=timezone.now() - timedelta(days=8)
    )
    closed = case_in_state("declined", assessor=carla)
    Case.objects.filter(pk=closed.pk).update(
        last_staff_action_at=timezone.now() - timedelta(days=30)
    )
    page = verified_client(carla).get("/staff/cases/?overdue=on&state=all").content.decode()
    assert sorted(_rows(page)) == sorted([untouched.reference, forgotten.reference])


def test_cases_with_unread_applicant_messages_are_marked(carla):
    waiting = make_case()
    answered = make_case()
    Message.objects.create(case=waiting, direction=Direction.FROM_APPLICANT, sequence=1, body=b"x")
    Message.objects.create(
        case=answered,
        direction=Direction.FROM_APPLICANT,
        sequence=1,
        body=b"x",
        read_at=timezone.now(),
    )
    Message.objects.create(case=answered, direction=Direction.TO_APPLICANT, sequence=2, body=b"x")
    page = verified_client(carla).get("/staff/cases/").content.decode()
    assert "Unread message" in _row(page, waiting.reference)
    assert "Unread message" not in _row(page, answered.reference)


def test_mine_and_unassigned_filters_and_the_assignee_column(carla, cora):
    mine = make_case()
    theirs = make_case()
    nobodys = make_case()
    casework.case_take(case=mine, actor=carla)
    casework.case_take(case=theirs, actor=cora)
    client = verified_client(carla)
    page = client.get("/staff/cases/").content.decode()
    assert "<td>carla</td>" in _row(page, mine.reference)
    assert "<td>cora</td>" in _row(page, theirs.reference)
    assert "nobody" in _row(page, nobodys.reference)
    assert _rows(client.get("/staff/cases/?mine=on").content.decode()) == [mine.reference]
    assert _rows(client.get("/staff/cases/?unassigned=on").content.decode()) == [nobodys.reference]


def test_the_queue_pages_by_fifty_and_keeps_the_filters_in_its_links(carla):
    for _ in range(51):
        make_case(urgency="weeks")
    client = verified_client(carla)
    first = client.get("/staff/cases/?urgency=weeks").content.decode()
    assert len(_rows(first)) == 50 and "Page 1 of 2" in first
    assert 'href="?urgency=weeks&amp;page=2"' in first
    second = client.get("/staff/cases/?urgency=weeks&page=2").content.decode()
    assert len(_rows(second)) == 1


def test_the_filter_form_shows_what_is_being_filtered(carla):
    client = verified_client(carla)
    page = client.get("/staff/cases/?state=funded&urgency=now&overdue=on").content.decode()
    selected = re.findall(r'<option value="(\w+)" selected>', page)
    checked = re.findall(r'<input type="checkbox" name="(\w+)" id="id_\w+" checked>', page)
    assert selected == ["funded", "now"]
    assert checked == ["overdue"]
    default = client.get("/staff/cases/").content.decode()
    assert "selected>" not in default and " checked>" not in default
    assert '<option value="open">Open cases</option>' in default  # the first, so the browser's pick


def test_nonsense_filters_show_the_default_queue_not_an_error(carla):
    case = make_case()
    client = verified_client(carla)
    for query in ("state=<script>", "urgency=9&page=abc", "page=-1", "overdue=&state=bogus"):
        response = client.get(f"/staff/cases/?{query}")
        assert response.status_code == 200
        assert case.reference in response.content.decode()


def test_nothing_the_applicant_wrote_reaches_the_queue_or_the_approvals(carla, cora):
    case = case_in_state("proposed", assessor=carla, name="Marker Anvar", city="Marker Town")
    for client, url in (
        (verified_client(carla), "/staff/cases/?state=all"),
        (verified_client(cora), "/staff/cases/approvals/"),
    ):
        page = client.get(url).content.decode()
        assert case.reference in page
        assert "Marker" not in page


def test_coordinators_see_what_waits_for_their_approval(carla, cora, kim):
    theirs = case_in_state("proposed", assessor=carla)
    own = case_in_state("assessed", assessor=kim)
    casework.funding_propose(
        case=own,
        actor=cora,
        keys=opened_by(cora, own),
        amount="50",
        currency="EUR",
        purpose="other",
    )
    client = verified_client(cora)
    assert (
        "2 funding proposals waiting for approval" in client.get("/staff/cases/").content.decode()
    )
    page = client.get("/staff/cases/approvals/").content.decode()
    assert "Review and approve" in _row(page, theirs.reference)
    assert "You proposed or assessed this." in _row(page, own.reference)
    assert (
        "waiting for approval" not in verified_client(carla).get("/staff/cases/").content.decode()
    )


def test_the_overdue_mark_and_the_overdue_filter_agree_on_every_kind_of_case(settings):
    settings.ASSESS_WITHIN_HOURS, settings.STALE_AFTER_DAYS = 24, 7
    now = timezone.now()
    ages = [timedelta(hours=1), timedelta(hours=23), timedelta(hours=25), timedelta(days=8)]
    for state, urgency, arrived, last_action in itertools.product(
        ["received", "assessed", "funded", "relocated", "declined", "withdrawn"],
        ["now", "weeks", "planning"],
        ages,
        [None, *ages],
    ):
        case = make_case(urgency=urgency)
        Case.objects.filter(pk=case.pk).update(
            state=state,
            created_at=now - arrived,
            last_staff_action_at=None if last_action is None else now - last_action,
        )
    rule = selectors.Overdue.at(now)
    rows = Case.objects.values("pk", "state", "urgency", "created_at", "last_staff_action_at")
    marked = {row["pk"] for row in rows if rule.applies(row)}
    filtered = set(Case.objects.filter(rule.condition()).values_list("pk", flat=True))
    assert marked == filtered
    assert 0 < len(marked) < len(rows)  # the grid holds both kinds


def test_a_request_that_arrives_after_the_counts_were_kept_is_listed_at_once(carla, settings):
    from django.core.cache import cache

    settings.QUEUE_COUNTS_SECONDS = 60
    cache.clear()
    client = verified_client(carla)
    first = make_case(urgency="weeks")
    assert first.reference in client.get("/staff/cases/").content.decode()  # counts kept now
    urgent = make_case(urgency="now")
    page = client.get("/staff/cases/").content.decode()
    assert urgent.reference in page and first.reference in page
    cache.clear()
