"""Cleaning an uploaded file in a child process with a time and a memory limit.

`sanitise.sanitise_upload` runs image and PDF decoders over bytes a stranger chose. Its own limits
(size, pixels, pages) stop the obvious bombs, but a file can still be built to make a decoder
spin or swell. Run in the web worker, such a file would hold the worker until gunicorn kills it,
and the sender would see a proxy's error page. Here the decoders run in a forked child instead:
it gets FILE_CLEAN_SECONDS of wall time and FILE_CLEAN_MEMORY_BYTES of address space beyond what
it inherited, and a child that overruns is killed and the file refused with a message the sender
can act on. The plaintext travels over a pipe, never through a file on disk.

The child is forked, so it starts at once with the decoders already loaded. Forking is sound in
gunicorn's default sync workers, which run one thread; threaded workers (`--threads`) are not
supported for that reason.
"""

from __future__ import annotations

import multiprocessing
import resource
from multiprocessing.connection import Connection

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from evacuation.files import sanitise

TOO_COMPLEX = _(
    "This file is too complex to prepare for safe storage. Please send a smaller file, "
    "or photos of the pages instead."
)


@sensitive_variables()
def sanitise_isolated(data: bytes) -> sanitise.Sanitised:
    """`sanitise_upload(data)`, run in a limited child process. Raises FileRefused."""
    context = multiprocessing.get_context("fork")  # the child reuses the loaded decoders
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_clean_and_send, args=(data, sender), daemon=True)
    child.start()
    sender.close()
    try:
        outcome = _received(receiver, settings.FILE_CLEAN_SECONDS)
    finally:
        receiver.close()
        child.kill()  # harmless when it has already finished
        child.join()
    if outcome is None:
        raise sanitise.FileRefused(TOO_COMPLEX, code="too_complex")
    verdict, value = outcome
    if verdict == "refused":
        message, code, params = value
        raise sanitise.FileRefused(message, code=code, params=params)
    return value


def _received(receiver: Connection, seconds: float):
    """The child's answer, or None when it took too long, ran out of memory or died."""
    if not receiver.poll(seconds):
        return None
    try:
        return receiver.recv()
    except (EOFError, OSError):  # the child died before answering
        return None


def _clean_and_send(data: bytes, sender: Connection) -> None:
    """In the child: limit memory, clean, answer. multiprocessing ends it with os._exit, so
    nothing inherited from the worker (database connections, handlers) is closed or run."""
    _limit_memory(settings.FILE_CLEAN_MEMORY_BYTES)
    try:
        outcome = ("cleaned", sanitise.sanitise_upload(data))
    except sanitise.FileRefused as refusal:
        # Rendered here, in the language of the request the child was forked from.
        outcome = ("refused", (str(refusal.message), refusal.code, refusal.params))
    except Exception:  # MemoryError above all; say nothing: messages may quote the file
        outcome = None
    if outcome is not None:
        sender.send(outcome)
    sender.close()


def _limit_memory(extra_bytes: int) -> None:
    """Caps the child's address space at what it inherited plus `extra_bytes` (Linux; elsewhere,
    as on a developer's Mac, only the time limit holds)."""
    try:
        with open("/proc/self/statm") as statm:
            inherited = int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = inherited + extra_bytes
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
