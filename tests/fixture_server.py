"""A local HTTP server on 127.0.0.1 that serves fixture sites and injects faults.

Each path has a queue of planned responses; the last one repeats. A planned response is a
:class:`Reply` (status, headers, body) or a fault: ``RESET`` closes the connection without an
answer, ``Stall(seconds)`` answers late, ``Truncated(body)`` declares more bytes than it sends,
``Drip`` sends a body slowly, ``Unframed`` sends one without a length.
Every request is recorded for assertions.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"


@dataclass
class Stall:
    seconds: float
    then: Reply = field(default_factory=Reply)


@dataclass
class Truncated:
    body: bytes
    declared: int
    content_type: str = "application/zip"


@dataclass
class Drip:
    """A body sent ``chunk`` by ``chunk`` with a pause between, each pause shorter than a read timeout."""

    chunk: bytes
    every_s: float
    count: int
    content_type: str = "application/zip"


@dataclass
class Unframed:
    """A body without Content-Length, ended by closing the connection: a cut is indistinguishable from the end."""

    body: bytes
    content_type: str = "application/zip"


RESET = "reset"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FixtureServer:
    """Serve planned responses; use as a context manager or through the ``fixture_server`` fixture."""

    def __init__(self):
        self.routes: dict[str, list] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append(Seen(self.command, self.path, dict(self.headers), body))
                plan = server._next(self.path)
                if plan is None:
                    plan = Reply(b"not found", status=404, content_type="text/plain")
                if plan == RESET:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.connection.close()
                    self.close_connection = True
                    return
                if isinstance(plan, Stall):
                    time.sleep(plan.seconds)
                    plan = plan.then
                if isinstance(plan, Drip):
                    self.send_response(200)
                    self.send_header("Content-Type", plan.content_type)
                    self.send_header("Content-Length", str(len(plan.chunk) * plan.count))
                    self.end_headers()
                    for _ in range(plan.count):
                        self.wfile.write(plan.chunk)
                        self.wfile.flush()
                        time.sleep(plan.every_s)
                    return
                if isinstance(plan, Unframed):
                    self.send_response(200)
                    self.send_header("Content-Type", plan.content_type)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(plan.body)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if isinstance(plan, Truncated):
                    self.send_response(200)
                    self.send_header("Content-Type", plan.content_type)
                    self.send_header("Content-Length", str(plan.declared))
                    self.end_headers()
                    self.wfile.write(plan.body)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.send_response(plan.status)
                self.send_header("Content-Type", plan.content_type)
                self.send_header("Content-Length", str(len(plan.body)))
                for name, value in plan.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(plan.body)

            def _handle_quietly(self):
                try:
                    self._handle()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (a timeout test): nothing to answer

            do_GET = do_POST = do_HEAD = _handle_quietly

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def _next(self, path: str):
        with self._lock:
            queue = self.routes.get(path)
            if queue is None:
                queue = self.routes.get(path.split("?", 1)[0])
            if not queue:
                return None
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def plan(self, path: str, *responses) -> None:
        """Queue responses for a path (exact, or without the query string)."""
        with self._lock:
            self.routes[path] = list(responses)

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path or r.path.split("?", 1)[0] == path)

    def __enter__(self) -> FixtureServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
