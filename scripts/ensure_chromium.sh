#!/usr/bin/env bash
# Browser tests use Debian's Chromium, never a downloaded browser.
set -uo pipefail
[ -x /usr/bin/chromium ] && { echo "chromium: $(/usr/bin/chromium --version 2>/dev/null)"; exit 0; }
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium..."
  apt-get update -qq >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1
fi
if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null)"
elif [ "${CI:-false}" = "true" ]; then
  echo "Chromium is missing and could not be installed; CI=true needs the browser tests."
  exit 1
else
  echo "SKIPPED: Chromium is not installed (not root or no apt); browser tests will be skipped."
fi
