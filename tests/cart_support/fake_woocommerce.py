"""A WooCommerce store on 127.0.0.1 that answers REST API v3 the way the docs describe.

What it does like a real store (reference/cart-apis.md section 1): over plain HTTP only one-legged
OAuth 1.0a is accepted (signature over METHOD&URL&sorted params with "<secret>&", nonces used
once, timestamps within 15 minutes); ``GET orders`` filters on ``modified_after`` against the GMT
columns when ``dates_are_gmt=true`` and against the site-local ones otherwise, sorts, pages with
``page``/``per_page`` (at most 100) and sets ``X-WP-Total``/``X-WP-TotalPages``; ``PUT`` to an
unknown order is 400 ``woocommerce_rest_shop_order_invalid_id``; notes are created with 201;
unknown routes are 404 ``rest_no_route``. Faults are scripted per route ("orders", "order",
"notes"): a status with Retry-After, a malformed body, or no answer until the server stops.
Every request is recorded before it is answered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

STORE_OFFSET = timedelta(hours=10)  # the store's local time is UTC+10 (dates differ from GMT)


@dataclass(frozen=True)
class Fault:
    status: int = 500
    body: str | None = None  # None: a WordPress-style JSON error
    retry_after: str | None = None
    hang: bool = False  # never answer (until the server stops): the client times out


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # below /wp-json/wc/v3/, e.g. "orders" or "orders/7/notes"
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # parsed JSON, or None
    auth_ok: bool


def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def make_order(
    order_id: int,
    *,
    modified: datetime,
    number: str | None = None,
    status: str = "processing",
    first_name: str = "Ada",
    last_name: str = "Lovelace",
    total: str = "43.98",
    paid: bool = True,
    items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An order as WooCommerce returns it, ``modified`` aware UTC; created one hour earlier."""
    created = modified - timedelta(hours=1)

    def both(name: str, moment: datetime | None) -> dict[str, Any]:
        if moment is None:
            return {name: None, f"{name}_gmt": None}
        return {name: _fmt(moment + STORE_OFFSET), f"{name}_gmt": _fmt(moment)}

    return {
        "id": order_id,
        "number": number if number is not None else str(order_id),
        "status": status,
        "currency": "EUR",
        **both("date_created", created),
        **both("date_modified", modified),
        **both("date_paid", created if paid else None),
        "discount_total": "0.00",
        "shipping_total": "5.00",
        "total_tax": "0.00",
        "total": total,
        "billing": {
            "first_name": first_name,
            "last_name": last_name,
            "company": "",
            "address_1": "1 Analytical Row",
            "address_2": "",
            "city": "London",
            "state": "",
            "postcode": "N1 7AA",
            "country": "GB",
            "email": "ada@example.org",
            "phone": "+44 20 0000",
        },
        "shipping": {
            "first_name": first_name,
            "last_name": last_name,
            "company": "",
            "address_1": "1 Analytical Row",
            "address_2": "",
            "city": "London",
            "state": "",
            "postcode": "N1 7AA",
            "country": "gb",
        },
        "line_items": items
        if items is not None
        else [
            {
                "id": order_id * 10,
                "name": "Engine card",
                "sku": "ENG-1",
                "quantity": 2,
                "subtotal": "38.98",
                "total": "38.98",
                "price": 19.49,
            }
        ],
    }


def _php_rawurlencode(value: str) -> str:
    return quote(value, safe="-_.~")


def expected_signature(method: str, url: str, params: dict[str, str], secret: str) -> str:
    """WC_REST_Authentication::check_oauth_signature, transcribed (normalise, sort, join)."""
    normal = {
        _php_rawurlencode(unquote(k)): _php_rawurlencode(unquote(v)) for k, v in params.items()
    }
    query = "%26".join(f"{k}%3D{normal[k]}" for k in sorted(normal))
    base = f"{method}&{_php_rawurlencode(url)}&{query}"
    algorithm = (
        hashlib.sha256 if params.get("oauth_signature_method") == "HMAC-SHA256" else hashlib.sha1
    )
    digest = hmac.new(f"{secret}&".encode(), base.encode(), algorithm).digest()
    return base64.b64encode(digest).decode()


