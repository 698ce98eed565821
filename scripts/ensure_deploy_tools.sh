#!/usr/bin/env bash
# The install test (tests/deploy/test_install.py) drives Debian's nginx and tor and checks unit
# files with systemd-analyze: installed here with apt when this runs as root and one is missing.
# Their services are not started (the test runs its own nginx; tor only checks its config).
set -uo pipefail
need=()
command -v nginx >/dev/null || need+=(nginx)
command -v tor >/dev/null || need+=(tor)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v openssl >/dev/null || need+=(openssl)
/usr/bin/python3.11 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3.11-venv)
if [ "${#need[@]}" -gt 0 ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's ${need[*]} for the install test..."
  apt-get update -qq >/dev/null 2>&1
  # policy-rc.d exit 101: nothing the packages bring is started while they install.
  created=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    created=yes
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1
  [ -n "$created" ] && rm -f /usr/sbin/policy-rc.d
fi
missing=()
for tool in nginx tor systemd-analyze openssl; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ "${#missing[@]}" = 0 ]; then
  echo "install test tools: $(nginx -v 2>&1), $(tor --version | head -1)"
elif [ "${CI:-false}" = "true" ]; then
  echo "The install test needs ${missing[*]}, which could not be installed; CI=true needs it."
  exit 1
else
  echo "SKIPPED: ${missing[*]} missing (not root or no apt); the install test will be skipped."
fi
