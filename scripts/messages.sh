#!/usr/bin/env bash
# Brings every catalogue (.po) up to date with the sources, then compiles them all (.mo).
#
# The applicant's pages (the evacuation app and the project's own templates and error pages) are
# in every language of settings.LANGUAGES; the staff-only apps in Russian only (the staff pages
# are in English and Russian: settings.STAFF_LANGUAGES). A new language's catalogues start with
# Django's Plural-Forms for it: set the CLDR rule and the X-Review-State header ("unreviewed
# (machine-assisted, YYYY-MM)" until a native speaker has checked it, then "reviewed (...)").
set -euo pipefail
cd "$(dirname "$0")/.."
export SAFE_PASSAGE_ENV=development  # manage.py without a production SECRET_KEY
root=$(pwd)
# settings.TRANSLATIONS without English (the source) and settings.STAFF_LANGUAGES likewise.
read -r -a applicant_languages <<<"$(.venv/bin/python manage.py shell --no-imports -c \
  'from django.conf import settings as s; print(*(c for c, _ in s.TRANSLATIONS if c != "en"))')"
read -r -a staff_languages <<<"$(.venv/bin/python manage.py shell --no-imports -c \
  'from django.conf import settings as s; print(*(c for c in s.STAFF_LANGUAGES if c != "en"))')"
staff_apps=(accounts audit reports vault)

lang_args() { for language in "$@"; do printf -- '-l %s ' "$language"; done; }

# The project's own catalogue (locale/): config, core, templates; each app has its own.
# shellcheck disable=SC2046
.venv/bin/python manage.py makemessages $(lang_args "${applicant_languages[@]}") --no-obsolete -v 0 \
  --ignore=.venv --ignore=accounts --ignore=audit --ignore=evacuation --ignore=reports \
  --ignore=vault --ignore=tests --ignore=bench --ignore=staticfiles --ignore=deploy --ignore=docs
# shellcheck disable=SC2046
(cd evacuation && "$root/.venv/bin/python" "$root/manage.py" makemessages \
  $(lang_args "${applicant_languages[@]}") --no-obsolete -v 0)
for app in "${staff_apps[@]}"; do
  if [ -d "$app/locale" ]; then
    # shellcheck disable=SC2046
    (cd "$app" && "$root/.venv/bin/python" "$root/manage.py" makemessages \
      $(lang_args "${staff_languages[@]}") --no-obsolete -v 0)
  fi
done
.venv/bin/python manage.py compilemessages --ignore=.venv -v 0
