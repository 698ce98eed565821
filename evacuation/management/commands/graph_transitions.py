"""Prints the case state machine: every transition with the capability it needs and who has it.

The rows come from the model's own transitions, so the picture cannot drift from the code; the
capability of each permission function is named below (a permission without a name here fails).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from accounts.roles import CAPABILITIES
from evacuation import rules
from evacuation.models import Case

PERMISSION_CAPABILITY = {
    rules.may_assess: ("assess_case", ""),
    rules.may_decline: ("decline_case", ""),
    rules.may_approve_funding: (
        "approve_funding",
        "not who assessed the case or proposed the funding",
    ),
    rules.may_cancel_funding: ("cancel_funding", ""),
    rules.may_confirm_relocation: ("confirm_relocation", ""),
    rules.may_withdraw: ("withdraw_case", "or the applicant with the receipt code"),
}


def transition_rows() -> list[tuple[str, str, str, str, str]]:
    """(source, transition, target, capability, who) sorted by source and name."""
    rows = []
    for t in Case._meta.get_field("state").get_all_transitions(Case):
        if t.permission not in PERMISSION_CAPABILITY:
            raise CommandError(f"No capability is named for the permission of {t.name!r}.")
        capability, condition = PERMISSION_CAPABILITY[t.permission]
        roles = ", ".join(sorted(CAPABILITIES[capability]))
        who = f"{roles}; {condition}" if condition else roles
        rows.append((str(t.source), t.name, str(t.target), capability, who))
    order = ["received", "assessed", "funded", "relocated", "declined", "withdrawn"]
    return sorted(rows, key=lambda row: (order.index(row[0]), row[1]))


class Command(BaseCommand):
    help = "Print the case state machine as a table (default) or as Graphviz dot (--dot)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dot", action="store_true", help="Graphviz dot instead of a table.")

    def handle(self, *args, dot: bool, **options) -> None:
        rows = transition_rows()
        if dot:
            self.stdout.write("digraph case {")
            self.stdout.write("  rankdir=LR;")
            for source, name, target, capability, _who in rows:
                self.stdout.write(f'  {source} -> {target} [label="{name}\\n({capability})"];')
            self.stdout.write("}")
            return
        width = max(len(f"{s} --{n}--> {t}") for s, n, t, _c, _w in rows)
        for source, name, target, capability, who in rows:
            arrow = f"{source} --{name}--> {target}"
            self.stdout.write(f"{arrow:<{width}}  {capability} ({who})")
