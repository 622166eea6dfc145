"""A BigCommerce store on 127.0.0.1 that answers REST v2 under ``/stores/HASH/v2/`` the way the
docs describe (reference/cart-apis.md section 4).

Like a real store: ``X-Auth-Token`` is checked on every request (401 otherwise); ``GET orders``
filters ``min_date_modified`` (RFC 2822 or ISO 8601, inclusive), sorts by ``date_modified:asc``
(then id), pages with ``page``/``limit`` (at most 250) and answers **204 with no body** when the
page is empty; products, shipping addresses and shipments are sub-resources (204 when empty);
``PUT orders/{id}`` changes status_id/staff_notes/customer_message; ``POST .../shipments``
checks the address and the quantities left, answers 201 and moves the order to Shipped (2) or
Partially Shipped (3); unknown orders are 404 with v2's ``[{"status", "message"}]`` body. Every
answer carries the quota headers; with a small ``quota`` per ``window_ms`` the store answers 429
once it is used up, like the real one. Faults are scripted per route ("orders", "count",
"order", "update", "products", "addresses", "shipments", "ship"): a status with headers, a
malformed body, no answer at all, or the request carried out and its answer lost.
Every request is recorded before it is answered.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

STATUS_NAMES = {
    0: "Incomplete",
    1: "Pending",
    2: "Shipped",
    3: "Partially Shipped",
    4: "Refunded",
    5: "Cancelled",
    6: "Declined",
    7: "Awaiting Payment",
    8: "Awaiting Pickup",
    9: "Awaiting Shipment",
    10: "Completed",
    11: "Awaiting Fulfillment",
    12: "Manual Verification Required",
    13: "Disputed",
    14: "Partially Refunded",
}


@dataclass(frozen=True)
class Fault:
    status: int = 500
    body: str | None = None  # None: a v2-style JSON error
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # never answer (until the server stops): the client times out
    lose_answer: bool = False  # carry the request out, then never answer
    passthrough: bool = False  # answer normally: scripts a fault for a later request


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # below /stores/HASH/v2/, e.g. "orders" or "orders/7/shipments"
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # parsed JSON, or None
    auth_ok: bool


def rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0))


def parse_date(text: str) -> datetime:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def make_order(
    order_id: int,
    *,
    modified: datetime,
    status_id: int = 11,
    payment_status: str = "captured",
    first_name: str = "Ada",
    last_name: str = "Lovelace",
    total: str = "43.9800",
    digital: bool = False,
) -> dict[str, Any]:
    """An order as ``GET /v2/orders`` returns it (``modified`` aware UTC, created an hour
    earlier)."""
    return {
        "id": order_id,
        "customer_id": 7,
        "date_created": rfc2822(modified - timedelta(hours=1)),
        "date_modified": rfc2822(modified),
        "date_shipped": "",
        "status_id": status_id,
        "status": STATUS_NAMES.get(status_id, "Custom"),
        "custom_status": STATUS_NAMES.get(status_id, "Custom"),
        "subtotal_ex_tax": "38.9800",
        "subtotal_inc_tax": "38.9800",
        "shipping_cost_ex_tax": "5.0000",
        "shipping_cost_inc_tax": "5.0000",
        "total_tax": "0.0000",
        "total_ex_tax": total,
        "total_inc_tax": total,
        "discount_amount": "0.0000",
        "coupon_discount": "0.0000",
        "items_total": 2,
        "items_shipped": 0,
        "payment_method": "Credit Card",
        "payment_status": payment_status,
        "currency_code": "EUR",
        "staff_notes": "",
        "customer_message": "",
        "shipping_address_count": 0 if digital else 1,
        "billing_address": {
            "first_name": first_name,
            "last_name": last_name,
            "company": "",
            "street_1": "1 Analytical Row",
            "street_2": "",
            "city": "London",
            "state": "",
            "zip": "N1 7AA",
            "country": "United Kingdom",
            "country_iso2": "GB",
            "phone": "+44 20 0000",
            "email": "ada@example.org",
        },
        "products": {"url": f"https://api.bigcommerce.com/orders/{order_id}/products"},
        "shipping_addresses": {
            "url": f"https://api.bigcommerce.com/orders/{order_id}/shipping_addresses"
        },
    }


def make_product(
    line_id: int,
    order_id: int,
    *,
    name: str = "Engine card",
    sku: str = "ENG-1",
    quantity: int = 2,
    price: str = "19.4900",
) -> dict[str, Any]:
    return {
        "id": line_id,
        "order_id": order_id,
        "product_id": 100 + line_id,
        "name": name,
        "sku": sku,
        "quantity": quantity,
        "quantity_shipped": 0,
        "base_price": price,
        "price_ex_tax": price,
        "price_inc_tax": price,
        "total_ex_tax": str(Decimal(price) * quantity),
    }


def make_address(address_id: int, order_id: int, **fields: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": address_id,
        "order_id": order_id,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "company": "",
        "street_1": "1 Analytical Row",
        "street_2": "",
        "city": "London",
        "state": "",
        "zip": "N1 7AA",
        "country": "United Kingdom",
        "country_iso2": "GB",
        "phone": "",
        "email": "ada@example.org",
    }
    row.update(fields)
    return row


def _error(status: int, message: str) -> list[dict[str, Any]]:
    return [{"status": status, "message": message}]


@dataclass
class FakeBigCommerce:
    store_hash: str = "abc123xyz"
    access_token: str = "bc_tok_5f2d9a7e31c84b06a9e1"
    quota: int = 10_000
    window_ms: int = 30_000
    echo_token: bool = False  # a misconfigured proxy echoing our headers into its 401 page
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    products: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    addresses: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    shipments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    served_429: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._left = self.quota
        self._window_start: float | None = None
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.store = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """What the merchant enters: the API path without its version."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/stores/{self.store_hash}"

    def add(
        self,
        order: dict[str, Any],
        products: list[dict[str, Any]] | None = None,
        addresses: list[dict[str, Any]] | None = None,
    ) -> None:
        """An order with its products (default: one line) and shipping address (default: one,
        none for a digital order)."""
        oid = int(order["id"])
        if products is None:
            products = [make_product(oid * 10, oid)]
        if addresses is None:
            addresses = [] if order.get("shipping_address_count") == 0 else [make_address(oid, oid)]
        with self._lock:
            self.orders[oid] = order
            self.products[oid] = products
            self.addresses[oid] = addresses

    def fail(self, route: str, *faults: Fault) -> None:
        with self._lock:
            self.faults.setdefault(route, []).extend(faults)

    def seen(self, method: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if method is None or r.method == method]

    def __enter__(self) -> FakeBigCommerce:
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

    def take_quota(self) -> tuple[bool, dict[str, str]]:
        """One request against the store's window: whether it is allowed, and the headers."""
        with self._lock:
            now = time.monotonic()
            if self._window_start is None or (now - self._window_start) * 1000 >= self.window_ms:
                self._window_start, self._left = now, self.quota
            allowed = self._left > 0
            if allowed:
                self._left -= 1
            else:
                self.served_429 += 1
            # Rounded up, so a client that waits exactly this long is never early.
            reset = max(0, math.ceil(self.window_ms - (now - self._window_start) * 1000))
            return allowed, {
                "X-Rate-Limit-Requests-Left": str(self._left),
                "X-Rate-Limit-Requests-Quota": str(self.quota),
                "X-Rate-Limit-Time-Reset-Ms": str(reset),
                "X-Rate-Limit-Time-Window-Ms": str(self.window_ms),
            }

    def next_fault(self, route: str, oid: int | None) -> Fault | None:
        """The next scripted fault for "route/ID" (this order only), else for "route"."""
        with self._lock:
            for key in (f"{route}/{oid}", route):
                queue = self.faults.get(key)
                if queue:
                    return queue.pop(0)
            return None

    def list_orders(self, query: dict[str, str]) -> tuple[int, Any]:
        try:
            limit = int(query.get("limit", "50"))
            page = int(query.get("page", "1"))
        except ValueError:
            return 400, _error(400, "The field 'page' is invalid.")
        if not 1 <= limit <= 250 or page < 1:
            return 400, _error(400, "The field 'limit' is invalid.")
        since = query.get("min_date_modified")
        with self._lock:
            rows = list(self.orders.values())
        if since:
            try:
                floor = parse_date(since)
            except ValueError:
                return 400, _error(400, "The field 'min_date_modified' is invalid.")
            rows = [r for r in rows if parse_date(r["date_modified"]) >= floor]
        if query.get("sort") == "date_modified:asc":
            rows.sort(key=lambda r: (parse_date(r["date_modified"]), r.get("id", 0)))
        else:  # the default: by id
            rows.sort(key=lambda r: r.get("id", 0))
        chunk = rows[(page - 1) * limit : page * limit]
        return (200, chunk) if chunk else (204, None)

    def list_of(self, table: dict[int, list[dict[str, Any]]], oid: int) -> tuple[int, Any]:
        with self._lock:
            if oid not in self.orders:
                return 404, _error(404, "The requested resource was not found.")
            rows = list(table.get(oid, []))
        return (200, rows) if rows else (204, None)

    def get_order(self, oid: int) -> tuple[int, Any]:
        with self._lock:
            order = self.orders.get(oid)
        if order is None:
            return 404, _error(404, "The requested resource was not found.")
        return 200, order

    def update_order(self, oid: int, body: Any) -> tuple[int, Any]:
        with self._lock:
            order = self.orders.get(oid)
            if order is None:
                return 404, _error(404, "The requested resource was not found.")
            if not isinstance(body, dict):
                return 400, _error(400, "The request body is not valid JSON.")
            if "status_id" in body:
                status_id = body["status_id"]
                if status_id not in STATUS_NAMES:
                    return 400, _error(400, "The field 'status_id' is invalid.")
                order["status_id"] = status_id
                order["status"] = order["custom_status"] = STATUS_NAMES[status_id]
            for name in ("staff_notes", "customer_message"):
                if name in body:
                    order[name] = body[name]
            return 200, order

    def create_shipment(self, oid: int, body: Any) -> tuple[int, Any]:
        with self._lock:
            if oid not in self.orders:
                return 404, _error(404, "The requested resource was not found.")
            if (
                not isinstance(body, dict)
                or "order_address_id" not in body
                or not body.get("items")
            ):
                return 400, _error(400, "The required fields order_address_id, items are missing.")
            if body["order_address_id"] not in {a["id"] for a in self.addresses.get(oid, [])}:
                return 400, _error(400, "The field 'order_address_id' is invalid.")
            lines = {p["id"]: p for p in self.products.get(oid, [])}
            for item in body["items"]:
                line = lines.get(item.get("order_product_id"))
                if line is None or not 0 < item.get("quantity", 0) <= (
                    line["quantity"] - line["quantity_shipped"]
                ):
                    return 400, _error(400, "The quantity specified is greater than remaining.")
            for item in body["items"]:
                lines[item["order_product_id"]]["quantity_shipped"] += item["quantity"]
            shipments = self.shipments.setdefault(oid, [])
            shipment = {
                "id": len(shipments) + 1,
                "order_id": oid,
                "order_address_id": body["order_address_id"],
                "date_created": rfc2822(datetime.now(UTC)),
                "tracking_number": body.get("tracking_number", ""),
                "shipping_provider": body.get("shipping_provider", "custom"),
                "tracking_carrier": body.get("tracking_carrier", ""),
                "comments": body.get("comments", ""),
                "items": [dict(i) for i in body["items"]],
            }
            shipments.append(shipment)
            done = all(p["quantity_shipped"] >= p["quantity"] for p in lines.values())
            order = self.orders[oid]
            order["status_id"] = 2 if done else 3
            order["status"] = order["custom_status"] = STATUS_NAMES[order["status_id"]]
            return 201, shipment


