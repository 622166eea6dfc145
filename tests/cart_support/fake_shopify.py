"""A Shopify store on 127.0.0.1 that answers the Admin GraphQL API the way the docs describe.

It is not a GraphQL engine: it recognises the connector's operations by their name in the query
text (``query Orders(...)``, ``mutation FulfillmentCreate(...)``) and answers from their
variables, with the shapes and rules of the real API (reference/cart-apis.md section 2):

- ``POST /admin/api/2025-01/graphql.json`` only, with ``X-Shopify-Access-Token`` (else HTTP 401
  and Shopify's "[API] Invalid API key or access token" text); other paths are 404.
- ``orders(first, after, query, sortKey)``: ``updated_at:>'…'`` filters, UPDATED_AT or ID order,
  keyset cursors (an order changed mid-download moves behind the cursor and is served later);
  a cursor sent with other ``query``/``sortKey`` arguments than it was made with is refused.
  ``lineItems(first: $itemsFirst)`` pages inside each order; ``order(id) { lineItems }`` too.
- Cost-based throttling: every answer has ``extensions.cost``; a query over 1,000 points is
  refused (MAX_COST_EXCEEDED); one over the points left answers HTTP 200 with a THROTTLED error.
- Fulfillment orders (one per order), ``fulfillmentCreate`` checking ids, statuses and remaining
  quantities; ``orderCancel`` (2025-01 arguments) and ``orderUpdate`` (note).

Faults are scripted per operation name ("*" for any): an HTTP status with Retry-After, a raw body,
a GraphQL error code at HTTP 200, no answer until the server stops, or the request carried out
and its answer lost. Every request is recorded
before it is answered.
"""

from __future__ import annotations

import base64
import json
import operator
import re
import threading
import time
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from ordermanager.carts.protocol import CartConfig
from ordermanager.carts.shopify import ShopifyConnector

API_PATH = "/admin/api/2025-01/graphql.json"
MAX_QUERY_COST = 1000
BAD_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
_OPERATION = re.compile(r"^\s*(query|mutation)\s+(\w+)")
_UPDATED = re.compile(r"updated_at:(>=|<=|>|<)'([^']+)'")
_COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
# Fixed costs of the connector's smaller operations (Shopify: objects 1, mutations 10).
_FIXED_COSTS = {
    "Shop": 1,
    "OrderForShipment": 58,
    "OrderState": 1,
    "OrderNote": 1,
    "FulfillmentCreate": 10,
    "OrderCancel": 10,
    "OrderUpdate": 10,
}


@dataclass(frozen=True)
class Fault:
    status: int = 500
    body: str | None = None  # None: Shopify-style {"errors": ...}
    retry_after: str | None = None
    hang: bool = False  # never answer (until the server stops): the client times out
    code: str | None = None  # a GraphQL error with this extensions.code at HTTP 200
    lose: bool = False  # carry the request out, then never answer: the answer is lost


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the parsed JSON body
    operation: str  # from the query text
    variables: dict[str, Any]
    auth_ok: bool


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(amount: str, currency: str) -> dict[str, Any]:
    return {"shopMoney": {"amount": amount, "currencyCode": currency}}


