#!/usr/bin/env bash
# Serve Safe Passage locally with demo data. Secrets stay in the ignored .local/ folder.
set -euo pipefail
cd "$(dirname "$0")/.."
export SAFE_PASSAGE_ENV="${SAFE_PASSAGE_ENV:-development}"
PY=.venv/bin/python

$PY manage.py compilemessages --ignore=.venv -v 0 2>/dev/null || echo "(msgfmt missing: using the committed .mo files)"
$PY manage.py migrate --noinput -v 0
$PY manage.py audit_keygen --if-missing
$PY manage.py seed_demo
# The audit signer runs beside the web server, as in production (where it is its own user).
$PY manage.py audit_signer --interval 10 &
signer=$!
# The notification worker sends what pages queue (in development the mail is printed here:
# EMAIL_BACKEND is the console); the sweep, every minute, sends what came with time.
$PY manage.py db_worker --no-reload --interval 2 &
worker=$!
(while sleep 60; do $PY manage.py notify_sweep --verbosity 0 || true; done) &
sweeper=$!
trap 'kill "$signer" "$worker" "$sweeper" 2>/dev/null || true' EXIT INT TERM
echo "Serving on http://127.0.0.1:8000  (Ctrl-C stops)"
.venv/bin/gunicorn config.wsgi --bind 127.0.0.1:8000 --workers 2 --no-control-socket --access-logfile /dev/null