def _route(method: str, sub: str) -> tuple[str | None, int | None]:
    if sub == "orders" and method == "GET":
        return "orders", None
    if sub == "orders/count" and method == "GET":
        return "count", None
    found = re.fullmatch(r"orders/(\d+)(?:/(products|shipping_addresses|shipments))?", sub)
    if not found:
        return None, None
    oid, part = int(found.group(1)), found.group(2)
    routes = {
        (None, "GET"): "order",
        (None, "PUT"): "update",
        ("products", "GET"): "products",
        ("shipping_addresses", "GET"): "addresses",
        ("shipments", "GET"): "shipments",
        ("shipments", "POST"): "ship",
    }
    return routes.get((part, method)), oid


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; without this, Nagle plus the client's delayed ACK
    # adds 40 ms to every keep-alive request (the N+1 download makes thousands of them).
    disable_nagle_algorithm = True
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
        self,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
        raw: str | None = None,
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status == 204:  # No Content: no body, no Content-Type
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = (raw if raw is not None else json.dumps(body, ensure_ascii=False)).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        store: FakeBigCommerce = self.server.store
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        prefix = f"/stores/{store.store_hash}/v2/"
        given = self.headers.get("X-Auth-Token", "")
        auth_ok = given == store.access_token
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        sub = split.path[len(prefix) :] if split.path.startswith(prefix) else split.path
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        with store._lock:
            store.requests.append(
                Request(self.command, sub, query, dict(self.headers.items()), body, auth_ok)
            )
        allowed, quota = store.take_quota()
        if not split.path.startswith(prefix):
            self._send(404, _error(404, "The requested resource was not found."), quota)
            return
        if not auth_ok:
            echoed = f" (X-Auth-Token: {given})" if store.echo_token else ""
            message = "You are not authorized to access this resource." + echoed
            self._send(401, _error(401, message), quota)
            return
        if not allowed:
            self._send(429, _error(429, "Too many requests."), quota)
            return
        route, oid = _route(self.command, sub)
        fault = store.next_fault(route, oid) if route else None
        if fault is not None and fault.passthrough:
            fault = None
        if fault is not None and not fault.lose_answer:
            if fault.hang:
                store.stopping.wait(30)
                return
            failure = _error(fault.status, "Something went wrong.")
            self._send(fault.status, failure, {**quota, **fault.headers}, raw=fault.body)
            return
        status, out = self._answer(store, route, oid, query, body)
        if fault is not None:  # lose_answer: done, but the client never hears
            store.stopping.wait(30)
            return
        self._send(status, out, quota)

    def _answer(
        self,
        store: FakeBigCommerce,
        route: str | None,
        oid: int | None,
        query: dict[str, str],
        body: Any,
    ) -> tuple[int, Any]:
        if route == "orders":
            return store.list_orders(query)
        if route == "count":
            with store._lock:
                return 200, {"count": len(store.orders)}
        if oid is None:
            return 404, _error(404, "The requested resource was not found.")
        if route == "order":
            return store.get_order(oid)
        if route == "update":
            return store.update_order(oid, body)
        if route == "products":
            return store.list_of(store.products, oid)
        if route == "addresses":
            return store.list_of(store.addresses, oid)
        if route == "shipments":
            return store.list_of(store.shipments, oid)
        if route == "ship":
            return store.create_shipment(oid, body)
        return 404, _error(404, "The requested resource was not found.")
