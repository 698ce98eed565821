#!/usr/bin/env bash
# Browser tests use Debian's Chromium, never a downloaded browser, with Debian's Noto fonts
# (fonts-noto-core) so that Georgian, Armenian and the other scripts of the applicant's languages
# render as letters, not boxes, in the accessibility tests' contrast and reflow checks.
set -uo pipefail
FONTS=(fonts-noto-core)

have_fonts() {
  command -v fc-list >/dev/null || return 1
  local families
  families="$(fc-list : family 2>/dev/null)"
  grep -q "Noto Sans Georgian" <<<"$families" && grep -q "Noto Sans Armenian" <<<"$families"
}

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
have_fonts || missing+=("${FONTS[@]}")

if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's ${missing[*]}..."
  apt-get update -qq >/dev/null 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null 2>&1
fi

if have_fonts; then
  echo "fonts: Noto Sans Georgian and Armenian (${FONTS[*]})"
else
  echo "WARNING: ${FONTS[*]} is not installed (not root or no apt): Georgian and Armenian may render as boxes."
fi

if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null)"
elif [ "${CI:-false}" = "true" ]; then
  echo "Chromium is missing and could not be installed; CI=true needs the browser tests."
  exit 1
else
  echo "SKIPPED: Chromium is not installed (not root or no apt); browser tests will be skipped."
fi
