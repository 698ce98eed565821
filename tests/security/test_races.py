"""Many people (or one person's many tabs) acting on one case at the same instant: exactly one
transition happens, it is audited once, and nobody gets a 500."""

from __future__ import annotations

import pytest

from tests.factories import applicant_with, at_once, checkpoint_now, submit_intake, vault_ready

THREADS = 32

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_32_simultaneous_withdrawals_of_one_case_withdraw_it_exactly_once():
    from audit.models import AuditEvent
    from audit.verify import verify_database
    from evacuation.models import Case

    vault_ready()
    reference, code = submit_intake()
    # 32 tabs (or people with the code), each on the confirmation page with its own form.
    tabs = []
    for _ in range(THREADS):
        tab = applicant_with(code)
        tab.act("confirm_withdraw")
        tabs.append(tab)

    def withdraw(i: int) -> int:
        return tabs[i].act("withdraw").status_code

    statuses = at_once(THREADS, withdraw)

    assert all(status == 200 for status in statuses), statuses
    assert Case.objects.get(reference=reference).state == "withdrawn"
    events = AuditEvent.objects.filter(action="case.withdrawn", target_ref=reference)
    assert events.count() == 1
    checkpoint_now()  # the audit signer at work: strict verification needs it
    assert verify_database().ok


def test_32_staff_tabs_assessing_and_declining_one_case_at_once_change_it_exactly_once(team):
    from audit.models import AuditEvent
    from audit.verify import verify_database
    from evacuation.models import Case
    from tests.factories import case_opened, make_case, verified_client

    staff = team.case_staff  # two caseworkers and two coordinators, each with several tabs
    case = make_case(urgency="now")
    seen = {"seen_state": case.state, "seen_version": case.version}
    tabs = [verified_client(staff[i % len(staff)]) for i in range(THREADS)]
    for tab in tabs:  # each tab's session has the case open, as its page would
        case_opened(tab, case.reference)
    assess = {**seen, "risk_level": "4", "verified_by": "referee", "support": ["relocation"]}
    decline = {**seen, "reason": "duplicate"}

    def act(i: int) -> int:
        path, form = ("assess", assess) if i % 2 else ("decline", decline)
        return tabs[i].post(f"/staff/cases/{case.reference}/{path}/", form).status_code

    statuses = at_once(THREADS, act)

    assert sorted(statuses) == [302] + [409] * (THREADS - 1), statuses
    final = Case.objects.get(pk=case.pk).state
    assert final in ("assessed", "declined")
    events = AuditEvent.objects.filter(
        target_ref=case.reference, action__in=("case.assessed", "case.declined")
    )
    assert list(events.values_list("action", flat=True)) == [f"case.{final}"]
    checkpoint_now()  # the audit signer at work: strict verification needs it
    assert verify_database().ok
