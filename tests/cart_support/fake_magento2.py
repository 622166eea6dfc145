"""A Magento 2 store on 127.0.0.1 that answers the REST API (``/rest[/<store code>]/V1/``) the
way the docs and the source describe (reference/cart-apis.md section 3).

What it does like a real store: an integration access token as ``Authorization: Bearer`` (else
401 with Magento's parameterised message); ``GET orders`` applies ``searchCriteria`` filter
groups (filters within a group ORed, groups ANDed), several sort orders, ``pageSize`` and
``currentPage`` - and, like magento/magento2#3787, a ``currentPage`` past the end answers the
LAST page again; ``total_count`` counts every match. Ship creates a shipment with tracks and
moves qty_shipped (a full shipment completes the order), cancel answers ``true``/``false``,
comments append to ``status_histories`` and set the status they carry (a comment WITHOUT a status
blanks the order's status, as some versions did, magento/magento2#34180; ``ignore_comment_status``
plays 2.4.7, magento/magento2#38723), invoice sets the invoiced/paid totals. Every change moves
``updated_at``. Unknown orders are 404 with Magento's NoSuchEntity message; unknown routes 404
"Request does not match any route.". Faults are scripted per route; ``Fault(after=True)`` does
the work and then fails the answer (a lost answer). Every request is recorded before it is
answered.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

NOT_FOUND = "The entity that was requested doesn't exist. Verify the entity and try again."
NO_ROUTE = "Request does not match any route."


@dataclass(frozen=True)
class Fault:
    status: int = 500
    body: str | None = None  # None: a Magento-style JSON error
    retry_after: str | None = None
    hang: bool = False  # never answer (until the server stops): the client times out
    after: bool = False  # do the work first, then fail the answer (the answer is lost)


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # below /V1/, e.g. "orders" or "order/7/ship"
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # parsed JSON, or None
    auth_ok: bool
    store_code: str  # '' for /rest/V1/


def fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def make_item(
    item_id: int,
    *,
    sku: str = "ENG-1",
    name: str = "Engine card",
    qty: int = 2,
    price: float = 19.49,
    parent_item_id: int | None = None,
    product_type: str = "simple",
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "item_id": item_id,
        "sku": sku,
        "name": name,
        "product_type": product_type,
        "qty_ordered": qty,
        "qty_invoiced": 0,
        "qty_shipped": 0,
        "qty_canceled": 0,
        "qty_refunded": 0,
        "price": price,
        "row_total": round(price * qty, 2),
        "is_virtual": 0,
    }
    if parent_item_id is not None:
        item["parent_item_id"] = parent_item_id
    return item


def configurable_items(item_id: int, sku: str, name: str, qty: int, price: float) -> list[Any]:
    """A configurable product as Magento stores it: the parent row (price, quantity) and the
    child simple product's row, which repeats the quantity with price 0."""
    return [
        make_item(item_id, sku=sku, name=name, qty=qty, price=price, product_type="configurable"),
        make_item(item_id + 1, sku=sku, name=name, qty=qty, price=0.0, parent_item_id=item_id),
    ]


