"""Every message we ship has a Russian translation: an applicant never meets half a page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = sorted(
    path for path in ROOT.glob("**/locale/ru/LC_MESSAGES/django.po") if ".venv" not in path.parts
)
ENTRY = re.compile(r'^msgid "(.*)"\n((?:".*"\n)*)', re.MULTILINE)


def _entries(text: str) -> list[str]:
    return [block for block in re.split(r"\n\s*\n", text) if "msgid" in block]


def test_there_are_catalogues_for_every_app_with_pages():
    apps = {path.relative_to(ROOT).parts[0] for path in CATALOGUES}
    assert {"locale", "accounts", "audit", "evacuation"} <= apps


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_is_translated_and_none_is_fuzzy(path):
    untranslated = []
    for block in _entries(path.read_text(encoding="utf-8")):
        if re.search(r'^msgid ""\n(?!")', block, re.MULTILINE):
            continue  # the catalogue header
        if "#, fuzzy" in block:
            untranslated.append(block)
            continue
        for match in re.finditer(r'^msgstr(?:\[\d\])? "(.*)"\n?((?:".*"\n?)*)', block, re.M):
            if not (match.group(1) or match.group(2).strip('"\n')):
                untranslated.append(block)
    assert not untranslated, "\n\n".join(untranslated[:5])


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_compiled_catalogue_is_there(path):
    assert path.with_suffix(".mo").exists()
