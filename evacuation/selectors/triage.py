"""The queue's triage summaries, opened with the session's triage reader (vault.triage): the
one exception to "every decryption needs an opening" (evacuation/rules.py: TRIAGE). The caller
records which references were shown (evacuation/services/triage.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass

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


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return ""


def _summary(raw: bytes) -> TriageSummary | None:
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
        region=_label(RegionNow, data.get("region_now")),
        help=tuple(label for label in (_label(HelpNeeded, h) for h in helps) if label),
        people=people if isinstance(people, int) else None,
        children=_yes_no(data.get("children")),
        language=LANGUAGE_NAMES.get(language, ""),
        language_code=language if language in LANGUAGE_NAMES else "",
        referred=_yes_no(data.get("referred")),
    )


def _yes_no(value) -> bool | None:
    return {YesNo.YES: True, YesNo.NO: False}.get(value)


def summaries(rows, reader) -> dict[int, TriageSummary]:
    """Case id -> its summary, for the rows whose summary opens; no query (each row, a case or
    a queue row dict, carries its id, uid and sealed `triage`). `reader` is
    StaffKeys.triage_reader() (None: nothing is shown)."""
    if reader is None:
        return {}
    found = {}
    for row in rows:
        case_id, uid, sealed = (
            (row["id"], row["uid"], row["triage"])
            if isinstance(row, dict)
            else (row.pk, row.uid, row.triage)
        )
        raw = reader.open(str(uid), bytes(sealed or b""))
        summary = _summary(raw) if raw is not None else None
        if summary is not None:
            found[case_id] = summary
    return found
