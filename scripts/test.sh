#!/usr/bin/env bash
# Every check and test: lint, SQLite, PostgreSQL, browser. Under CI=true nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
# pytest runs on tests/settings.py (pyproject.toml); manage.py here (compilemessages) needs only a
# configuration that starts without a production SECRET_KEY.
export SAFE_PASSAGE_ENV=development
# An exported DJANGO_SETTINGS_MODULE would beat pyproject.toml's tests.settings for pytest.
unset DJANGO_SETTINGS_MODULE
PY=.venv/bin/python
CI="${CI:-false}"
PG_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/safe_passage}"

step() { printf '\n== %s\n' "$*"; }

step "lint"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

step "import layering"
.venv/bin/lint-imports

step "translations"
if command -v msgfmt >/dev/null; then
  $PY manage.py compilemessages --ignore=.venv -v 0
else
  echo "msgfmt missing: using the committed .mo files"
fi

step "browser"
scripts/ensure_chromium.sh

step "security scanners"
scripts/scan.sh

step "install test tools (nginx, tor, systemd-analyze) and PostgreSQL"
scripts/ensure_deploy_tools.sh
# The install test (marker install, SQLite pass) installs into a fresh PostgreSQL database.
scripts/ensure_postgres.sh || echo "PostgreSQL is not up yet: the install test will say so."

step "tests on SQLite, with the browser tests and the install test"
unset DATABASE_URL
.venv/bin/pytest -q

step "tests on PostgreSQL (the browser and install tests ran once, above)"
if scripts/ensure_postgres.sh; then
  DATABASE_URL="$PG_URL" .venv/bin/pytest -q -m "not browser and not install"
else
  if [ "$CI" = "true" ]; then
    echo "PostgreSQL is not available and CI=true: failing."
    exit 1
  fi
  echo "SKIPPED: PostgreSQL is not available on this machine; the PostgreSQL pass did not run."
fi
