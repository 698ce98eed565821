from __future__ import annotations

from io import StringIO

from django.core.management import call_command


def _run(*args: str) -> str:
    out = StringIO()
    call_command("graph_transitions", *args, stdout=out)
    return out.getvalue()


def test_the_table_lists_every_transition_with_its_capability_and_the_four_eyes_rule():
    lines = _run().splitlines()
    assert len(lines) == 9
    approve = next(line for line in lines if "--approve_funding-->" in line)
    assert approve.startswith("assessed --approve_funding--> funded")
    assert "approve_funding (coordinator; not who assessed the case or proposed the funding)" in (
        approve
    )
    assert any(line.startswith("funded --cancel_funding--> assessed") for line in lines)


def test_the_dot_output_is_a_graph_with_one_edge_per_transition():
    dot = _run("--dot")
    assert dot.startswith("digraph case {") and dot.rstrip().endswith("}")
    assert dot.count(" -> ") == 9
    assert 'funded -> relocated [label="confirm_relocation\\n(confirm_relocation)"];' in dot
