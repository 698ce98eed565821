"""A small HTTPS client for the install test: it connects from a chosen loopback address (so the
logs can be searched for it afterwards), keeps cookies, and reads forms the way the applicant
pages' tests do. Also a TCP relay to PostgreSQL that the test can cut, and a raw PROXY-protocol
request, as tor sends it to the onion listener."""

from __future__ import annotations

import contextlib
import html
import http.client
import re
import socket
import ssl
import threading
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    cookies: list[str]
    body: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def _answer(response: http.client.HTTPResponse) -> Answer:
    headers = {name.lower(): value for name, value in response.getheaders()}
    cookies = response.headers.get_all("Set-Cookie") or []
    return Answer(response.status, headers, cookies, response.read().decode("utf-8", "replace"))


@dataclass
class Visitor:
    """One browser, over HTTPS to nginx on 127.0.0.1:`port`, naming `host`, from `source`."""

    port: int
    host: str
    source: str
    language: str = "en"
    jar: dict[str, str] = field(default_factory=dict)
    last: Answer | None = None

    def request(self, method: str, path: str, data: dict | None = None, **headers) -> Answer:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the test's self-signed certificate
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.port, source_address=(self.source, 0), context=context, timeout=60
        )
        sent = {
            "Host": f"{self.host}:{self.port}",
            "Accept-Language": self.language,
            "User-Agent": "safe-passage-install-test",
        }
        if self.jar:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Origin"] = f"https://{self.host}:{self.port}"
            sent["Referer"] = f"https://{self.host}:{self.port}{path}"
        sent.update({name.replace("_", "-"): value for name, value in headers.items()})
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = _answer(connection.getresponse())
        finally:
            connection.close()
        for line in answer.cookies:
            cookie = SimpleCookie()
            cookie.load(line)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value or morsel.value == '""':
                    self.jar.pop(name, None)
                else:
                    self.jar[name] = morsel.value
        self.last = answer
        return answer

    def get(self, path: str, **headers) -> Answer:
        return self.request("GET", path, **headers)

    def post(self, path: str, data: dict, **headers) -> Answer:
        return self.request("POST", path, data, **headers)

    def form(self, name: str, /) -> tuple[str, dict[str, str]]:
        """(action, hidden fields) of the applicant form `data-form="name"` on the last page."""
        match = re.search(
            rf'<form method="post" action="([^"]+)"[^>]*data-form="{re.escape(name)}"[^>]*>'
            r"(.*?)</form>",
            self.last.body,
            re.S,
        )
        assert match, f"no {name!r} form on the page:\n{self.last.body[:2000]}"
        return html.unescape(match.group(1)), hidden_fields(match.group(2))

    def act(self, form_name: str, /, **fields) -> Answer:
        action, data = self.form(form_name)
        return self.post(action, {**data, **fields})


def hidden_fields(text: str) -> dict[str, str]:
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', text)
    }


def proxy_request(port: int, source: str, host: str, request: bytes) -> bytes:
    """One request to nginx's proxy_protocol listener, after the PROXY line tor would send for a
    circuit (HiddenServiceExportCircuitID haproxy: the source is the circuit's address)."""
    family = "TCP6" if ":" in source else "TCP4"
    destination = "::1" if family == "TCP6" else "127.0.0.1"
    line = f"PROXY {family} {source} {destination} 41000 80\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(line + request.replace(b"{host}", host.encode()))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def raw_get(path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {{host}}\r\nAccept-Language: en\r\nConnection: close\r\n\r\n"
    ).encode()


def raw_post(path: str, data: dict) -> bytes:
    body = urlencode(data, doseq=True).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {{host}}\r\nConnection: close\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


def split_answer(raw: bytes) -> tuple[int, dict[str, str], str]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body.decode("utf-8", "replace")


class Relay:
    """127.0.0.1:port -> PostgreSQL, until cut(): then every connection through it is closed
    and new ones are refused, as when the database server stops (the shared server is never
    touched)."""

    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:  # accepted while being cut
                client.close()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.open = False
        # shutdown() wakes the thread blocked in accept(); close() alone would not, and the
        # listening socket would take one more connection.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()
