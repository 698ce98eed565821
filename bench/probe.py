"""Measurements that need a fresh process, so the peak resident memory is theirs alone.

    python -m bench.probe verify      # audit.verify.verify_database over the bench database

Prints one JSON line. Run by bench/run.py with the bench environment.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def verify() -> dict:
    import django

    django.setup()
    from audit.verify import verify_database

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = verify_database()
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "ok": result.ok,
        "summary": result.summary(),
        "checked": result.checked,
        "checkpoints": result.checkpoints_checked,
        "seconds": seconds,
        "rate": result.checked / seconds if seconds else 0.0,
        "rss_before_mib": before / 1024,
        "rss_peak_mib": after / 1024,
    }


def main(argv: list[str]) -> int:
    if argv[:1] != ["verify"]:
        print("usage: python -m bench.probe verify", file=sys.stderr)
        return 2
    print(json.dumps(verify()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
