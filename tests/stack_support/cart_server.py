"""A generic-protocol cart on 127.0.0.1 for stack tests: logs every request, misbehaves on cue.

Each request is logged (idempotency key, order id, arrival time, answer, whether the signature was
valid) before it is answered, so a test can assert what reached the cart even for requests whose
sender was killed or timed out. Behaviour is chosen per path: latency, status, Retry-After, a body
that is not OK, never answering, or waiting for a test's event before answering; a script of
behaviours (a 500 burst, say) is played first, then the path's standing behaviour.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Behaviour:
    status: int = 200
    body: str = "OK"
    latency: float = 0.0
    retry_after: str | None = None
    never_answer: bool = False  # accept the request, then say nothing until the server stops
    hold: threading.Event | None = None  # answer only once this is set (or the server stops)


@dataclass(frozen=True)
class Hit:
    path: str
    idempotency_key: str
    order_id: int | None
    event: str
    at: float  # time.monotonic() on arrival
    wall: float  # time.time() on arrival
    status: int
    signature_ok: bool | None  # None: the server was given no secret to check with


@dataclass
class _Route:
    standing: Behaviour = field(default_factory=Behaviour)
    script: list[Behaviour] = field(default_factory=list)


class CartServer:
    def __init__(self, *, secret: str | None = None, log_path: Path | None = None) -> None:
        self.secret = secret
        self.log_path = log_path
        self._routes: dict[str, _Route] = {}
        self._hits: list[Hit] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.cart = self
        self._thread: threading.Thread | None = None
        self._log_file = log_path.open("a", encoding="utf-8") if log_path else None

    # -- setup ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str = "/status") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def behave(self, path: str, behaviour: Behaviour) -> None:
        with self._lock:
            self._routes.setdefault(path, _Route()).standing = behaviour

    def script(self, path: str, behaviours: list[Behaviour]) -> None:
        with self._lock:
            self._routes.setdefault(path, _Route()).script = list(behaviours)

    def start(self) -> CartServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)
        if self._log_file is not None:
            self._log_file.close()

    def __enter__(self) -> CartServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what arrived -----------------------------------------------------------------------

    def hits(self, path: str | None = None) -> list[Hit]:
        with self._lock:
            return [h for h in self._hits if path is None or h.path == path]

    def wait_for(self, condition: Callable[[list[Hit]], bool], timeout: float = 20.0) -> list[Hit]:
        """Block until ``condition(all hits)`` holds; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(list(self._hits)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"the cart server did not see what was expected within {timeout} s "
                        f"({len(self._hits)} requests so far)"
                    )
                self._changed.wait(min(left, 0.2))
            return list(self._hits)

    # -- handler side -----------------------------------------------------------------------

    def _next_behaviour(self, path: str) -> Behaviour:
        with self._lock:
            route = self._routes.get(path)
            if route is None:
                return Behaviour()
            if route.script:
                return route.script.pop(0)
            return route.standing

    def _record(self, hit: Hit) -> None:
        with self._changed:
            self._hits.append(hit)
            if self._log_file is not None:
                self._log_file.write(json.dumps(hit.__dict__) + "\n")
                self._log_file.flush()
            self._changed.notify_all()

    def _signature_ok(self, headers: Any, body: bytes) -> bool | None:
        if self.secret is None:
            return None
        stamp = headers.get("X-OrderManager-Timestamp", "")
        expected = (
            "sha256="
            + hmac.new(
                self.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256
            ).hexdigest()
        )
        return hmac.compare_digest(expected, headers.get("X-OrderManager-Signature", ""))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    cart: CartServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a killed controller resets its connections: expected here, not worth a traceback


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real cart's web server would
    # Headers and body go out in two writes; without this, Nagle plus delayed ACKs add 40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the cart's own log is the Hit list

    def do_POST(self) -> None:
        cart = self.server.cart
        arrived, wall = time.monotonic(), time.time()
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if len(body) < length:
            # The sender died mid-request (SIGKILL): no request arrived, nothing to log.
            self.close_connection = True
            return
        behaviour = cart._next_behaviour(self.path)
        try:
            payload = json.loads(body)
            order_id = payload.get("order", {}).get("id")
            event = str(payload.get("event", ""))
        except ValueError:
            order_id, event = None, ""
        cart._record(
            Hit(
                path=self.path,
                idempotency_key=self.headers.get("Idempotency-Key", ""),
                order_id=order_id,
                event=event,
                at=arrived,
                wall=wall,
                status=0 if behaviour.never_answer else behaviour.status,
                signature_ok=cart._signature_ok(self.headers, body),
            )
        )
        if behaviour.never_answer:
            cart.stopping.wait()
            self.close_connection = True
            return
        if behaviour.hold is not None:
            while not behaviour.hold.wait(0.1) and not cart.stopping.is_set():
                pass
        if behaviour.latency:
            cart.stopping.wait(behaviour.latency)
        answer = behaviour.body.encode()
        try:
            self.send_response(behaviour.status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(answer)))
            if behaviour.retry_after is not None:
                self.send_header("Retry-After", behaviour.retry_after)
            self.end_headers()
            self.wfile.write(answer)
        except OSError:
            self.close_connection = True  # the sender went away (killed, timed out)


@contextmanager
def cart_server(**kwargs: Any) -> Iterator[CartServer]:
    server = CartServer(**kwargs)
    with server:
        yield server


def main() -> None:
    """``python -m tests.stack_support.cart_server``: a no-op OK cart in a process of its own (the
    benchmark keeps the cart off the GIL of the controller it measures). Prints its port."""
    import sys

    server = CartServer(secret=sys.argv[1] if len(sys.argv) > 1 else None)
    if len(sys.argv) > 2:  # latency in milliseconds, like a real cart's processing time
        server.behave("/status", Behaviour(latency=float(sys.argv[2]) / 1000))
    print(server.port, flush=True)
    server._server.serve_forever(0.05)


if __name__ == "__main__":
    main()
