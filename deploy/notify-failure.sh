#!/bin/sh
# OnFailure= of every Safe Passage unit: the failure as a line at priority err in the journal
# (journalctl -p err; "<3>" is systemd's prefix for it), and a mail when an address is given and
# /usr/sbin/sendmail exists. Only the unit's name goes out: the mail holds no log line.
# $1: the failed unit, $2: an address to mail (optional).
unit="${1:-unknown unit}"
mail="${2:-}"
when=$(date -u +%Y-%m-%dT%H:%M:%SZ)
message="Safe Passage: $unit failed on $(hostname) at $when. See: journalctl -u $unit"
echo "<3>$message"
if [ -n "$mail" ] && [ -x /usr/sbin/sendmail ]; then
  printf 'To: %s\nSubject: %s\n\n%s\n' "$mail" "Safe Passage: $unit failed" "$message" \
    | /usr/sbin/sendmail -t || echo "<3>Safe Passage: the mail about $unit to $mail failed"
fi
exit 0