def make_order(
    entity_id: int,
    *,
    updated: datetime,
    increment_id: str | None = None,
    status: str = "pending",
    firstname: str = "Ada",
    lastname: str = "Lovelace",
    grand_total: float = 43.98,
    invoiced: bool = False,
    items: list[dict[str, Any]] | None = None,
    city: str = "London",
    street: list[str] | None = None,
) -> dict[str, Any]:
    """An order as ``GET /V1/orders`` returns it; ``updated`` aware UTC, created an hour earlier."""
    rows = items if items is not None else [make_item(entity_id * 10)]
    if invoiced:
        for row in rows:
            row["qty_invoiced"] = row["qty_ordered"]
    address = {
        "firstname": firstname,
        "lastname": lastname,
        "company": "",
        "street": street if street is not None else ["1 Analytical Row", "Flat 2"],
        "city": city,
        "region": "",
        "postcode": "N1 7AA",
        "country_id": "GB",
        "telephone": "+44 20 0000",
        "email": "ada@example.org",
    }
    return {
        "entity_id": entity_id,
        "increment_id": increment_id if increment_id is not None else f"{entity_id:09d}",
        "state": "processing" if invoiced else "new",
        "status": "processing" if invoiced and status == "pending" else status,
        "created_at": fmt(updated - timedelta(hours=1)),
        "updated_at": fmt(updated),
        "customer_firstname": firstname,
        "customer_lastname": lastname,
        "customer_email": "ada@example.org",
        "order_currency_code": "EUR",
        "subtotal": 38.98,
        "shipping_amount": 5.0,
        "tax_amount": 0.0,
        "discount_amount": 0.0,
        "grand_total": grand_total,
        "total_invoiced": grand_total if invoiced else 0.0,
        "total_paid": grand_total if invoiced else 0.0,
        "total_due": 0.0 if invoiced else grand_total,
        "items": rows,
        "billing_address": dict(address, address_type="billing"),
        "status_histories": [],
        "extension_attributes": {
            "shipping_assignments": [
                {"shipping": {"address": dict(address, address_type="shipping")}}
            ]
        },
    }


def _error(message: str, parameters: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message}
    if parameters is not None:
        body["parameters"] = parameters
    return body


def _compare(left: Any, right: str, condition: str) -> bool:
    """One searchCriteria filter: numbers compare as numbers, the rest as text (Magento's
    date format sorts as text)."""
    a: Any = left
    b: Any = right
    if isinstance(left, int | float) and not isinstance(left, bool):
        try:
            b = float(right)
        except ValueError:
            return False
    else:
        a = "" if left is None else str(left)
    if condition == "eq":
        return bool(a == b)
    if condition == "neq":
        return bool(a != b)
    if condition == "gt":
        return bool(a > b)
    if condition == "gteq":
        return bool(a >= b)
    if condition == "lt":
        return bool(a < b)
    if condition == "lteq":
        return bool(a <= b)
    if condition == "in":
        return str(left) in right.split(",")
    raise ValueError(condition)


