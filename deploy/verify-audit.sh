#!/bin/sh
# The daily verification (the verify unit): verify_audit --expect the signed heads an auditor
# exported. Without a heads file it fails, loudly and every day, rather than verifying --lenient
# in silence: see the README, "The first signed heads". $1: the virtualenv's python.
set -eu
python="${1:?usage: verify-audit.sh PYTHON}"
heads="${AUDIT_HEADS_FILE:-}"
if [ -z "$heads" ]; then
  echo "verify_audit: AUDIT_HEADS_FILE is not set in the environment file; nothing to verify against." >&2
  exit 1
fi
if [ ! -r "$heads" ]; then
  echo "verify_audit: no signed heads at $heads yet. An auditor saves them from /audit/verify/" \
       "(\"Save the signed heads\") and the operator installs them:" \
       "install -m 0644 heads.jsonl $heads. Until then this check fails daily." >&2
  exit 1
fi
exec "$python" manage.py verify_audit --expect "$heads"
