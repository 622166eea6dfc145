"""A cart on 127.0.0.1 that speaks the generic protocol's download side as documented
(docs/generic-cart-protocol.md): signed GETs with action=orders, since and page; JSON pages.

Orders are plain dicts in the documented shape; a test edits them between cycles. Faults are
queued: each replaces the next request's answer (None: answer that one normally): 429 with
Retry-After, 500, a body that is not JSON, or no answer until the server stops (a timeout).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Fault:
    status: int = 500
    body: str = "Internal error"
    retry_after: str | None = None
    hang: bool = False  # answer nothing until the server stops
    content_type: str = "text/plain"


@dataclass(frozen=True)
class Request:
    action: str
    since: str
    page: str
    signature_ok: bool


def make_order(
    n: int, *, modified: str = "2026-11-20T10:00:00+00:00", **over: Any
) -> dict[str, Any]:
    order: dict[str, Any] = {
        "id": str(1000 + n),
        "number": f"G-{1000 + n}",
        "placed_at": "2026-11-20T09:00:00+01:00",
        "modified_at": modified,
        "status": "processing",
        "paid": True,
        "currency": "EUR",
        "customer": {"name": f"Customer {n}", "email": f"c{n}@example.com"},
        "billing": {
            "name": f"Customer {n}",
            "street1": "Main St 1",
            "city": "Berlin",
            "postcode": "10115",
            "country": "DE",
            "email": f"c{n}@example.com",
        },
        "shipping": {
            "name": f"Customer {n}",
            "street1": "Main St 1",
            "city": "Berlin",
            "postcode": "10115",
            "country": "DE",
        },
        "totals": {
            "subtotal": "20.00",
            "shipping": "4.90",
            "tax": "3.80",
            "discount": "0.00",
            "total": "28.70",
        },
        "items": [
            {"id": f"li-{n}-1", "sku": "MUG", "name": "Mug", "quantity": 2, "unit_price": "10.00"}
        ],
    }
    order.update(over)
    return order


class GenericCart:
    def __init__(self, secret: str, *, page_size: int = 3) -> None:
        self.secret = secret
        self.page_size = page_size
        self.orders: list[dict[str, Any]] = []
        self.faults: list[Fault | None] = []  # None: answer this request normally
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/ordermanager.php"

    def _matching(self, since: str) -> list[dict[str, Any]]:
        when = datetime.fromisoformat(since)

        def modified(order: dict[str, Any]) -> datetime:
            try:
                return datetime.fromisoformat(order["modified_at"]).astimezone(UTC)
            except (KeyError, TypeError, ValueError):
                return when  # a broken order is always "changed": the cart cannot tell

        chosen = [o for o in self.orders if modified(o) >= when]
        return sorted(chosen, key=lambda o: (modified(o), str(o.get("id"))))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        cart = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                raw_query = self.path.split("?", 1)[1] if "?" in self.path else ""
                query = {k: v[0] for k, v in parse_qs(raw_query).items()}
                timestamp = self.headers.get("X-OrderManager-Timestamp", "")
                expected = (
                    "sha256="
                    + hmac.new(
                        cart.secret.encode(), f"{timestamp}.{raw_query}".encode(), hashlib.sha256
                    ).hexdigest()
                )
                good = hmac.compare_digest(
                    expected, self.headers.get("X-OrderManager-Signature", "")
                )
                with cart._lock:
                    cart.requests.append(
                        Request(
                            query.get("action", ""),
                            query.get("since", ""),
                            query.get("page", ""),
                            good,
                        )
                    )
                    fault = cart.faults.pop(0) if cart.faults else None
                if fault is not None:
                    if fault.hang:
                        cart._stop.wait()
                        return
                    self._send(
                        fault.status, fault.body.encode(), fault.content_type, fault.retry_after
                    )
                    return
                if not good:
                    self._send(401, b"Bad signature", "text/plain")
                    return
                if query.get("action") != "orders":
                    self._send(400, b"Unknown action", "text/plain")
                    return
                with cart._lock:
                    matching = cart._matching(query.get("since", ""))
                page = int(query.get("page", "1"))
                start = (page - 1) * cart.page_size
                chunk = matching[start : start + cart.page_size]
                more = start + cart.page_size < len(matching)
                body = {
                    "orders": chunk,
                    "next_page": page + 1 if more else None,
                    "total": len(matching),
                }
                self._send(
                    200,
                    json.dumps(body, ensure_ascii=False).encode(),
                    "application/json; charset=utf-8",
                )

            def _send(
                self, status: int, body: bytes, content_type: str, retry_after: str | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def generic_cart(secret: str, *, page_size: int = 3) -> Iterator[GenericCart]:
    cart = GenericCart(secret, page_size=page_size)
    cart.start()
    try:
        yield cart
    finally:
        cart.stop()
