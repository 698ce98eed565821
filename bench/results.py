"""bench/RESULTS.md: one section per benchmark, rewritten when that benchmark runs again."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"

HEADER = """# Benchmark results

Written by `make bench` (`bench/run.py`); each section is rewritten when its benchmark runs
again (`make bench ARGS="--only audit"` or `scripts/bench.sh --only audit`). Every figure
comes from the real server (gunicorn, 2 sync workers, whitenoise, `SAFE_PASSAGE_ENV=production`)
on a throw-away PostgreSQL database on the same machine, driven over loopback by the bench's
own bounded asyncio client (the intake's CPU profile alone runs in-process, and says so).
Ratios compare two things measured in the same run, because absolute times on a shared
machine drift; where other processes' CPU was measured, it is shown. Sections that ran with
`--quick` say so: their sizes are small and their figures are smoke tests, not results.

"""

ORDER = (
    "audit",
    "rotation",
    "rekey",
    "queue",
    "intake",
    "intake_profile",
    "lookup",
    "burst_test",
    "burst_production",
)


def _block(name: str, body: str) -> str:
    return f"<!-- bench:{name} -->\n{body.rstrip()}\n<!-- /bench:{name} -->\n"


def section_write(name: str, body: str) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    pattern = re.compile(rf"<!-- bench:{name} -->.*?<!-- /bench:{name} -->\n?", re.S)
    block = _block(name, body)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        text = text.rstrip() + "\n\n" + block
    RESULTS.write_text(_ordered(text))


def _ordered(text: str) -> str:
    """Keeps sections in benchmark order whatever order they were run in."""
    blocks = {
        m.group(1): m.group(0).rstrip() + "\n"
        for m in re.finditer(r"<!-- bench:(\w+) -->.*?<!-- /bench:\1 -->", text, re.S)
    }
    head = text.split("<!-- bench:", 1)[0].rstrip() + "\n"
    names = [n for n in ORDER if n in blocks] + [n for n in blocks if n not in ORDER]
    return head + "".join("\n" + blocks[n] for n in names)


def preamble(title: str, machine: dict[str, str], *, quick: bool, extra: str = "") -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## {title}{' (--quick: smoke-test sizes)' if quick else ''}",
        "",
        f"- Run: {when}",
        f"- Machine: {machine['cpu']}; {machine['memory']}",
        f"- Load: {machine['load']}",
        f"- Versions: {machine['versions']}",
    ]
    if extra:
        lines.append(extra)
    return "\n".join(lines) + "\n\n"


def table(headers: list[str], rows: list[list[object]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"
