#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
export SAFE_PASSAGE_ENV=development  # manage.py without a production SECRET_KEY
root=$(pwd)
.venv/bin/python manage.py makemessages -l ru --no-obsolete -v 0 --ignore=.venv --ignore=accounts --ignore=audit --ignore=evacuation --ignore=vault --ignore=tests --ignore=bench
for app in accounts audit evacuation vault; do
  [ -d "$app/locale" ] && (cd "$app" && "$root/.venv/bin/python" "$root/manage.py" makemessages -l ru --no-obsolete -v 0)
done
.venv/bin/python manage.py compilemessages --ignore=.venv -v 0
