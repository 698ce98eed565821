"""A small bounded HTTP/1.1 load client (asyncio, raw sockets, loopback only).

Why our own: locust is heavy and httpx is not installed. Every virtual client is one browser:
its own cookie jar, its own connection (reopened whenever gunicorn's sync workers close it,
which they do after every response). Each run is bounded by a request count AND a time limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

CSRF_INPUT_RE = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
# The applicant's pages set no cookie: their forms carry a signed token instead (core.tokens).
FORM_TOKEN_RE = re.compile(rb'name="form_token" value="([^"]+)"')
REQUEST_TIMEOUT_S = 120.0


class HTTPError(Exception):
    """A response that could not be read (connection reset, malformed, timed out)."""


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return None


class Browser:
    """One virtual client: a cookie jar and a connection to 127.0.0.1:port."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        if host not in {"127.0.0.1", "localhost", "::1"}:
            raise ValueError("The bench client only talks to loopback.")
        self.host = host
        self.port = port
        self.cookies: dict[str, str] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    async def _connect(self) -> None:
        await self.close()
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def request(
        self,
        method: str,
        path: str,
        *,
        form: dict | list | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        try:
            return await asyncio.wait_for(
                self._request(method, path, form=form, headers=headers), REQUEST_TIMEOUT_S
            )
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            await self.close()
            raise HTTPError(f"{type(exc).__name__}") from exc

    async def get(self, path: str) -> Response:
        return await self.request("GET", path)

    async def post(self, path: str, form: dict | list) -> Response:
        return await self.request("POST", path, form=form)

    async def _request(self, method, path, *, form, headers) -> Response:
        body = urlencode(form, doseq=True).encode() if form is not None else b""
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}",
            "User-Agent: safe-passage-bench/1",
            "Accept: text/html",
            "Connection: keep-alive",
        ]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if form is not None:
            lines.append("Content-Type: application/x-www-form-urlencoded")
        if form is not None or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        for key, value in (headers or {}).items():
            lines.append(f"{key}: {value}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        if self._writer is None or self._writer.is_closing():
            await self._connect()
        try:
            self._writer.write(raw)
            await self._writer.drain()
            response = await self._read_response()
        except (ConnectionError, asyncio.IncompleteReadError):
            # The server closed an idle kept-alive connection: one fresh try.
            await self._connect()
            self._writer.write(raw)
            await self._writer.drain()
            response = await self._read_response()
        if (response.header("connection") or "").lower() == "close":
            await self.close()
        return response

    async def _read_response(self) -> Response:
        reader = self._reader
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = []
        for line in header_lines:
            if not line:
                continue
            key, _, value = line.partition(":")
            headers.append((key.strip().lower(), value.strip()))
        response = Response(status, headers, b"")
        if response.header("transfer-encoding") == "chunked":
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                chunks.append(await reader.readexactly(size))
                await reader.readexactly(2)
            response.body = b"".join(chunks)
        elif (length := response.header("content-length")) is not None:
            response.body = await reader.readexactly(int(length))
        elif status not in (204, 304):
            response.body = await reader.read()
            await self.close()
        for key, value in headers:
            if key == "set-cookie":
                self._store_cookie(value)
        return response

    def _store_cookie(self, value: str) -> None:
        first, *attributes = value.split(";")
        name, _, cookie = first.strip().partition("=")
        expired = any(
            a.strip().lower().startswith(("max-age=0", "expires=thu, 01 jan 1970"))
            for a in attributes
        )
        if expired or cookie in ("", '""'):
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = cookie

    async def csrf_token(self, path: str) -> str:
        """GETs a form page; returns its CSRF form token (the cookie is kept in the jar)."""
        response = await self.get(path)
        match = CSRF_INPUT_RE.search(response.body)
        if response.status != 200 or not match:
            raise HTTPError(f"no CSRF token on {path} (status {response.status})")
        return match.group(1).decode()

    async def form_token(self, path: str) -> str:
        """GETs an applicant form page; returns its signed `form_token` (no cookie is involved:
        the intake's is one-time, so every intake POST needs a fresh GET)."""
        response = await self.get(path)
        match = FORM_TOKEN_RE.search(response.body)
        if response.status != 200 or not match:
            raise HTTPError(f"no form_token on {path} (status {response.status})")
        return match.group(1).decode()


# --- load runs -----------------------------------------------------------------------------------


@dataclass
class LoadResult:
    label: str
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    # When each successful action finished, in seconds from the run's start.
    finished: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    wall_s: float = 0.0
    stopped_by_time: bool = False

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rps(self) -> float:
        return self.ok / self.wall_s if self.wall_s else 0.0

    def rps_within(self, seconds: float) -> float:
        """Successes per second counting only those finished within the first `seconds`: the
        steady rate, without the tail in which the last requests drain from a busy server."""
        return sum(1 for t in self.finished if t <= seconds) / seconds if seconds else 0.0

    def pct(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.4999)))
        return ordered[rank - 1] * 1000

    def line(self) -> str:
        return (
            f"{self.label}: {self.ok} ok, {self.error_count} errors, "
            f"{self.rps:.1f} req/s, p50 {self.pct(50):.1f} ms, p95 {self.pct(95):.1f} ms, "
            f"p99 {self.pct(99):.1f} ms{' (time limit)' if self.stopped_by_time else ''}"
        )


# setup(browser) -> state; action(browser, state) -> None on success or an error label
Setup = Callable[[Browser], Awaitable[object]]
Action = Callable[[Browser, object], Awaitable[str | None]]


async def load_run(
    *,
    label: str,
    port: int,
    concurrency: int,
    requests: int,
    max_seconds: float,
    setup: Setup,
    action: Action,
    progress: Callable[[int], None] | None = None,
    browsers: list[Browser] | None = None,
) -> LoadResult:
    """`concurrency` clients share a budget of `requests` actions; stops at `max_seconds`.
    Only `action` is timed (setup, e.g. fetching the CSRF token, is not)."""
    result = LoadResult(label=label, concurrency=concurrency)
    own = browsers is None
    browsers = browsers or [Browser(port) for _ in range(concurrency)]
    states = await asyncio.gather(*(setup(b) for b in browsers))
    budget = iter(range(requests))
    start = time.perf_counter()
    deadline = start + max_seconds

    async def worker(browser: Browser, state: object) -> None:
        for _ in budget:
            if time.perf_counter() > deadline:
                result.stopped_by_time = True
                return
            began = time.perf_counter()
            try:
                problem = await action(browser, state)
            except HTTPError as exc:
                problem = f"transport: {exc}"
            if problem is None:
                ended = time.perf_counter()
                result.latencies.append(ended - began)
                result.finished.append(ended - start)
            else:
                result.errors[problem] += 1
            if progress is not None:
                progress(1)

    await asyncio.gather(*(worker(b, s) for b, s in zip(browsers, states, strict=True)))
    result.wall_s = time.perf_counter() - start
    if own:
        await asyncio.gather(*(b.close() for b in browsers))
    return result
