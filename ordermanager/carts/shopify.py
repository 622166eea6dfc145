"""The Shopify connector (Admin GraphQL API at ``<store>/admin/api/<version>/graphql.json``).

The merchant enters the store's address (``https://STORE.myshopify.com``) and an Admin API access
token (``X-Shopify-Access-Token``). Every call is one GraphQL POST to one pinned API version.

Orders are read oldest change first (``sortKey: UPDATED_AT``) with the search query
``updated_at:>'<since>'``; later pages send the very same arguments plus ``after`` (Shopify
rejects a cursor used with different query or sort arguments), so the page token carries the
query string as well as the cursor. Shopify's cursors are keyset cursors over the sort key, so an
order changed during the download moves to the end and is read there: none is skipped.

Rate limits are a points bucket: each answer reports ``extensions.cost.throttleStatus``. The
connector remembers the last one and waits before a request whose expected cost is more than the
bucket holds (briefly; a long wait becomes a transient error with ``retry_after`` instead). A
THROTTLED answer (HTTP 200 with ``errors``) is transient with ``retry_after`` computed from the
missing points and the restore rate; HTTP 429 honours Retry-After; 5xx and timeouts are
transient. Status updates: see ``shopify_status``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import httpx

from ordermanager import secrets
from ordermanager.carts import http
from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import (
    Capabilities,
    CartConfig,
    OrderPage,
    RemoteOrder,
    SkippedOrder,
)
from ordermanager.carts.shopify_orders import (
    ITEMS_PER_EXTRA_PAGE,
    ITEMS_PER_ORDER,
    LINE_ITEMS_QUERY,
    ORDERS_PER_PAGE,
    ORDERS_QUERY,
    BadOrder,
    item_nodes,
    normalise,
    order_gid,
    updated_since_query,
)
from ordermanager.carts.shopify_status import (
    DEFAULT_MAP,
    FULFILLMENT_CREATE,
    ORDER_CANCEL,
    ORDER_FOR_SHIPMENT_QUERY,
    ORDER_NOTE_QUERY,
    ORDER_STATE_QUERY,
    ORDER_UPDATE,
    STATUSES,
    SUPPORTED,
    CannotShip,
    appended_note,
    cancel_variables,
    fulfillment_input,
    held_statuses,
    line_items_by_fulfillment_order,
    open_lines,
    tracking_already_there,
)
from ordermanager.carts.status_map import ActionKind, CartAction, CartStatus
from ordermanager.carts.updates import UpdateView, view_of
from ordermanager.stack import backoff
from ordermanager.stack.delivery import Delivered, Outcome, Rejected, RetryLater, trim_error

if TYPE_CHECKING:
    from ordermanager.stack.queue import ClaimedRecord

API_VERSION = "2025-01"
API_PATH = f"/admin/api/{API_VERSION}/graphql.json"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)
# Waiting longer than this for the points bucket blocks a sync or a sender thread for too long;
# the caller is told to come back instead (transient error / RetryLater with retry_after).
MAX_PROACTIVE_WAIT = 5.0
DEFAULT_COST = 50.0  # expected cost of an operation not seen yet
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_TRANSIENT_CODES = frozenset({"THROTTLED", "INTERNAL_SERVER_ERROR"})


@dataclass
class _Bucket:
    """The last throttle status Shopify reported, and when."""

    available: float
    maximum: float
    restore_rate: float
    at: float

    def now(self, clock: float) -> float:
        return min(self.maximum, self.available + max(0.0, clock - self.at) * self.restore_rate)


class ShopifyConnector:
    kind: ClassVar[str] = "shopify"
    title: ClassVar[str] = "Shopify"
    capabilities: ClassVar[Capabilities] = Capabilities(
        order_download=True,
        status_updates=True,
        tracking_numbers=True,  # on the fulfillment
        cancel=True,
        partial_shipment=True,  # fulfillment of the shipped line items and quantities
        inventory=False,
        invoices=False,
    )
    secret_fields: ClassVar[tuple[str, ...]] = ("access_token",)
    supported_actions: ClassVar[frozenset[ActionKind]] = SUPPORTED
    cart_statuses: ClassVar[tuple[CartStatus, ...]] = STATUSES
    default_status_map: ClassVar[Mapping[str, CartAction]] = DEFAULT_MAP

    def __init__(
        self,
        cart: CartConfig,
        secrets: Mapping[str, str],
        *,
        timeout: httpx.Timeout | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.cart = cart
        self.base_url = _store_url(cart.base_url)
        self._token = secrets.get("access_token", "").strip()
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=timeout or DEFAULT_TIMEOUT,
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": "OrderManager", "Accept": "application/json"},
        )
        self._bucket: _Bucket | None = None
        self._costs: dict[str, float] = {}  # last requested cost per operation
        # Replaceable in tests, so the throttle wait is observed rather than slept through.
        self.clock: Callable[[], float] = time.monotonic
        self.sleep: Callable[[float], None] = time.sleep

    # -- plumbing ---------------------------------------------------------------------------

    def _where(self) -> str:
        return f"Shopify cart '{self.cart.name}'"

    def _clean(self, text: str) -> str:
        return trim_error(secrets.redact(text, [self._token] if self._token else []))

    def _check_setup(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConnectorError(
                f"{self._where()}: the store URL '{self.base_url}' is not a web address; enter "
                "https://STORE.myshopify.com."
            )
        if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
            raise ConnectorError(
                f"{self._where()}: Shopify stores are reached over https only; the access token "
                f"must not travel in the clear (URL '{self.base_url}')."
            )
        if not self._token:
            raise ConnectorError(f"{self._where()}: the Admin API access token is missing.")

    def _wait_for_points(self, operation: str) -> None:
        """Wait until the bucket (as last reported) holds the operation's expected cost."""
        if self._bucket is None or self._bucket.restore_rate <= 0:
            return
        expected = self._costs.get(operation, DEFAULT_COST)
        available = self._bucket.now(self.clock())
        if available >= expected:
            return
        wait = (expected - available) / self._bucket.restore_rate
        if wait > MAX_PROACTIVE_WAIT:
            raise ConnectorError(
                f"{self._where()}: the API rate limit is used up ({available:.0f} of "
                f"{expected:.0f} points available); try again in {wait:.0f} s.",
                transient=True,
                retry_after=wait,
            )
        self.sleep(wait)

    def _note_cost(self, operation: str, body: Mapping[str, Any]) -> dict[str, Any]:
        extensions = body.get("extensions")
        cost = extensions.get("cost") if isinstance(extensions, dict) else None
        if not isinstance(cost, dict):
            return {}
        requested = _number(cost.get("requestedQueryCost"))
        if requested is not None:
            self._costs[operation] = requested
        status = cost.get("throttleStatus")
        if isinstance(status, dict):
            available = _number(status.get("currentlyAvailable"))
            maximum = _number(status.get("maximumAvailable"))
            rate = _number(status.get("restoreRate"))
            if available is not None and maximum is not None and rate is not None:
                self._bucket = _Bucket(available, maximum, rate, self.clock())
        return cost

    def _post(self, operation: str, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """One GraphQL call; its ``data``, or ConnectorError (never a traceback)."""
        self._check_setup()
        self._wait_for_points(operation)
        response = http.request(
            self._client,
            "POST",
            API_PATH,
            json={"query": query, "variables": dict(variables), "operationName": operation},
            headers={"X-Shopify-Access-Token": self._token},
            where=self._where(),
            address=self.base_url,
            clean=self._clean,
        )
        self._raise_for_status(response)
        try:
            body = json.loads(response.content, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            raise ConnectorError(
                f"{self._where()} sent an answer that is not JSON "
                f"(HTTP {response.status_code}, {len(response.content)} bytes)."
            ) from None
        if not isinstance(body, dict):
            raise ConnectorError(f"{self._where()} sent JSON that is not a GraphQL answer.")
        cost = self._note_cost(operation, body)
        errors = body.get("errors")
        if errors:
            raise self._graphql_error(errors, cost, operation)
        data = body.get("data")
        if not isinstance(data, dict):
            raise ConnectorError(f"{self._where()} answered without data ({operation}).")
        return data

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        message = self._cart_message(response)
        if status in (401, 403):
            text = (
                f"{self._where()} refused the access token (HTTP {status}: {message}). Check the "
                "token of the store's custom app and its API scopes."
            )
        elif status == 404:
            text = (
                f"{self._where()}: no Shopify Admin API at {self.base_url}{API_PATH} (HTTP 404). "
                "Enter the store's address, https://STORE.myshopify.com."
            )
        elif 300 <= status < 400:
            text = (
                f"{self._where()} answered with a redirect (HTTP {status}); enter the store's "
                "myshopify.com address."
            )
        else:
            text = f"{self._where()} answered HTTP {status}: {message}"
        transient = backoff.is_transient_status(status)
        retry_after = (
            backoff.parse_retry_after(response.headers.get("Retry-After")) if transient else None
        )
        raise ConnectorError(self._clean(text), transient=transient, retry_after=retry_after)

    def _cart_message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return self._clean(response.text.strip() or "(empty body)")
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, str):
            return self._clean(errors)
        if isinstance(errors, list):
            return self._clean(_messages(errors))
        return self._clean(response.text.strip())

    def _graphql_error(
        self, errors: Any, cost: Mapping[str, Any], operation: str
    ) -> ConnectorError:
        listed = errors if isinstance(errors, list) else [errors]
        codes = {_code(e) for e in listed}
        text = _messages(listed)
        if "THROTTLED" in codes:
            requested = _number(cost.get("requestedQueryCost")) or self._costs.get(
                operation, DEFAULT_COST
            )
            status = cost.get("throttleStatus")
            available = rate = None
            if isinstance(status, dict):
                available = _number(status.get("currentlyAvailable"))
                rate = _number(status.get("restoreRate"))
            missing = requested - (available or 0.0)
            wait = missing / rate if rate and missing > 0 else None
            return ConnectorError(
                self._clean(f"{self._where()} is throttling requests ({text})"),
                transient=True,
                retry_after=wait,
            )
        return ConnectorError(
            self._clean(f"{self._where()} answered with an error ({operation}): {text}"),
            transient=bool(codes & _TRANSIENT_CODES),
        )

    # -- the protocol -----------------------------------------------------------------------

    def test_connection(self) -> str:
        data = self._post("Shop", "query Shop { shop { name myshopifyDomain } }", {})
        shop = data.get("shop")
        if not isinstance(shop, dict):
            raise ConnectorError(f"{self._where()}: the answer names no shop; is this Shopify?")
        name = shop.get("name") or "?"
        domain = shop.get("myshopifyDomain") or self.base_url
        return f"Connected to Shopify store '{name}' ({domain})."

    def list_orders(self, since: datetime, page: str | None) -> OrderPage:
        if page:
            query, after = _decode_token(page, self._where())
        else:
            query, after = updated_since_query(since), None
        variables: dict[str, Any] = {
            "first": ORDERS_PER_PAGE,
            "query": query,
            "sortKey": "UPDATED_AT",
            "itemsFirst": ITEMS_PER_ORDER,
        }
        if after is not None:
            variables["after"] = after
        data = self._post("Orders", ORDERS_QUERY, variables)
        connection = data.get("orders")
        nodes = connection.get("nodes") if isinstance(connection, dict) else None
        if not isinstance(connection, dict) or not isinstance(nodes, list):
            raise ConnectorError(f"{self._where()} answered without an orders list.")
        orders: list[RemoteOrder] = []
        skipped: list[SkippedOrder] = []
        for raw in nodes:
            result = normalise(raw, self._more_items(raw))
            if isinstance(result, RemoteOrder):
                orders.append(result)
            else:
                skipped.append(result)
        info = connection.get("pageInfo")
        cursor = info.get("endCursor") if isinstance(info, dict) else None
        more = isinstance(info, dict) and info.get("hasNextPage") is True
        if more and not (isinstance(cursor, str) and cursor):
            raise ConnectorError(f"{self._where()} said more orders follow but sent no cursor.")
        return OrderPage(
            orders=orders,
            skipped=skipped,
            next_page=json.dumps({"query": query, "after": cursor}) if more else None,
        )

    def _more_items(self, raw: Any) -> list[Any]:
        """The line items of an order beyond the first page of them (rare: > ITEMS_PER_ORDER)."""
        try:
            _, cursor = item_nodes(raw)
        except BadOrder:
            return []  # normalise says why the order is skipped
        extra: list[Any] = []
        gid = raw.get("id")
        while cursor is not None and isinstance(gid, str):
            data = self._post(
                "OrderLineItems",
                LINE_ITEMS_QUERY,
                {"id": gid, "first": ITEMS_PER_EXTRA_PAGE, "after": cursor},
            )
            try:
                nodes, cursor = item_nodes(data.get("order"))
            except BadOrder:
                break
            extra.extend(nodes)
        return extra

    def push_status(self, record: ClaimedRecord, action: CartAction) -> Outcome:
        # Shopify's @idempotent directive covers inventory and refund mutations only, so the
        # record's idempotency key has nowhere to go: each action reads the order first and a
        # retry does not repeat what an earlier attempt already did.
        remote = record.order_remote_id.strip()
        if not remote.isdigit():
            return Rejected(
                f"Order {record.order_number} has no Shopify order id ('{remote}'), so its "
                "status cannot be sent to the cart."
            )
        view = view_of(record)
        try:
            if action.kind is ActionKind.SHIP:
                return self._ship(record, view, action)
            if action.kind is ActionKind.CANCEL:
                return self._cancel(record, view, action)
            if action.kind is ActionKind.COMMENT:
                return self._comment(record, view)
        except ConnectorError as exc:
            if exc.transient:
                return RetryLater(str(exc), retry_after=exc.retry_after)
            return Rejected(str(exc))
        return Rejected(
            f"{self._where()}: '{action.describe()}' is not something a Shopify cart can do; "
            "change the label's status mapping."
        )

    def _order(self, record: ClaimedRecord, operation: str, query: str) -> dict[str, Any] | None:
        data = self._post(operation, query, {"id": order_gid(record.order_remote_id.strip())})
        order = data.get("order")
        return order if isinstance(order, dict) else None

    def _not_found(self, record: ClaimedRecord) -> Rejected:
        return Rejected(
            f"Order {record.order_number} (Shopify id {record.order_remote_id.strip()}): "
            "order not found in the cart"
        )

    def _ship(self, record: ClaimedRecord, view: UpdateView, action: CartAction) -> Outcome:
        order = self._order(record, "OrderForShipment", ORDER_FOR_SHIPMENT_QUERY)
        if order is None:
            return self._not_found(record)
        remote = record.order_remote_id.strip()
        if (
            record.attempts > 0
            and view.tracking_numbers
            and tracking_already_there(order, view.tracking_numbers)
        ):
            return Delivered(f"Shopify order {remote}: fulfillment with this tracking exists")
        if order.get("cancelledAt"):
            return Rejected(
                f"Order {record.order_number} is cancelled in Shopify, so it cannot be shipped."
            )
        lines = open_lines(order)
        held = held_statuses(order)
        if not lines and held:
            return Rejected(
                f"Order {record.order_number}: its Shopify fulfillment orders are "
                f"{', '.join(sorted(set(held))).lower()}; release them in Shopify, then Retry."
            )
        try:
            by_fo = line_items_by_fulfillment_order(view, lines)
        except CannotShip as exc:
            if record.attempts > 0 and not view.tracking_numbers:
                # Likely our own earlier attempt fulfilled them and its answer was lost.
                return Delivered(f"Shopify order {remote}: nothing left to fulfil ({exc})")
            return Rejected(self._clean(f"Order {record.order_number}: cannot ship: {exc}"))
        if not by_fo:
            return Delivered(f"Shopify order {remote}: already fulfilled, nothing left to ship")
        data = self._post(
            "FulfillmentCreate",
            FULFILLMENT_CREATE,
            {"fulfillment": fulfillment_input(view, action, by_fo)},
        )
        payload = data.get("fulfillmentCreate")
        rejected = self._user_errors(record, payload, "userErrors")
        if rejected is not None:
            return rejected
        return Delivered(f"Shopify order {remote}: fulfillment created")

    def _cancel(self, record: ClaimedRecord, view: UpdateView, action: CartAction) -> Outcome:
        order = self._order(record, "OrderState", ORDER_STATE_QUERY)
        remote = record.order_remote_id.strip()
        if order is None:
            return self._not_found(record)
        if order.get("cancelledAt"):
            return Delivered(f"Shopify order {remote}: already cancelled")
        data = self._post(
            "OrderCancel", ORDER_CANCEL, cancel_variables(order_gid(remote), action, view)
        )
        payload = data.get("orderCancel")
        rejected = self._user_errors(record, payload, "orderCancelUserErrors")
        if rejected is not None:
            return rejected
        return Delivered(f"Shopify order {remote}: cancellation accepted")

    def _comment(self, record: ClaimedRecord, view: UpdateView) -> Outcome:
        order = self._order(record, "OrderNote", ORDER_NOTE_QUERY)
        remote = record.order_remote_id.strip()
        if order is None:
            return self._not_found(record)
        text = view.comment()
        current = order.get("note")
        if record.attempts > 0 and isinstance(current, str) and text in current.splitlines():
            return Delivered(f"Shopify order {remote}: note already there")
        data = self._post(
            "OrderUpdate",
            ORDER_UPDATE,
            {"input": {"id": order_gid(remote), "note": appended_note(current, text)}},
        )
        rejected = self._user_errors(record, data.get("orderUpdate"), "userErrors")
        if rejected is not None:
            return rejected
        return Delivered(f"Shopify order {remote}: order note")

    def _user_errors(self, record: ClaimedRecord, payload: Any, field: str) -> Rejected | None:
        if not isinstance(payload, dict):
            return Rejected(f"{self._where()} answered without a result for the update.")
        errors = payload.get(field)
        if not errors:
            return None
        return Rejected(
            self._clean(
                f"{self._where()} refused the update of order {record.order_number}: "
                f"{_messages(errors if isinstance(errors, list) else [errors])}"
            )
        )

    def close(self) -> None:
        self._client.close()


def _store_url(raw: str) -> str:
    """The store's address from what the merchant typed: scheme added, admin paths dropped."""
    url = raw.strip().rstrip("/")
    if url and "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


def _decode_token(token: str, where: str) -> tuple[str, str]:
    try:
        decoded = json.loads(token)
        query, after = decoded["query"], decoded["after"]
    except (ValueError, KeyError, TypeError):
        raise ConnectorError(f"{where}: '{token}' is not a Shopify page token.") from None
    if not isinstance(query, str) or not isinstance(after, str):
        raise ConnectorError(f"{where}: '{token}' is not a Shopify page token.")
    return query, after


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return float(value)


def _code(error: Any) -> str:
    extensions = error.get("extensions") if isinstance(error, dict) else None
    code = extensions.get("code") if isinstance(extensions, dict) else None
    return code if isinstance(code, str) else ""


def _messages(errors: list[Any]) -> str:
    texts = []
    for error in errors:
        if isinstance(error, dict):
            message = error.get("message")
            texts.append(str(message) if message else json.dumps(error, default=str))
        else:
            texts.append(str(error))
    return "; ".join(texts) or "(no message)"
