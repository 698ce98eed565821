#!/usr/bin/env bash
# Install Safe Passage on a Debian 12 server, as root: see the README ("Production") and
# `deploy/install.sh --help`. This wrapper checks what the installer needs from Debian (Python
# 3.11 with venv, openssl; nginx and tor for the site and the onion service), installs what is
# missing with apt-get, then runs deploy/install.py, which does the rest. Run it again at any
# time: it changes only what changed (a new version is installed the same way).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python=/usr/bin/python3.11
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --python) python="${args[$((i + 1))]:-$python}" ;;
    --python=*) python="${args[$i]#--python=}" ;;
    -h|--help) exec "${python}" "$here/install.py" --help ;;
  esac
done
if [ "$(id -u)" != 0 ]; then
  echo "install.sh: run it as root (it creates system users and writes system files)." >&2
  exit 1
fi
missing=()
"$python" -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3.11-venv)
command -v openssl >/dev/null || missing+=(openssl)
command -v nginx >/dev/null || missing+=(nginx)
command -v tor >/dev/null || missing+=(tor)
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "install.sh: missing ${missing[*]}, and there is no apt-get to install them." >&2
    exit 1
  fi
  echo "Installing Debian's ${missing[*]} ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
[ -x "$python" ] || { echo "install.sh: $python is missing (apt-get install python3.11)." >&2; exit 1; }
exec "$python" "$here/install.py" "$@"
