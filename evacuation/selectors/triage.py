"""The queue's triage summaries, opened with the session's triage reader (vault.triage): the
one exception to "every decryption needs an opening" (evacuation/rules.py: TRIAGE). The caller
records which references were shown (evacuation/services/triage.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.utils.translation import gettext, ngettext

from evacuation.choices import LANGUAGE_NAMES, HelpNeeded, RegionNow, YesNo


@dataclass(frozen=True)
class TriageSummary:
    region: str
    help: tuple[str, ...]
    people: int | None
    children: bool | None  # None: not answered
    language: str  # named in itself ("Русский"), or ""
    language_code: str
    referred: bool | None


def _labels() -> tuple[dict[str, str], dict[str, str]]:
    """The regions' and the kinds of help's words in the current language (once a page)."""
    return (
        {value: str(label) for value, label in RegionNow.choices},
        {value: str(label) for value, label in HelpNeeded.choices},
    )


def _summary(raw: bytes, labels=None) -> TriageSummary | None:
    regions, helps_named = labels or _labels()
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    helps = data.get("help_needed") if isinstance(data.get("help_needed"), list) else []
    people = data.get("party_size")
    language = data.get("preferred_language") or ""
    return TriageSummary(
        region=regions.get(data.get("region_now"), "")
        if isinstance(data.get("region_now"), str)
        else "",
        help=tuple(helps_named[h] for h in helps if isinstance(h, str) and h in helps_named),
        people=people if isinstance(people, int) else None,
        children=_yes_no(data.get("children")),
        language=LANGUAGE_NAMES.get(language, ""),
        language_code=language if language in LANGUAGE_NAMES else "",
        referred=_yes_no(data.get("referred")),
    )


def triage_words(summary: TriageSummary) -> dict[str, str]:
    """A summary as the queue row prints it, in the page's language: what and who first
    ("Central Asia · 3 people, with children"), then the help, then the language to write in
    (named in itself: `language_code` is its lang attribute) and whether a partner referred."""
    first = summary.region
    if summary.people:
        people = ngettext("%(counter)s person", "%(counter)s people", summary.people) % {
            "counter": summary.people
        }
        first = f"{first} · {people}" if first else people
    if summary.children:
        first = f"{first}, {gettext('with children')}" if first else gettext("with children")
    return {
        "first": first,
        "help": ", ".join(summary.help),
        "language": summary.language,
        "language_code": summary.language_code,
        "referred": gettext("Referred by a partner organisation") if summary.referred else "",
    }


def _yes_no(value) -> bool | None:
    return {YesNo.YES: True, YesNo.NO: False}.get(value)


def summaries(rows, reader, kept: dict | None = None) -> dict[int, TriageSummary]:
    """Case id -> its summary, for the rows whose summary opens; no query (each row, a case or
    a queue row dict, carries its id, uid and sealed `triage`). `reader` is
    vault.session.triage_reader(request) (None: nothing is shown)."""
    if reader is None:
        return {}
    found = {}
    labels = _labels()
    for row in rows:
        case_id, uid, sealed = (
            (row["id"], row["uid"], row["triage"])
            if isinstance(row, dict)
            else (row.pk, row.uid, row.triage)
        )
        raw, keep = reader.open(str(uid), sealed)
        if keep is not None and kept is not None:
            kept[case_id] = keep  # read once through HPKE: the caller stores the cheap form
        summary = _summary(raw, labels) if raw is not None else None
        if summary is not None:
            found[case_id] = summary
    return found