def make_order(
    order_id: int,
    *,
    modified: datetime,
    name: str | None = None,
    financial: str = "PAID",
    first_name: str = "Ada",
    last_name: str = "Lovelace",
    total: str = "43.98",
    currency: str = "EUR",
    items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An order node as the connector's query returns it (all line items), ``modified`` aware
    UTC; created one hour earlier. ``items``: dicts with sku, name, quantity, price."""
    created = modified - timedelta(hours=1)
    address = {
        "firstName": first_name,
        "lastName": last_name,
        "name": f"{first_name} {last_name}",
        "company": None,
        "address1": "1 Analytical Row",
        "address2": "",
        "city": "London",
        "province": None,
        "provinceCode": None,
        "zip": "N1 7AA",
        "countryCodeV2": "GB",
        "phone": "+44 20 0000",
    }
    lines = items if items is not None else [{"sku": "ENG-1", "name": "Engine card", "quantity": 2}]
    nodes = []
    for n, line in enumerate(lines, start=1):
        nodes.append(
            {
                "id": f"gid://shopify/LineItem/{order_id * 100 + n}",
                "sku": line.get("sku"),
                "name": line.get("name", "Item"),
                "quantity": line.get("quantity", 1),
                "originalUnitPriceSet": _money(str(line.get("price", "19.49")), currency),
            }
        )
    return {
        "id": f"gid://shopify/Order/{order_id}",
        "legacyResourceId": str(order_id),
        "name": name if name is not None else f"#{1000 + order_id}",
        "createdAt": stamp(created),
        "updatedAt": stamp(modified),
        "cancelledAt": None,
        "email": "ada@example.org",
        "currencyCode": currency,
        "displayFinancialStatus": financial,
        "displayFulfillmentStatus": "UNFULFILLED",
        "billingAddress": address,
        "shippingAddress": dict(address),
        "subtotalPriceSet": _money("38.98", currency),
        "totalShippingPriceSet": _money("5.00", currency),
        "totalTaxSet": _money("0.00", currency),
        "totalDiscountsSet": _money("0.00", currency),
        "totalPriceSet": _money(total, currency),
        "lineItems": {"nodes": nodes},
    }


def orders_cost(first: int, items_first: int) -> int:
    """What the connector's Orders query costs: per order its object, addresses and money bags
    (14) and the line item connection (2 + 3 per item)."""
    return 2 + first * (14 + 2 + 3 * items_first)


def _encode(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def _decode(cursor: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(cursor.encode()))


def _error(message: str, code: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}}


@dataclass
class FakeShopify:
    access_token: str = "shpat_test_0123456789abcdef0123"
    shop_name: str = "Zoë's Ünïcode Shop 🛍"
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    fulfillment_orders: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    fulfillments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    cancellations: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    faults: dict[str, list[Fault | None]] = field(default_factory=dict)
    # Shopify's standard plan today: a 2,000-point bucket restoring 100 points a second.
    maximum_available: float = 2000.0
    restore_rate: float = 100.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.available = self.maximum_available
        self.refilling = True  # False: the bucket changes only by requests and refill()
        self._bucket_at = time.monotonic()
        self._next_id = 1
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.store = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, *orders: dict[str, Any]) -> None:
        """Store orders; each gets one open fulfillment order holding all its line items."""
        with self._lock:
            for order in orders:
                order_id = int(order.get("legacyResourceId") or order["_id"])
                self.orders[order_id] = order
                if order_id in self.fulfillment_orders:
                    continue
                lines = []
                for line in (order.get("lineItems") or {}).get("nodes") or []:
                    if not isinstance(line, dict) or not isinstance(line.get("quantity"), int):
                        continue
                    line_no = str(line["id"]).rsplit("/", 1)[-1]
                    lines.append(
                        {
                            "id": f"gid://shopify/FulfillmentOrderLineItem/9{line_no}",
                            "remainingQuantity": line["quantity"],
                            "totalQuantity": line["quantity"],
                            "sku": line.get("sku"),
                            "lineItem": {"id": line["id"], "sku": line.get("sku")},
                        }
                    )
                self.fulfillment_orders[order_id] = [
                    {
                        "id": f"gid://shopify/FulfillmentOrder/{order_id}1",
                        "status": "OPEN",
                        "lineItems": {"nodes": lines},
                    }
                ]

    def touch(self, order_id: int, modified: datetime, **changes: Any) -> None:
        """The merchant edits an order in the admin: fields change and updatedAt moves."""
        with self._lock:
            order = self.orders[order_id]
            order.update(changes)
            order["updatedAt"] = stamp(modified)

    def fail(self, operation: str, *faults: Fault | None) -> None:
        """Script the next answers to ``operation``; None answers normally (a later one fails)."""
        with self._lock:
            self.faults.setdefault(operation, []).extend(faults)

    def seen(self, operation: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if operation is None or r.operation == operation]

    def set_bucket(self, available: float, *, refilling: bool = False) -> None:
        with self._lock:
            self.available = available
            self.refilling = refilling
            self._bucket_at = time.monotonic()

    def refill(self, seconds: float) -> None:
        """Let ``seconds`` of restore pass (for a bucket that is not refilling by itself)."""
        with self._lock:
            self.available = min(
                self.maximum_available, self.available + seconds * self.restore_rate
            )

    def __enter__(self) -> FakeShopify:
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

    # -- the points bucket ------------------------------------------------------------------

    def _cost(self, operation: str, variables: dict[str, Any]) -> int:
        if operation == "Orders":
            first = variables.get("first")
            items = variables.get("itemsFirst", 0)
            if isinstance(first, int) and isinstance(items, int):
                return orders_cost(first, items)
            return 1
        if operation == "OrderLineItems":
            first = variables.get("first")
            return 2 + 3 * first if isinstance(first, int) else 1
        return _FIXED_COSTS.get(operation, 1)

    def charge(self, operation: str, variables: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The ``extensions.cost`` of this request, and whether it may run (else THROTTLED).

        Like Shopify, the requested cost must be available; it is taken up front and what the
        answer did not use is given back by ``settle``."""
        requested = self._cost(operation, variables)
        with self._lock:
            now = time.monotonic()
            if self.refilling:
                self.available = min(
                    self.maximum_available,
                    self.available + (now - self._bucket_at) * self.restore_rate,
                )
            self._bucket_at = now
            allowed = requested <= self.available and requested <= MAX_QUERY_COST
            if allowed:
                self.available -= requested
            cost = {
                "requestedQueryCost": requested,
                "actualQueryCost": None,
                "throttleStatus": {
                    "maximumAvailable": self.maximum_available,
                    "currentlyAvailable": round(self.available),
                    "restoreRate": self.restore_rate,
                },
            }
        return cost, allowed

    def settle(self, cost: dict[str, Any], operation: str, answer: dict[str, Any]) -> None:
        """Give back what the answer did not cost (an Orders page with few line items)."""
        requested = int(cost["requestedQueryCost"])
        actual = requested
        orders = (answer.get("data") or {}).get("orders") if operation == "Orders" else None
        if isinstance(orders, dict):
            actual = 2 + sum(
                16 + 3 * len((node.get("lineItems") or {}).get("nodes") or [])
                for node in orders["nodes"]
            )
        with self._lock:
            self.available = min(self.maximum_available, self.available + requested - actual)
            cost["actualQueryCost"] = actual
            cost["throttleStatus"]["currentlyAvailable"] = round(self.available)

    # -- operations -------------------------------------------------------------------------

    def run(self, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The GraphQL answer body without extensions: {"data": ...} and/or {"errors": [...]}."""
        handler = getattr(self, f"_op_{operation}", None)
        if handler is None:
            return {"errors": [_error(f"Field '{operation}' doesn't exist", "undefinedField")]}
        with self._lock:
            result: dict[str, Any] = handler(variables)
            return result

    def _op_Shop(self, v: dict[str, Any]) -> dict[str, Any]:
        return {"data": {"shop": {"name": self.shop_name, "myshopifyDomain": "zoe.myshopify.com"}}}

    def _order_id(self, gid: Any) -> int | None:
        found = re.fullmatch(r"gid://shopify/Order/(\d+)", gid) if isinstance(gid, str) else None
        order_id = int(found.group(1)) if found else None
        return order_id if order_id in self.orders else None

    def _served(self, order: dict[str, Any], items_first: int) -> dict[str, Any]:
        node = {k: deepcopy(v) for k, v in order.items() if not k.startswith("_")}
        connection = node.get("lineItems")
        lines = connection.get("nodes") if isinstance(connection, dict) else None
        if isinstance(lines, list):
            more = len(lines) > items_first
            node["lineItems"] = {
                "nodes": lines[:items_first],
                "pageInfo": {
                    "hasNextPage": more,
                    "endCursor": _encode({"i": items_first}) if lines[:items_first] else None,
                },
            }
        return node

    def _op_Orders(self, v: dict[str, Any]) -> dict[str, Any]:
        first, items_first = v.get("first"), v.get("itemsFirst", 10)
        if not isinstance(first, int) or not 1 <= first <= 250:
            return {"errors": [_error("first must be between 1 and 250", "BAD_REQUEST")]}
        query, sort, reverse = (
            v.get("query") or "",
            v.get("sortKey") or "ID",
            bool(v.get("reverse")),
        )
        if sort not in ("ID", "UPDATED_AT"):
            return {"errors": [_error(f"sortKey {sort} is not supported here", "BAD_REQUEST")]}
        start: list[Any] | None = None
        if v.get("after"):
            try:
                cursor = _decode(str(v["after"]))
                start = list(cursor["k"])
            except (ValueError, KeyError, TypeError):
                return {"errors": [_error("Invalid cursor.", "BAD_REQUEST")]}
            if [cursor.get("q"), cursor.get("s"), cursor.get("r")] != [query, sort, reverse]:
                return {
                    "errors": [
                        _error(
                            "Invalid cursor for current pagination sort: a cursor must be used "
                            "with the query and sort arguments it was returned for.",
                            "BAD_REQUEST",
                        )
                    ]
                }

        def key(order_id: int) -> list[Any]:
            updated = str(self.orders[order_id].get("updatedAt") or "")
            return [updated if sort == "UPDATED_AT" else "", order_id]

        def matches(order_id: int) -> bool:
            updated = str(self.orders[order_id].get("updatedAt") or "")
            return all(
                _COMPARE[op](updated, stamp(datetime.fromisoformat(value)))
                for op, value in _UPDATED.findall(query)
            )

        keys = sorted((key(i), i) for i in self.orders if matches(i))
        if reverse:
            keys.reverse()
        if start is not None:
            keys = [(k, i) for k, i in keys if (k < start if reverse else k > start)]
        chunk = keys[:first]
        nodes = [self._served(self.orders[i], items_first) for _, i in chunk]
        end = _encode({"k": chunk[-1][0], "q": query, "s": sort, "r": reverse}) if chunk else None
        return {
            "data": {
                "orders": {
                    "nodes": nodes,
                    "pageInfo": {"hasNextPage": len(keys) > first, "endCursor": end},
                }
            }
        }

    def _op_OrderLineItems(self, v: dict[str, Any]) -> dict[str, Any]:
        order_id = self._order_id(v.get("id"))
        if order_id is None:
            return {"data": {"order": None}}
        lines = self.orders[order_id]["lineItems"]["nodes"]
        begin = int(_decode(v["after"])["i"]) if v.get("after") else 0
        first = int(v.get("first") or 10)
        chunk = lines[begin : begin + first]
        more = begin + first < len(lines)
        return {
            "data": {
                "order": {
                    "lineItems": {
                        "nodes": deepcopy(chunk),
                        "pageInfo": {
                            "hasNextPage": more,
                            "endCursor": _encode({"i": begin + first}) if chunk else None,
                        },
                    }
                }
            }
        }

    def _op_OrderForShipment(self, v: dict[str, Any]) -> dict[str, Any]:
        order_id = self._order_id(v.get("id"))
        if order_id is None:
            return {"data": {"order": None}}
        order = self.orders[order_id]
        return {
            "data": {
                "order": {
                    "id": order["id"],
                    "name": order["name"],
                    "cancelledAt": order.get("cancelledAt"),
                    "fulfillments": deepcopy(self.fulfillments.get(order_id, [])),
                    "fulfillmentOrders": {
                        "nodes": deepcopy(self.fulfillment_orders.get(order_id, []))
                    },
                }
            }
        }

    def _op_OrderState(self, v: dict[str, Any]) -> dict[str, Any]:
        order_id = self._order_id(v.get("id"))
        if order_id is None:
            return {"data": {"order": None}}
        order = self.orders[order_id]
        state = {"id": order["id"], "name": order["name"], "cancelledAt": order["cancelledAt"]}
        return {"data": {"order": state}}

    def _op_OrderNote(self, v: dict[str, Any]) -> dict[str, Any]:
        order_id = self._order_id(v.get("id"))
        if order_id is None:
            return {"data": {"order": None}}
        order = self.orders[order_id]
        return {
            "data": {"order": {"id": order["id"], "name": order["name"], "note": order.get("note")}}
        }

    def _fulfil(self, v: dict[str, Any]) -> tuple[int | None, list[dict[str, Any]]]:
        """Apply a FulfillmentInput; the order id, or None with Shopify's userErrors."""
        spec = v.get("fulfillment")
        groups = spec.get("lineItemsByFulfillmentOrder") if isinstance(spec, dict) else None
        if not isinstance(groups, list) or not groups:
            return None, [{"field": ["fulfillment"], "message": "Line items are required."}]
        by_id = {
            fo["id"]: (order_id, fo)
            for order_id, fos in self.fulfillment_orders.items()
            for fo in fos
        }
        plan: list[tuple[dict[str, Any], int]] = []
        owner: int | None = None
        for group in groups:
            found = by_id.get(group.get("fulfillmentOrderId")) if isinstance(group, dict) else None
            if found is None:
                return None, [
                    {"field": ["fulfillment"], "message": "Fulfillment order does not exist."}
                ]
            order_id, fo = found
            if owner is not None and owner != order_id:
                return None, [
                    {
                        "field": ["fulfillment"],
                        "message": "Fulfillment orders must belong to one order.",
                    }
                ]
            owner = order_id
            if fo["status"] not in ("OPEN", "IN_PROGRESS"):
                return None, [
                    {
                        "field": ["fulfillment"],
                        "message": f"Fulfillment order {fo['id']} has an unfulfillable status= "
                        f"{fo['status'].lower()}.",
                    }
                ]
            lines = {line["id"]: line for line in fo["lineItems"]["nodes"]}
            wanted = group.get("fulfillmentOrderLineItems")
            if wanted is None:
                plan.extend((line, line["remainingQuantity"]) for line in lines.values())
                continue
            for item in wanted:
                line = lines.get(item.get("id")) if isinstance(item, dict) else None
                qty = item.get("quantity") if isinstance(item, dict) else None
                if (
                    line is None
                    or not isinstance(qty, int)
                    or not 0 < qty <= line["remainingQuantity"]
                ):
                    return None, [
                        {
                            "field": ["fulfillment"],
                            "message": "Invalid fulfillment order line item quantity requested.",
                        }
                    ]
                plan.append((line, qty))
        for line, qty in plan:
            line["remainingQuantity"] -= qty
        assert owner is not None
        for fo in self.fulfillment_orders[owner]:
            left = sum(line["remainingQuantity"] for line in fo["lineItems"]["nodes"])
            if fo["status"] in ("OPEN", "IN_PROGRESS"):
                fo["status"] = "CLOSED" if left == 0 else "IN_PROGRESS"
        return owner, []

    def _op_FulfillmentCreate(self, v: dict[str, Any]) -> dict[str, Any]:
        order_id, errors = self._fulfil(v)
        if order_id is None:
            return {"data": {"fulfillmentCreate": {"fulfillment": None, "userErrors": errors}}}
        spec = v["fulfillment"]
        tracking = spec.get("trackingInfo") or {}
        numbers = list(tracking.get("numbers") or []) + (
            [tracking["number"]] if tracking.get("number") else []
        )
        fulfillment = {
            "id": f"gid://shopify/Fulfillment/{self._next_id}",
            "status": "SUCCESS",
            "trackingInfo": [{"company": tracking.get("company"), "number": n} for n in numbers],
        }
        self._next_id += 1
        self.fulfillments.setdefault(order_id, []).append(fulfillment)
        order = self.orders[order_id]
        open_left = any(
            fo["status"] != "CLOSED" for fo in self.fulfillment_orders.get(order_id, [])
        )
        order["displayFulfillmentStatus"] = "PARTIALLY_FULFILLED" if open_left else "FULFILLED"
        order["updatedAt"] = stamp(datetime.now(UTC))
        return {"data": {"fulfillmentCreate": {"fulfillment": fulfillment, "userErrors": []}}}

    def _op_OrderCancel(self, v: dict[str, Any]) -> dict[str, Any]:
        missing = [
            name
            for name, kind in (("reason", str), ("refund", bool), ("restock", bool))
            if not isinstance(v.get(name), kind)
        ]
        if missing:
            return {
                "errors": [
                    _error(f"Variable ${missing[0]} of type is required", "INVALID_VARIABLE")
                ]
            }
        order_id = self._order_id(v.get("orderId"))
        if order_id is None:
            problem = {
                "field": ["orderId"],
                "message": "Order does not exist.",
                "code": "NOT_FOUND",
            }
            return {"data": {"orderCancel": {"job": None, "orderCancelUserErrors": [problem]}}}
        order = self.orders[order_id]
        if order.get("cancelledAt"):
            problem = {
                "field": ["orderId"],
                "message": "Order has already been cancelled.",
                "code": "INVALID",
            }
            return {"data": {"orderCancel": {"job": None, "orderCancelUserErrors": [problem]}}}
        now = stamp(datetime.now(UTC))
        order["cancelledAt"] = now
        order["updatedAt"] = now
        self.cancellations[order_id] = dict(v)
        job = {"id": f"gid://shopify/Job/{self._next_id}", "done": False}
        self._next_id += 1
        return {"data": {"orderCancel": {"job": job, "orderCancelUserErrors": []}}}

    def _op_OrderUpdate(self, v: dict[str, Any]) -> dict[str, Any]:
        raw = v.get("input")
        spec: dict[str, Any] = raw if isinstance(raw, dict) else {}
        order_id = self._order_id(spec.get("id"))
        if order_id is None:
            problem = {"field": ["id"], "message": "Order does not exist"}
            return {"data": {"orderUpdate": {"order": None, "userErrors": [problem]}}}
        order = self.orders[order_id]
        if "note" in spec:
            order["note"] = spec["note"]
        order["updatedAt"] = stamp(datetime.now(UTC))
        return {
            "data": {
                "orderUpdate": {
                    "order": {"id": order["id"], "note": order.get("note")},
                    "userErrors": [],
                }
            }
        }

    def next_fault(self, operation: str) -> Fault | None:
        with self._lock:
            for name in (operation, "*"):
                queue = self.faults.get(name)
                if queue:
                    return queue.pop(0)
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
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

    def _handle(self) -> None:
        store: FakeShopify = self.server.store
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        query = body.get("query") if isinstance(body, dict) else None
        found = _OPERATION.match(query) if isinstance(query, str) else None
        operation = found.group(2) if found else ""
        variables = body.get("variables") if isinstance(body, dict) else None
        variables = variables if isinstance(variables, dict) else {}
        auth_ok = self.headers.get("X-Shopify-Access-Token") == store.access_token
        with store._lock:
            store.requests.append(
                Request(
                    self.command,
                    self.path,
                    dict(self.headers.items()),
                    body,
                    operation,
                    variables,
                    auth_ok,
                )
            )
        if self.command != "POST" or self.path != API_PATH:
            self._send(404, {"errors": "Not Found"})
            return
        if not auth_ok:
            self._send(401, {"errors": BAD_TOKEN})
            return
        if not operation:
            self._send(400, {"errors": [_error("Parse error: no operation", "PARSE_ERROR")]})
            return
        fault = store.next_fault(operation)
        if fault is not None:
            if fault.lose:
                cost, _ = store.charge(operation, variables)
                store.settle(cost, operation, store.run(operation, variables))
            if fault.hang or fault.lose:
                store.stopping.wait(30)
                return
            if fault.code is not None:
                cost, _ = store.charge(operation, variables)
                answer = {
                    "errors": [_error(f"Scripted {fault.code}", fault.code)],
                    "extensions": {"cost": cost},
                }
                self._send(200, answer)
                return
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._send(fault.status, {"errors": "Internal Server Error"}, headers, raw=fault.body)
            return
        cost, allowed = store.charge(operation, variables)
        if cost["requestedQueryCost"] > MAX_QUERY_COST:
            message = (
                f"Query cost is {cost['requestedQueryCost']}, which exceeds the single query max "
                f"cost limit ({MAX_QUERY_COST})."
            )
            answer = {
                "errors": [_error(message, "MAX_COST_EXCEEDED")],
                "extensions": {"cost": cost},
            }
        elif not allowed:
            answer = {"errors": [_error("Throttled", "THROTTLED")], "extensions": {"cost": cost}}
        else:
            answer = store.run(operation, variables)
            store.settle(cost, operation, answer)
            answer["extensions"] = {"cost": cost}
        self._send(200, answer)


FAST = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)


def connect(
    store: FakeShopify,
    *,
    url: str | None = None,
    token: str | None = None,
    name: str = "Zoë's Shop",
    mode: str = "auto-invoice",
) -> ShopifyConnector:
    """A connector for this fake store with short timeouts (a hang is a quick timeout)."""
    cart = CartConfig(
        id=3, name=name, kind="shopify", base_url=url or store.base_url, download_mode=mode
    )
    secrets = {"access_token": token if token is not None else store.access_token}
    return ShopifyConnector(cart, secrets, timeout=FAST)
