"""Screenshots of every applicant page, in every state, in English and Russian, on a phone
(390 x 844) and a laptop (1366 x 768), JavaScript off: PNGs in .local/screenshots/ (ignored by
git) for a person to look at. Not part of `make test` (it asserts only that each page fits its
width); run it with `.venv/bin/python scripts/screenshots.py`."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.test_accessibility import applicant_states, case_with_correspondence

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("SAFE_PASSAGE_SCREENSHOTS") != "1",
        reason="screenshots are taken by scripts/screenshots.py",
    ),
]

FOLDER = Path(__file__).resolve().parents[2] / ".local" / "screenshots"
SIZES = [(390, 844), (1366, 768)]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_screenshots_of_every_applicant_page(live_server, browser, team, language):
    FOLDER.mkdir(parents=True, exist_ok=True)
    for old in FOLDER.glob(f"{language}-*.png"):
        old.unlink()
    _reference, code = case_with_correspondence(team, language)
    context = browser.new_context(
        java_script_enabled=False, locale="en-GB", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    too_wide = []
    states = 0
    try:
        for number, state in enumerate(applicant_states(page, live_server.url, language, code)):
            states += 1
            for width, height in SIZES:
                page.set_viewport_size({"width": width, "height": height})
                name = f"{language}-{width}-{number:02d}-{_slug(state)}.png"
                page.screenshot(path=str(FOLDER / name), full_page=True)
                if page.locator("html").bounding_box()["width"] > width:
                    too_wide.append(name)
            page.set_viewport_size({"width": 390, "height": 844})
    finally:
        context.close()
    assert states >= 20
    assert len(list(FOLDER.glob(f"{language}-*.png"))) == len(SIZES) * states
    assert not too_wide, too_wide
