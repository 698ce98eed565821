"""Writes a screenshot of every applicant page state, in English and Russian, at 390 x 844 and
1366 x 768 with JavaScript off, to .local/screenshots/ (ignored by git):

    .venv/bin/python scripts/screenshots.py

It runs tests/browser/test_screenshots.py (a live server with test data, as the browser tests
do), which `make test` skips."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    env = {**os.environ, "SAFE_PASSAGE_SCREENSHOTS": "1"}
    env.pop("DATABASE_URL", None)  # SQLite, as the browser tests run
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [
        str(ROOT / ".venv" / "bin" / "pytest"),
        "-q",
        "-p",
        "no:cacheprovider",
        "--tb=short",
        "tests/browser/test_screenshots.py",
        *sys.argv[1:],
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, check=False)  # noqa: S603 (our own pytest)
    if done.returncode == 0:
        print(f"Screenshots in {ROOT / '.local' / 'screenshots'}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
