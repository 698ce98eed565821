"""Measurements that need a fresh process, so the peak resident memory is theirs alone.

    python -m bench.probe verify      # audit.verify.verify_database over the bench database

Prints one JSON line. Run by bench/run.py with the bench environment.

The verification is the one the daily timer runs, `verify_audit --expect FILE`: strict, against
the signed heads an auditor keeps off the server. The file is what /audit/heads.jsonl gives
(the newest signed heads, as statement lines), written before the clock starts; reading and
parsing it back is timed with the verification, as the command does it.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path


def _status_kib(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def verify() -> dict:
    import django

    django.setup()
    from audit import selectors, signing
    from audit.management.commands.verify_audit import read_statements
    from audit.verify import verify_database
    from audit.views import HEADS_DOWNLOAD

    heads = Path(tempfile.mkdtemp(prefix="bench-heads-")) / "heads.jsonl"
    heads.write_text(
        "".join(
            signing.statement_line(
                signing.statement(
                    sequence=c.sequence,
                    hash=c.hash,
                    signed_at=c.created_at,
                    fingerprint=c.key_fingerprint,
                    signature=c.signature,
                )
            )
            + "\n"
            for c in selectors.checkpoints_newest_first()[:HEADS_DOWNLOAD]
        )
    )

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_start = _status_kib("VmRSS")
    # Reset the high-water mark so the peak below is the verification's own (Linux >= 4.0).
    try:
        Path("/proc/self/clear_refs").write_text("5")
        reset = True
    except OSError:
        reset = False
    start = time.perf_counter()
    statements = read_statements([str(heads)])
    result = verify_database(expect=statements)
    seconds = time.perf_counter() - start
    shutil.rmtree(heads.parent, ignore_errors=True)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hwm = _status_kib("VmHWM") if reset else after
    return {
        "ok": result.ok,
        "summary": result.summary(),
        "checked": result.checked,
        "checkpoints": result.checkpoints_checked,
        "expected": len(statements),
        "head_expected": max((item.sequence for item in statements), default=None),
        "seconds": seconds,
        "rate": result.checked / seconds if seconds else 0.0,
        "rss_before_mib": before / 1024,
        "rss_peak_mib": after / 1024,
        "rss_start_mib": rss_start / 1024,
        "verify_peak_mib": hwm / 1024,
    }


def main(argv: list[str]) -> int:
    if argv[:1] != ["verify"]:
        print("usage: python -m bench.probe verify", file=sys.stderr)
        return 2
    print(json.dumps(verify()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
