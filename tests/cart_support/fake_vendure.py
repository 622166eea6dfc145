"""A Vendure server on 127.0.0.1 that answers the Admin API (GraphQL) the way the docs describe.

What it does like a real Vendure (see the facts in ordermanager/carts/vendure*.py): one endpoint,
``POST /admin-api`` with ``{query, variables, operationName}``; the API key in the
``vendure-api-key`` header or a session token as ``Authorization: Bearer`` (anything else:
HTTP 200 with a FORBIDDEN error, as Vendure does); the ``vendure-token`` header picks a channel
(recorded); every failure is HTTP 200 with an ``errors`` array (ENTITY_NOT_FOUND for unknown
ids) or an ErrorResult union member; a field the schema does not have is HTTP 400
GRAPHQL_VALIDATION_FAILED (the Shop API at ``/shop-api`` has no ``orders``).
``orders`` filters ``active`` and ``updatedAt.after`` (exclusive), sorts by ``updatedAt`` then
``id``, pages with ``skip``/``take`` and returns ``totalItems``; fulfillments, cancellation,
notes and order states follow the default processes. Answers carry whole objects whatever the
selection set asked for (the connector reads only fields it selected).

The operation is recognised by its root field, and its arguments are read from ``variables``
(the connector passes every argument as a variable). Faults are scripted per root field
("orders", "order", "addFulfillmentToOrder", ...): a status with Retry-After, a raw body, or no
answer until the server stops. Every request is recorded before it is answered.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

ADMIN_PATH = "/admin-api"
SHOP_PATH = "/shop-api"
_ROOTS = (
    "addFulfillmentToOrder",
    "transitionFulfillmentToState",
    "cancelOrder",
    "addNoteToOrder",
    "transitionOrderToState",
    "orders",
    "order",
)
_ROOT = re.compile(r"\{\s*(" + "|".join(_ROOTS) + r")\s*[({]")
# The default OrderProcess transitions an administrator can make (a subset that matters here).
_ORDER_TRANSITIONS: dict[str, set[str]] = {
    "PaymentAuthorized": {"PaymentSettled", "Cancelled", "Modifying"},
    "PaymentSettled": {"PartiallyShipped", "Shipped", "Cancelled", "Modifying"},
    "PartiallyShipped": {"Shipped", "PartiallyDelivered", "Cancelled", "Modifying"},
    "Shipped": {"PartiallyDelivered", "Delivered", "Cancelled", "Modifying"},
    "PartiallyDelivered": {"Delivered", "Cancelled", "Modifying"},
    "Delivered": {"Cancelled"},
    "Modifying": {"PaymentSettled", "ArrangingAdditionalPayment", "Cancelled"},
    "Cancelled": set(),
}
_FULFILLMENT_TRANSITIONS: dict[str, set[str]] = {
    "Pending": {"Shipped", "Delivered", "Cancelled"},
    "Shipped": {"Delivered", "Cancelled"},
    "Delivered": {"Cancelled"},
    "Cancelled": set(),
}


@dataclass(frozen=True)
class Fault:
    status: int = 500
    body: str | None = None  # None: a JSON error body
    retry_after: str | None = None
    hang: bool = False  # never answer (until the server stops): the client times out
    lose_answer: bool = False  # do the work, then drop the connection (a lost answer)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None
    operation: str  # the root field: "orders", "addNoteToOrder", ...
    variables: dict[str, Any]
    auth_ok: bool


def stamp(moment: datetime) -> str:
    """Aware UTC as Vendure's DateTime scalar writes it."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def make_order(
    order_id: int | str,
    *,
    modified: datetime,
    code: str | None = None,
    state: str = "PaymentSettled",
    first_name: str = "Ada",
    last_name: str = "Lovelace",
    lines: list[dict[str, Any]] | None = None,
    currency: str = "EUR",
) -> dict[str, Any]:
    """An order as the Admin API returns it; ``modified`` aware UTC, placed one hour earlier."""
    placed = modified - timedelta(hours=1)
    oid = str(order_id)
    lines = (
        lines
        if lines is not None
        else [make_line(f"{oid}1", sku="ENG-1", name="Engine card", quantity=2, unit=1949)]
    )
    sub = sum(int(line["unitPriceWithTax"]) * int(line["quantity"]) for line in lines)
    address = {
        "fullName": f"{first_name} {last_name}",
        "company": "",
        "streetLine1": "1 Analytical Row",
        "streetLine2": "",
        "city": "London",
        "province": "",
        "postalCode": "N1 7AA",
        "country": "United Kingdom",
        "countryCode": "GB",
        "phoneNumber": "+44 20 0000",
    }
    return {
        "id": oid,
        "code": code if code is not None else f"VND{oid:0>6}",
        "state": state,
        "active": False,
        "createdAt": stamp(placed - timedelta(minutes=5)),
        "updatedAt": stamp(modified),
        "orderPlacedAt": stamp(placed),
        "currencyCode": currency,
        "customer": {
            "id": f"c{oid}",
            "firstName": first_name,
            "lastName": last_name,
            "emailAddress": "ada@example.org",
        },
        "billingAddress": dict(address),
        "shippingAddress": dict(address, countryCode="gb"),
        "lines": lines,
        "subTotalWithTax": sub,
        "shippingWithTax": 500,
        "total": round((sub + 500) / 1.2),
        "totalWithTax": sub + 500,
        "discounts": [],
        "payments": [{"id": f"p{oid}", "state": "Settled", "amount": sub + 500}],
        "fulfillments": [],
        "history": {"items": [], "totalItems": 0},
    }


