"""What the worker runs (`manage.py db_worker`): the sending, queued when a notice is recorded.

A page only queues (one row in the task table, after its own transaction commits); the worker
speaks to the mail server. If queueing fails, or the worker is down, the notice is still
pending and the next sweep (`manage.py notify_sweep`) sends it.
"""

from __future__ import annotations

import logging

from django_tasks import task

from evacuation.notifications import sending

logger = logging.getLogger(__name__)


@task()
def send_notices() -> int:
    return sending.notices_send()


def enqueue_sending() -> None:
    try:
        send_notices.enqueue()
    except Exception as exc:  # the notice is stored: the sweep sends it
        logger.warning("Could not queue the notification mail (%s).", type(exc).__name__)
