"""Every setting config/settings.py reads from the environment is in the README's table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READERS = {"env_str", "env_int", "env_bool", "env_list"}
HEADING = re.compile(r"^#+ .*settings \(environment\)", re.I)


def names_read() -> set[str]:
    tree = ast.parse((ROOT / "config" / "settings.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in READERS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def names_documented() -> set[str]:
    """The names in backticks in the first column of the table under the settings heading."""
    lines = (ROOT / "README.md").read_text().splitlines()
    start = next((i for i, line in enumerate(lines) if HEADING.match(line)), None)
    assert start is not None, "README.md has no '... settings (environment)' heading"
    documented = set()
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            first = line.split("|")[1]
            documented |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", first))
    return documented


def test_the_parser_finds_the_settings_it_should():
    read = names_read()
    assert {"SECRET_KEY", "DATABASE_URL", "CLIENT_ADDRESS_HEADER", "STATIC_ROOT"} <= read
    assert len(read) > 40


def test_every_setting_the_code_reads_is_in_the_readme_table():
    missing = sorted(names_read() - names_documented())
    assert not missing, (
        "config/settings.py reads these from the environment, but README.md's settings table "
        f"does not list them: {', '.join(missing)}"
    )
