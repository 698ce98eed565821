#!/usr/bin/env bash
# bandit (no high-severity finding) and pip-audit (no known vulnerability in the lock file).
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
if [ -x .venv/bin/bandit ]; then
  .venv/bin/bandit -q -r accounts audit config core evacuation vault --severity-level high -x '*/migrations/*' || status=1
else
  echo "bandit is not installed: skipped."
fi
if [ -x .venv/bin/pip-audit ]; then
  out=$(timeout 120 .venv/bin/pip-audit -r requirements.txt --no-deps --disable-pip \
        --progress-spinner off 2>/dev/null); rc=$?
  unaudited=$(grep -c "could not be audited" <<<"$out" || true)
  if [ "$rc" != 0 ] && [ "$rc" != 124 ]; then
    echo "$out"; status=1
  elif [ "$rc" = 124 ] || [ "$unaudited" -gt 0 ]; then
    echo "pip-audit: the vulnerability database was not reachable for $unaudited packages: reported, not checked."
  else
    echo "pip-audit: no known vulnerabilities in requirements.txt"
  fi
else
  echo "pip-audit is not installed: skipped."
fi
exit $status
