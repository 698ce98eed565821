"""Every message a page can show has a translation: an applicant never meets half a page.

Russian is complete everywhere (staff pages and applicant pages). The other applicant languages
(uk, ka, hy, az, kk, ky, uz, tg) translate every message the applicant's pages can show; the staff
pages are in English and Russian only, so staff-only messages may stay empty there. Each
catalogue says in its header whether a native speaker has checked it, uses its language's CLDR
plural rule, keeps every placeholder, tag and the service's name, and is compiled as it is.
"""

from __future__ import annotations

import ast
import gettext
import re
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ["ru", "uk", "ka", "hy", "az", "kk", "ky", "uz", "tg"]
APPLICANT_ONLY = [language for language in LANGUAGES if language != "ru"]
STAFF_APPS = ["accounts", "audit", "reports"]  # their pages are staff pages: Russian only

# Where the messages of the applicant's pages come from (paths from the repository's root).
APPLICANT_SOURCES = (
    "evacuation/templates/evacuation/applicant/",
    "evacuation/applicant/",
    "evacuation/files/sanitise.py",  # why an upload was refused
    "evacuation/files/sandbox.py",
    "evacuation/files/transfer.py",
    "evacuation/services/correspondence.py",  # why a message was refused
    "core/errors.py",  # the error pages
    "core/middleware.py",
    "templates/error.html",
    "config/languages.py",  # Django's own messages the applicant's pages show
)
# evacuation/choices.py: only the lists the request form offers.
APPLICANT_CHOICES = {"Urgency", "ContactMethod", "TravelDocuments", "HelpNeeded"}


# --- reading a catalogue -----------------------------------------------------------------------


class Entry(SimpleNamespace):
    """One message of a .po file: context, msgid, plural, translations, flags, references."""

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid

    @property
    def translated(self) -> bool:
        return "fuzzy" not in self.flags and bool(self.msgstr) and all(self.msgstr)


def _unescape(text: str) -> str:
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), text)


def po_entries(path: Path) -> list[Entry]:
    """The entries of a .po file, the header first; obsolete ones (#~) left out."""
    entries = []
    for block in re.split(r"\n[ \t]*\n", path.read_text(encoding="utf-8")):
        fields: dict[str, list[str]] = {}
        flags: set[str] = set()
        references: list[str] = []
        current = ""
        for line in block.splitlines():
            if not line or line.startswith("#~"):
                continue
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#:"):
                references += line[2:].split()
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[current].append(_unescape(line[1:-1]))
            else:
                current, _space, rest = line.partition(" ")
                fields[current] = [_unescape(rest.strip()[1:-1])]
        if "msgid" not in fields:
            continue
        strings = sorted((k for k in fields if k.startswith("msgstr")), key=lambda k: (len(k), k))
        entries.append(
            Entry(
                msgctxt="".join(fields["msgctxt"]) if "msgctxt" in fields else None,
                msgid="".join(fields["msgid"]),
                msgid_plural="".join(fields["msgid_plural"]) if "msgid_plural" in fields else None,
                msgstr=["".join(fields[k]) for k in strings],
                flags=flags,
                references=references,
                path=path,
            )
        )
    return entries


def header(path: Path) -> dict[str, str]:
    text = po_entries(path)[0].msgstr[0]
    return dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)


def catalogues(language: str) -> list[Path]:
    return sorted(
        path
        for path in ROOT.glob(f"**/locale/{language}/LC_MESSAGES/django.po")
        if ".venv" not in path.parts
    )


ALL = [path for language in LANGUAGES for path in catalogues(language)]


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _choices_lines() -> list[tuple[int, int]]:
    tree = ast.parse((ROOT / "evacuation/choices.py").read_text())
    return [
        (node.lineno, node.end_lineno)
        for node in tree.body
        if isinstance(node, ast.ClassDef) and node.name in APPLICANT_CHOICES
    ]


def shown_to_applicants(entry: Entry) -> bool:
    """Whether a message comes from the applicant's pages' sources (its #: references)."""
    base = entry.path.parents[3].relative_to(ROOT)  # <app>/locale/<language>/LC_MESSAGES
    for reference in entry.references:
        name, _colon, line = reference.rpartition(":")
        path = (base / name).as_posix()
        if path == "evacuation/choices.py":
            if any(start <= int(line) <= end for start, end in _choices_lines()):
                return True
        elif path.startswith(APPLICANT_SOURCES):
            return True
    return False


# --- which catalogues there are ----------------------------------------------------------------


def test_there_are_catalogues_for_every_app_with_pages():
    apps = {path.relative_to(ROOT).parts[0] for path in catalogues("ru")}
    assert {"locale", "accounts", "audit", "evacuation"} <= apps