@dataclass
class FakeMagento2:
    token: str = "m2tok_0123456789abcdefghijklmnopqr"
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    shipments: dict[int, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    ignore_comment_status: bool = False  # Magento 2.4.7: comments no longer change the status
    drop_total_count: bool = False  # a proxy or plugin that trims total_count from searches
    now: datetime = field(default_factory=lambda: datetime.now(UTC))  # what changes stamp

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
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
                self.orders[int(order["entity_id"])] = order

    def fail(self, route: str, *faults: Fault) -> None:
        with self._lock:
            self.faults.setdefault(route, []).extend(faults)

    def seen(self, method: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if method is None or r.method == method]

    def __enter__(self) -> FakeMagento2:
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

    # -- handler side (called with the lock held) ------------------------------------------

    def next_fault(self, route: str) -> Fault | None:
        queue = self.faults.get(route)
        return queue.pop(0) if queue else None

    def _touch(self, order: dict[str, Any]) -> None:
        order["updated_at"] = fmt(self.now)

    def search(self, rows: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        groups: dict[int, dict[int, dict[str, str]]] = {}
        sorts: dict[int, dict[str, str]] = {}
        for key, value in query.items():
            found = re.fullmatch(
                r"searchCriteria\[filter_groups\]\[(\d+)\]\[filters\]\[(\d+)\]\[(\w+)\]", key
            )
            if found:
                g, f, part = int(found[1]), int(found[2]), found[3]
                groups.setdefault(g, {}).setdefault(f, {})[part] = value
            found = re.fullmatch(r"searchCriteria\[sortOrders\]\[(\d+)\]\[(\w+)\]", key)
            if found:
                sorts.setdefault(int(found[1]), {})[found[2]] = value
        for group in groups.values():
            rows = [
                row
                for row in rows
                if any(
                    _compare(row.get(f["field"]), f.get("value", ""), f.get("condition_type", "eq"))
                    for f in group.values()
                )
            ]
        for index in sorted(sorts, reverse=True):  # stable sorts, least significant first
            name = sorts[index].get("field", "")
            rows.sort(
                key=lambda r: (r.get(name) is None, r.get(name) if r.get(name) is not None else 0),
                reverse=sorts[index].get("direction", "ASC").upper() == "DESC",
            )
        total = len(rows)
        size = int(query.get("searchCriteria[pageSize]", "0") or 0)
        if size > 0:
            pages = max(1, -(-total // size))
            page = min(max(1, int(query.get("searchCriteria[currentPage]", "1") or 1)), pages)
            rows = rows[(page - 1) * size : page * size]  # past the end: the last page again
        if self.drop_total_count:
            return {"items": rows, "search_criteria": {}}
        return {"items": rows, "search_criteria": {}, "total_count": total}

    def ship(self, order: dict[str, Any], body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return 400, _error("Invalid request body")
        by_id = {int(i["item_id"]): i for i in order["items"] if not i.get("parent_item_id")}

        def left(item: dict[str, Any]) -> int:
            return int(item["qty_ordered"] - item["qty_shipped"] - item["qty_canceled"])

        wanted = body.get("items") or [
            {"order_item_id": k, "qty": left(i)} for k, i in by_id.items() if left(i) > 0
        ]
        for line in wanted:
            item = by_id.get(int(line.get("order_item_id", 0)))
            if item is None or not 0 < line.get("qty", 0) <= left(item):
                wanted = []
                break
        if order["state"] in ("canceled", "closed", "holded") or not wanted:
            return 400, _error(
                "Shipment Document Validation Error(s):\nThe order does not allow a shipment to "
                "be created.\nYou can't create a shipment without products."
            )
        for line in wanted:
            by_id[int(line["order_item_id"])]["qty_shipped"] += line["qty"]
        shipment_id = 100 + len(self.shipments)
        self.shipments[shipment_id] = {
            "entity_id": shipment_id,
            "order_id": order["entity_id"],
            "items": [
                {"order_item_id": line["order_item_id"], "qty": line["qty"]} for line in wanted
            ],
            "tracks": [dict(t, order_id=order["entity_id"]) for t in body.get("tracks") or []],
            "notify": bool(body.get("notify")),
        }
        if all(left(i) == 0 for i in by_id.values()):
            order["state"] = order["status"] = "complete"
        elif order["state"] == "new":
            order["state"] = order["status"] = "processing"
        self._touch(order)
        return 200, str(shipment_id)

    def cancel(self, order: dict[str, Any]) -> tuple[int, Any]:
        # Order::canCancel(): not when every item is invoiced, shipped, or the order is done.
        invoiced = all(i["qty_invoiced"] >= i["qty_ordered"] for i in order["items"])
        shipped = any(i["qty_shipped"] for i in order["items"])
        if order["state"] in ("canceled", "complete", "closed", "holded") or shipped or invoiced:
            return 200, False
        order["state"] = order["status"] = "canceled"
        self._touch(order)
        return 200, True

    def comment(self, order: dict[str, Any], body: Any) -> tuple[int, Any]:
        history = body.get("statusHistory") if isinstance(body, dict) else None
        if not isinstance(history, dict) or not history.get("comment"):
            return 400, _error(
                '"%fieldName" is required. Enter and try again.', {"fieldName": "statusHistory"}
            )
        status = history.get("status")
        if not self.ignore_comment_status:
            order["status"] = status  # None when omitted: the order loses its status
        order["status_histories"].insert(
            0,
            {
                "comment": history["comment"],
                "status": status,
                "is_customer_notified": history.get("is_customer_notified"),
                "is_visible_on_front": history.get("is_visible_on_front"),
                "parent_id": order["entity_id"],
                "created_at": fmt(self.now),
            },
        )
        self._touch(order)
        return 200, True

    def invoice(self, order: dict[str, Any], body: Any) -> tuple[int, Any]:
        if order["total_invoiced"] >= order["grand_total"] or order["state"] == "canceled":
            return 400, _error("The order does not allow an invoice to be created.")
        invoice_id = 500 + len(self.invoices)
        capture = isinstance(body, dict) and bool(body.get("capture"))
        self.invoices[invoice_id] = {
            "entity_id": invoice_id,
            "order_id": order["entity_id"],
            "state": 2 if capture else 1,
        }
        order["total_invoiced"] = order["grand_total"]
        if capture:
            order["total_paid"], order["total_due"] = order["grand_total"], 0.0
        for item in order["items"]:
            item["qty_invoiced"] = item["qty_ordered"]
        if order["state"] == "new":
            order["state"] = order["status"] = "processing"
        self._touch(order)
        return 200, str(invoice_id)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def _send(
        self, status: int, body: Any, headers: dict[str, str] | None = None, raw: str | None = None
    ) -> None:
        data = (raw if raw is not None else json.dumps(body, ensure_ascii=False)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _fail(self, store: FakeMagento2, fault: Fault) -> None:
        if fault.hang:
            store.stopping.wait(30)
            return
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        body = _error(
            "Internal Error. Details are available in Magento log file. Report ID: %1",
            ["webapi-6571"],
        )
        self._send(fault.status, body, headers, raw=fault.body)

    def _handle(self) -> None:
        store: FakeMagento2 = self.server.store
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        found = re.fullmatch(r"/rest(?:/([^/]+))?/V1/(.*)", split.path)
        if not found:
            self._send(404, None, raw="<html><body><h1>404 Not Found</h1></body></html>")
            return
        code, sub = found[1] or "", found[2]
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        auth_ok = self.headers.get("Authorization", "") == f"Bearer {store.token}"
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        with store._lock:
            store.requests.append(
                Request(self.command, sub, query, dict(self.headers.items()), body, auth_ok, code)
            )
        if not auth_ok:
            self._send(
                401,
                _error(
                    "The consumer isn't authorized to access %resources.",
                    {"resources": "Magento_Sales::actions_view"},
                ),
            )
            return
        route, order_id = _route(self.command, sub)
        with store._lock:
            fault = store.next_fault(route) if route else None
        if fault is not None and not fault.after:
            self._fail(store, fault)
            return
        with store._lock:
            order = store.orders.get(order_id) if order_id is not None else None
            out: Any
            if route is None:
                status, out = 404, _error(NO_ROUTE)
            elif order_id is not None and order is None:
                status, out = 404, _error(NOT_FOUND)
            elif route == "orders":
                status, out = 200, store.search(list(store.orders.values()), query)
            elif route == "shipments":
                status, out = 200, store.search(list(store.shipments.values()), query)
            elif route == "order":
                status, out = 200, order
            elif route == "ship":
                status, out = store.ship(order, body)  # type: ignore[arg-type]
            elif route == "cancel":
                status, out = store.cancel(order)  # type: ignore[arg-type]
            elif route == "comments":
                status, out = store.comment(order, body)  # type: ignore[arg-type]
            else:
                status, out = store.invoice(order, body)  # type: ignore[arg-type]
            data = json.dumps(out, ensure_ascii=False)
        if fault is not None:
            self._fail(store, fault)
            return
        self._send(status, None, raw=data)


def _route(method: str, sub: str) -> tuple[str | None, int | None]:
    if method == "GET" and sub in ("orders", "shipments"):
        return sub, None
    found = re.fullmatch(r"orders/(\d+)", sub)
    if found and method == "GET":
        return "order", int(found[1])
    found = re.fullmatch(r"orders/(\d+)/(cancel|comments)", sub)
    if found and method == "POST":
        return found[2], int(found[1])
    found = re.fullmatch(r"order/(\d+)/(ship|invoice)", sub)
    if found and method == "POST":
        return found[2], int(found[1])
    return None, None
