"""gunicorn's settings for Safe Passage (the web unit passes --config this file; the bind address,
the number of workers and --no-control-socket are on its command line, where they can be seen).

- Sync workers, never threads: each upload is cleaned in a forked child (evacuation/files).
- No access log: it would hold request paths (case references) and addresses.
- gunicorn's own error log ("Error handling request /staff/cases/EV-...") gets the same filter
  as Django's logs (core.logs.RedactFilter), in the master and in every worker, after every
  reload (SIGHUP sets gunicorn's log handlers up anew).
"""

from __future__ import annotations

import logging

worker_class = "sync"
timeout = 30
graceful_timeout = 25
accesslog = None
errorlog = "-"
loglevel = "info"
# Behind nginx only; a request line or header past these limits is refused before Django.
limit_request_line = 8190
forwarded_allow_ips = "127.0.0.1,::1"


def _redact_gunicorn_logs() -> None:
    # Imported here: gunicorn reads this file before it puts the app's folder (--chdir) on
    # sys.path; the hooks run after.
    from core.logs import install

    for name in ("gunicorn.error", "gunicorn.access"):
        for handler in logging.getLogger(name).handlers:
            install(handler)


def on_starting(server) -> None:
    _redact_gunicorn_logs()


def on_reload(server) -> None:
    _redact_gunicorn_logs()


def post_worker_init(worker) -> None:
    _redact_gunicorn_logs()