@pytest.mark.parametrize("language", APPLICANT_ONLY)
def test_each_applicant_language_has_the_applicant_catalogues_and_no_staff_one(language):
    apps = {path.relative_to(ROOT).parts[0] for path in catalogues(language)}
    assert apps == {"locale", "evacuation"}


# --- translated --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", catalogues("ru"), ids=_id)
def test_every_message_is_translated_and_none_is_fuzzy(path):
    untranslated = [entry.key for entry in po_entries(path)[1:] if not entry.translated]
    assert not untranslated, untranslated[:10]


@pytest.mark.parametrize(
    "path", [p for language in APPLICANT_ONLY for p in catalogues(language)], ids=_id
)
def test_every_message_an_applicant_page_can_show_is_translated_and_none_is_fuzzy(path):
    entries = [entry for entry in po_entries(path)[1:] if shown_to_applicants(entry)]
    assert len(entries) > 30 if path.parts[-5] == "evacuation" else len(entries) > 10
    untranslated = [entry.key for entry in entries if not entry.translated]
    assert not untranslated, untranslated[:10]


# --- the header: language, plural rule, review ----------------------------------------------


def _cldr(language: str, n: int) -> int:
    """The CLDR plural category of the whole number n, as the index of its gettext form."""
    if language in {"ru", "uk"}:  # one, few, many (other: fractions only)
        if n % 10 == 1 and n % 100 != 11:
            return 0
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return 1
        return 2
    if language == "hy":  # one: i = 0,1
        return 0 if n in (0, 1) else 1
    if language in {"ka", "az", "kk", "ky", "uz"}:  # one: n = 1
        return 0 if n == 1 else 1
    assert language == "tg"  # CLDR has no rule for Tajik: the root's, "other" only
    return 0


NPLURALS = {"ru": 4, "uk": 4, "tg": 1, "ka": 2, "hy": 2, "az": 2, "kk": 2, "ky": 2, "uz": 2}


@pytest.mark.parametrize("path", ALL, ids=_id)
def test_the_header_names_the_language_and_its_cldr_plural_rule(path):
    language = path.parts[-3]
    fields = header(path)
    assert fields["Language"] == language
    nplurals, rule = re.fullmatch(r"nplurals=(\d); plural=(.*?);?", fields["Plural-Forms"]).groups()
    assert int(nplurals) == NPLURALS[language]
    plural = gettext.c2py(rule)
    assert [int(plural(n)) for n in range(1001)] == [_cldr(language, n) for n in range(1001)]
    for entry in po_entries(path)[1:]:
        if entry.msgid_plural is not None:
            assert len(entry.msgstr) == NPLURALS[language], entry.key


@pytest.mark.parametrize(
    "path", [p for p in ALL if p.relative_to(ROOT).parts[0] not in STAFF_APPS], ids=_id
)
def test_the_header_says_whether_a_native_speaker_has_checked_it(path):
    state = header(path)["X-Review-State"]
    if path.parts[-3] == "ru":
        assert re.fullmatch(r"reviewed \(.+\)", state)
    else:
        assert re.fullmatch(r"unreviewed \(machine-assisted, \d{4}-\d\d\)", state)


# --- what a translation must keep ------------------------------------------------------------

PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sd]|%%")
TAG = re.compile(r"<[^>]+>")


@pytest.mark.parametrize("path", ALL, ids=_id)
def test_every_translation_keeps_the_placeholders_tags_and_name(path):
    wrong = []
    for entry in po_entries(path)[1:]:
        for index, text in enumerate(entry.msgstr):
            if not text:
                continue
            source = entry.msgid if entry.msgid_plural is None or index == 0 else entry.msgid_plural
            if len(entry.msgstr) == 1 and entry.msgid_plural is not None:
                source = entry.msgid_plural  # one form for every number
            if Counter(PLACEHOLDER.findall(text)) != Counter(PLACEHOLDER.findall(source)):
                wrong.append(f"placeholders: {entry.key!r} -> {text!r}")
            if Counter(TAG.findall(text)) != Counter(TAG.findall(source)):
                wrong.append(f"tags: {entry.key!r} -> {text!r}")
            if "Safe Passage" in source and "Safe Passage" not in text:
                wrong.append(f"name: {entry.key!r} -> {text!r}")
    assert not wrong, "\n".join(wrong[:10])


# --- compiled -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL, ids=_id)
def test_the_compiled_catalogue_is_this_catalogue(path):
    """The .mo holds exactly the .po's translations (run scripts/messages.sh after an edit)."""
    mo = path.with_suffix(".mo")
    assert mo.exists()
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    expected = {}
    for entry in po_entries(path)[1:]:
        if not entry.translated:
            continue
        if entry.msgid_plural is None:
            expected[entry.key] = entry.msgstr[0]
        else:
            expected.update({(entry.key, i): text for i, text in enumerate(entry.msgstr)})
    compiled = {key: text for key, text in compiled.items() if key != ""}
    assert compiled == expected