@dataclass
class FakeWooCommerce:
    consumer_key: str = "ck_test_0123456789abcdef"
    consumer_secret: str = "cs_test_fedcba9876543210"
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._nonces: set[str] = set()
        # Serving 50,000 orders (the benchmark) must not cost the store a sort and a JSON dump
        # per request: each order's JSON is kept, and the GMT-sorted index is rebuilt on change.
        self._encoded: dict[int, bytes] = {}
        self._by_gmt: list[tuple[str, int]] | None = None
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.store = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, *orders: dict[str, Any]) -> None:
        with self._lock:
            for order in orders:
                self.orders[int(order["id"])] = order
                self._encoded.pop(int(order["id"]), None)
            self._by_gmt = None

    def fail(self, route: str, *faults: Fault) -> None:
        with self._lock:
            self.faults.setdefault(route, []).extend(faults)

    def seen(self, method: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if method is None or r.method == method]

    def __enter__(self) -> FakeWooCommerce:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)

    # -- handler side -----------------------------------------------------------------------

    def check_auth(self, method: str, url: str, query: dict[str, str], header: str) -> str | None:
        """None when the request is signed right, else the WooCommerce error message."""
        if not header.startswith("OAuth "):
            return "Consumer key is missing."  # plain HTTP: Basic and query keys are not read
        oauth = {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', header[6:])}
        if oauth.get("oauth_consumer_key") != self.consumer_key:
            return "Consumer key is invalid."
        try:
            stamp = int(oauth.get("oauth_timestamp", ""))
        except ValueError:
            return "Invalid timestamp."
        if abs(time.time() - stamp) > 15 * 60:
            return "Invalid timestamp."
        given = oauth.pop("oauth_signature", "")
        wanted = expected_signature(method, url, {**query, **oauth}, self.consumer_secret)
        if not hmac.compare_digest(given, wanted):
            return "Invalid signature - provided signature does not match."
        with self._lock:
            nonce = oauth.get("oauth_nonce", "")
            if not nonce or nonce in self._nonces:
                return "Invalid nonce - nonce has already been used."
            self._nonces.add(nonce)
        return None

    def next_fault(self, route: str) -> Fault | None:
        with self._lock:
            queue = self.faults.get(route)
            return queue.pop(0) if queue else None

    def list_orders(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        try:
            per_page = int(query.get("per_page", "10"))
            page = int(query.get("page", "1"))
        except ValueError:
            return 400, _error("rest_invalid_param", "Invalid parameter(s): page", 400), {}
        if not 1 <= per_page <= 100:
            return 400, _error("rest_invalid_param", "Invalid parameter(s): per_page", 400), {}
        gmt = query.get("dates_are_gmt") == "true"
        column = "date_modified_gmt" if gmt else "date_modified"
        after = query.get("modified_after") or ""
        ascending = query.get("orderby") == "modified" and query.get("order") == "asc"
        with self._lock:
            if gmt and ascending:  # the connector's query: served from the sorted index
                if self._by_gmt is None:
                    self._by_gmt = sorted(
                        (str(r.get(column) or ""), k) for k, r in self.orders.items()
                    )
                keys = [k for _, k in self._by_gmt[bisect_right(self._by_gmt, (after, 1 << 62)) :]]
            else:
                rows = [(str(r.get(column) or ""), k) for k, r in self.orders.items()]
                rows = [x for x in rows if x[0] > after]
                if query.get("orderby") != "modified":  # the default: by creation date
                    rows = [(str(self.orders[k].get("date_created_gmt") or ""), k) for _, k in rows]
                rows.sort(reverse=query.get("order", "desc") == "desc")
                keys = [k for _, k in rows]
            total = len(keys)
            chunk = keys[(page - 1) * per_page : page * per_page]
            parts = []
            for k in chunk:
                if k not in self._encoded:
                    self._encoded[k] = json.dumps(self.orders[k], ensure_ascii=False).encode()
                parts.append(self._encoded[k])
        pages = max(1, -(-total // per_page)) if total else 0
        body = b"[" + b",".join(parts) + b"]"
        return 200, RawJson(body), {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}

    def update_order(self, order_id: int, body: Any) -> tuple[int, Any]:
        with self._lock:
            order = self.orders.get(order_id)
            if order is None:
                return 400, _error("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 400)
            if isinstance(body, dict) and "status" in body:
                order["status"] = body["status"]
                self._encoded.pop(order_id, None)
            return 200, order

    def add_note(self, order_id: int, body: Any) -> tuple[int, Any]:
        with self._lock:
            if order_id not in self.orders:
                return 404, _error("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
            if not isinstance(body, dict) or not body.get("note"):
                return 400, _error("rest_missing_callback_param", "Missing parameter(s): note", 400)
            notes = self.notes.setdefault(order_id, [])
            note = {
                "id": 1000 + len(notes),
                "note": body["note"],
                "customer_note": bool(body.get("customer_note")),
            }
            notes.append(note)
            return 201, note

    def list_notes(self, order_id: int) -> tuple[int, Any]:
        with self._lock:
            if order_id not in self.orders:
                return 404, _error("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
            return 200, list(self.notes.get(order_id, []))


@dataclass(frozen=True)
class RawJson:
    """A body already encoded."""

    data: bytes


def _error(code: str, message: str, status: int) -> dict[str, Any]:
    return {"code": code, "message": message, "data": {"status": status}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _send(
        self, status: int, body: Any, headers: dict[str, str] | None = None, raw: str | None = None
    ) -> None:
        if isinstance(body, RawJson):
            data = body.data
        else:
            data = (raw if raw is not None else json.dumps(body, ensure_ascii=False)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        store: FakeWooCommerce = self.server.store
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        prefix = "/wp-json/wc/v3/"
        if not split.path.startswith(prefix):
            self._send(404, None, raw="<html><body>Not Found</body></html>")
            return
        sub = split.path[len(prefix) :]
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        url = f"http://{self.headers.get('Host', '')}{split.path}"
        problem = store.check_auth(self.command, url, query, self.headers.get("Authorization", ""))
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        with store._lock:
            store.requests.append(
                Request(self.command, sub, query, dict(self.headers.items()), body, problem is None)
            )
        if problem is not None:
            self._send(401, _error("woocommerce_rest_authentication_error", problem, 401))
            return
        route, order_id = _route(self.command, sub)
        fault = store.next_fault(route) if route else None
        if fault is not None:
            if fault.hang:
                store.stopping.wait(30)
                return
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            body_out = _error("internal_server_error", "Something went wrong.", fault.status)
            self._send(fault.status, body_out, headers, raw=fault.body)
            return
        if route == "orders":
            status, out, headers = store.list_orders(query)
            self._send(status, out, headers)
        elif route == "order" and order_id is not None:
            self._send(*store.update_order(order_id, body))
        elif route == "notes" and order_id is not None:
            self._send(*store.add_note(order_id, body))
        elif route == "list_notes" and order_id is not None:
            self._send(*store.list_notes(order_id))
        else:
            self._send(
                404,
                _error(
                    "rest_no_route", "No route was found matching the URL and request method.", 404
                ),
            )


def _route(method: str, sub: str) -> tuple[str | None, int | None]:
    if sub == "orders" and method == "GET":
        return "orders", None
    found = re.fullmatch(r"orders/(\d+)(/notes)?", sub)
    if not found:
        return None, None
    order_id = int(found.group(1))
    if found.group(2):
        return (
            "notes" if method == "POST" else "list_notes" if method == "GET" else None
        ), order_id
    return ("order" if method == "PUT" else None), order_id