def make_line(line_id: str, *, sku: str, name: str, quantity: int, unit: int) -> dict[str, Any]:
    return {
        "id": line_id,
        "quantity": quantity,
        "unitPriceWithTax": unit,
        "productVariant": {"id": f"v{line_id}", "sku": sku, "name": name},
    }


def _error(message: str, code: str, path: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}, "path": [path]}


def _error_result(type_name: str, code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"__typename": type_name, "errorCode": code, "message": message, **extra}


@dataclass
class FakeVendure:
    api_key: str = "vk_test_0123456789abcdefSECRET"
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    take_limit: int = 1000  # Vendure's adminListQueryLimit
    session_token: str = ""  # an administrator's session (login), accepted as Bearer

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._next_id = 500
        self.clock = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.store = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.base_url + ADMIN_PATH

    def add(self, *orders: dict[str, Any]) -> None:
        with self._lock:
            for order in orders:
                self.orders[str(order["id"])] = order

    def fail(self, operation: str, *faults: Fault) -> None:
        with self._lock:
            self.faults.setdefault(operation, []).extend(faults)

    def seen(self, operation: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if operation is None or r.operation == operation]

    def __enter__(self) -> FakeVendure:
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

    # -- the operations (called with the lock held) ------------------------------------------

    def _touch(self, order: dict[str, Any]) -> None:
        self.clock += timedelta(seconds=1)
        order["updatedAt"] = stamp(self.clock)

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def run(self, operation: str, v: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
        """(data for the root field, GraphQL errors)."""
        handler = getattr(self, f"op_{operation}")
        return handler(v)  # type: ignore[no-any-return]

    def op_orders(self, v: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
        options = v.get("options") or {}
        take = int(options.get("take") or 10)
        skip = int(options.get("skip") or 0)
        if take > self.take_limit:
            message = f"Cannot take more than {self.take_limit} results from a list query"
            return None, [_error(message, "USER_INPUT_ERROR", "orders")]
        flt = options.get("filter") or {}
        rows = list(self.orders.values())
        active = (flt.get("active") or {}).get("eq")
        if active is not None:
            rows = [r for r in rows if bool(r.get("active")) == active]
        after = (flt.get("updatedAt") or {}).get("after")
        if after:
            rows = [r for r in rows if _parse(r.get("updatedAt")) > _parse(after)]
        sort = options.get("sort") or {}
        if sort.get("updatedAt") == "ASC":
            rows.sort(key=lambda r: (_parse(r.get("updatedAt")), _id_key(r.get("id"))))
        return {"items": rows[skip : skip + take], "totalItems": len(rows)}, []

    def op_order(self, v: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
        return self.orders.get(str(v.get("id"))), []

    def _line_owner(self, line_id: str) -> dict[str, Any] | None:
        for order in self.orders.values():
            if any(str(line.get("id")) == line_id for line in order.get("lines") or []):
                return order
        return None

    def op_addFulfillmentToOrder(self, v: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
        data = v.get("input") or {}
        handler = data.get("handler") or {}
        if handler.get("code") != "manual-fulfillment":
            return _error_result(
                "InvalidFulfillmentHandlerError",
                "INVALID_FULFILLMENT_HANDLER_ERROR",
                "The FulfillmentHandler code is not valid",
            ), []
        lines = data.get("lines") or []
        if not lines:
            return _error_result(
                "EmptyOrderLineSelectionError",
                "EMPTY_ORDER_LINE_SELECTION_ERROR",
                "At least one OrderLine must be specified",
            ), []
        owners: dict[str, dict[str, Any]] = {}
        for line in lines:
            owner = self._line_owner(str(line.get("orderLineId")))
            if owner is None:
                message = f'No OrderLine with the id "{line.get("orderLineId")}" could be found'
                return None, [_error(message, "ENTITY_NOT_FOUND", "addFulfillmentToOrder")]
            owners[owner["id"]] = owner
        if len(owners) > 1:
            return _error_result(
                "MultipleOrderError",
                "MULTIPLE_ORDER_ERROR",
                "The given OrderItems belong to multiple Orders",
            ), []
        order = next(iter(owners.values()))
        done: dict[str, int] = {}
        for f in order["fulfillments"]:
            if f["state"] != "Cancelled":
                for fl in f["lines"]:
                    done[fl["orderLineId"]] = done.get(fl["orderLineId"], 0) + fl["quantity"]
        sizes = {str(line["id"]): int(line["quantity"]) for line in order["lines"]}
        for line in lines:
            key = str(line["orderLineId"])
            if done.get(key, 0) + int(line["quantity"]) > sizes[key]:
                return _error_result(
                    "ItemsAlreadyFulfilledError",
                    "ITEMS_ALREADY_FULFILLED_ERROR",
                    "One or more OrderItems are already part of a Fulfillment",
                ), []
        args = {a.get("name"): a.get("value") for a in handler.get("arguments") or []}
        fulfillment = {
            "__typename": "Fulfillment",
            "id": self._new_id(),
            "state": "Pending",
            "method": args.get("method") or "",
            "trackingCode": args.get("trackingCode") or "",
            "lines": [
                {"orderLineId": str(x["orderLineId"]), "quantity": int(x["quantity"])}
                for x in lines
            ],
        }
        order["fulfillments"].append(fulfillment)
        self._touch(order)
        return fulfillment, []

    def _fulfillment(self, fulfillment_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        for order in self.orders.values():
            for f in order["fulfillments"]:
                if f["id"] == fulfillment_id:
                    return order, f
        return None

    def op_transitionFulfillmentToState(
        self, v: dict[str, Any]
    ) -> tuple[Any, list[dict[str, Any]]]:
        found = self._fulfillment(str(v.get("id")))
        if found is None:
            message = f'No Fulfillment with the id "{v.get("id")}" could be found'
            return None, [_error(message, "ENTITY_NOT_FOUND", "transitionFulfillmentToState")]
        order, fulfillment = found
        to = str(v.get("state"))
        if to not in _FULFILLMENT_TRANSITIONS.get(fulfillment["state"], set()):
            text = f'Cannot transition Fulfillment from "{fulfillment["state"]}" to "{to}"'
            return _error_result(
                "FulfillmentStateTransitionError",
                "FULFILLMENT_STATE_TRANSITION_ERROR",
                text,
                transitionError=text,
                fromState=fulfillment["state"],
                toState=to,
            ), []
        fulfillment["state"] = to
        shipped: dict[str, int] = {}
        for f in order["fulfillments"]:
            if f["state"] in ("Shipped", "Delivered"):
                for fl in f["lines"]:
                    shipped[fl["orderLineId"]] = shipped.get(fl["orderLineId"], 0) + fl["quantity"]
        everything = all(shipped.get(str(x["id"]), 0) >= int(x["quantity"]) for x in order["lines"])
        if to == "Shipped":
            order["state"] = "Shipped" if everything else "PartiallyShipped"
        self._touch(order)
        return fulfillment, []

    def _order_or_error(
        self, order_id: Any, path: str
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        order = self.orders.get(str(order_id))
        if order is None:
            message = f'No Order with the id "{order_id}" could be found'
            return None, [_error(message, "ENTITY_NOT_FOUND", path)]
        return order, []

    def _transition(self, order: dict[str, Any], to: str) -> dict[str, Any] | None:
        """None when allowed (and done), else the OrderStateTransitionError."""
        now = order["state"]
        if to not in _ORDER_TRANSITIONS.get(now, set()):
            text = f'Cannot transition Order from "{now}" to "{to}"'
            return _error_result(
                "OrderStateTransitionError",
                "ORDER_STATE_TRANSITION_ERROR",
                text,
                transitionError=text,
                fromState=now,
                toState=to,
            )
        order["state"] = to
        self._touch(order)
        return None

    def op_cancelOrder(self, v: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
        data = v.get("input") or {}
        order, errors = self._order_or_error(data.get("orderId"), "cancelOrder")
        if order is None:
            return None, errors
        if order.get("active"):
            return _error_result(
                "CancelActiveOrderError",
                "CANCEL_ACTIVE_ORDER_ERROR",
                'Cannot cancel OrderLines from an Order in the "AddingItems" state',
                orderState=order["state"],
            ), []
        refused = self._transition(order, "Cancelled")
        if refused is not None:
            return refused, []
        order["history"]["items"].insert(
            0,
            {
                "type": "ORDER_CANCELLATION",
                "isPublic": False,
                "data": {"reason": data.get("reason")},
            },
        )
        return dict(order, __typename="Order"), []

    def op_addNoteToOrder(self, v: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
        data = v.get("input") or {}
        order, errors = self._order_or_error(data.get("id"), "addNoteToOrder")
        if order is None:
            return None, errors
        order["history"]["items"].insert(
            0,
            {
                "type": "ORDER_NOTE",
                "isPublic": bool(data.get("isPublic")),
                "data": {"note": data.get("note")},
            },
        )
        self._touch(order)
        return order, []

    def op_transitionOrderToState(self, v: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
        order, errors = self._order_or_error(v.get("id"), "transitionOrderToState")
        if order is None:
            return None, errors
        refused = self._transition(order, str(v.get("state")))
        return (refused if refused is not None else dict(order, __typename="Order")), []


def _parse(value: Any) -> datetime:
    text = str(value or "1970-01-01T00:00:00.000Z")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _id_key(value: Any) -> tuple[int, str]:
    text = str(value)
    return (int(text), "") if text.isdigit() else (1 << 62, text)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._send(405, raw="GET query not supported here", content_type="text/plain")

    def do_POST(self) -> None:
        store: FakeVendure = self.server.store
        path = urlsplit(self.path).path.rstrip("/")
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        query = body.get("query", "") if isinstance(body, dict) else ""
        variables = body.get("variables") if isinstance(body, dict) else None
        variables = variables if isinstance(variables, dict) else {}
        found = _ROOT.search(query)
        operation = found.group(1) if found else ""
        # Like Vendure with tokenMethod ['bearer', 'api-key']: a Bearer header wins, and is a
        # session token; only without one is the API key header read.
        bearer = re.match(r"(?i)^bearer\s(.+)$", self.headers.get("Authorization", "").strip())
        if bearer:
            auth_ok = bool(store.session_token) and bearer.group(1) == store.session_token
        else:
            auth_ok = self.headers.get("vendure-api-key", "") == store.api_key
        with store._lock:
            store.requests.append(
                Request(
                    "POST", path, dict(self.headers.items()), body, operation, variables, auth_ok
                )
            )
        if path not in (ADMIN_PATH, SHOP_PATH):
            self._send(404, raw=f"Cannot POST {path}", content_type="text/html")
            return
        if path == SHOP_PATH and operation == "orders":
            message = 'Cannot query field "orders" on type "Query".'
            self._json(
                400,
                {
                    "errors": [
                        {"message": message, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}
                    ]
                },
            )
            return
        if not operation:
            self._json(
                400,
                {
                    "errors": [
                        {
                            "message": "Unknown operation",
                            "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
                        }
                    ]
                },
            )
            return
        if not auth_ok:
            message = "You are not currently authorized to perform this action"
            self._json(200, {"errors": [_error(message, "FORBIDDEN", operation)], "data": None})
            return
        fault = _next_fault(store, operation)
        if fault is not None and not fault.lose_answer:
            if fault.hang:
                store.stopping.wait(30)
                return
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            if fault.body is not None:
                self._send(fault.status, raw=fault.body, headers=headers)
            else:
                error = {
                    "message": "Something went wrong",
                    "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                }
                self._json(fault.status, {"errors": [error]}, headers)
            return
        with store._lock:
            data, errors = store.run(operation, variables)
            answer = json.loads(
                json.dumps({"data": {operation: data}, **({"errors": errors} if errors else {})})
            )
        if errors:
            answer["data"] = None
        if fault is not None and fault.lose_answer:
            self.close_connection = True
            self.connection.shutdown(2)  # the work is done, the answer never arrives
            return
        self._json(200, answer)

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, raw=json.dumps(body, ensure_ascii=False), headers=headers)

    def _send(
        self,
        status: int,
        *,
        raw: str,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json; charset=utf-8",
    ) -> None:
        data = raw.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _next_fault(store: FakeVendure, operation: str) -> Fault | None:
    with store._lock:
        queue = store.faults.get(operation)
        return queue.pop(0) if queue else None
