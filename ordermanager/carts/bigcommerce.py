"""The BigCommerce connector (REST v2 at ``https://api.bigcommerce.com/stores/{hash}/v2/``).

A store-level API account's access token goes in ``X-Auth-Token``, with ``Accept:
application/json`` on every request (v2 answers XML otherwise). Orders are listed oldest change
first (``sort=date_modified:asc``, ``min_date_modified``, 250 a page, keyset continuation, see
``bigcommerce_orders.Continuation``); an empty result is ``204 No Content`` with no body. Line
items and shipping addresses are sub-resources, so each order costs two more requests (one for a
digital order without a shipping address): about 500 requests per full page.

BigCommerce's quota is per store and shared by every app (150 requests per 30 s on Standard).
Each answer says what is left (``X-Rate-Limit-Requests-Left``) and when the window resets
(``X-Rate-Limit-Time-Reset-Ms``): at zero the next request waits for the reset instead of
earning a 429; a 429 on a read is retried once after the reset when that is short. Status
updates: see ``bigcommerce_status`` and ``push_status`` below.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from ordermanager import secrets
from ordermanager.carts import http
from ordermanager.carts.bigcommerce_orders import Continuation, normalise, rfc2822
from ordermanager.carts.bigcommerce_status import (
    DEFAULT_MAP,
    STATUS_NAMES,
    STATUSES,
    SUPPORTED,
    NotePlan,
    PlanError,
    ShipmentPlan,
    append_line,
    earlier_shipment,
    has_line,
    plan_for,
    shipment_body,
    shipment_items,
)
from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import (
    Capabilities,
    CartConfig,
    OrderPage,
    RemoteOrder,
    SkippedOrder,
)
from ordermanager.carts.status_map import ActionKind, CartAction, CartStatus
from ordermanager.carts.updates import view_of
from ordermanager.stack import backoff
from ordermanager.stack.delivery import Delivered, Outcome, Rejected, RetryLater, trim_error

if TYPE_CHECKING:
    from ordermanager.stack.queue import ClaimedRecord

PAGE_SIZE = 250  # the v2 maximum
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)
# The longest we wait inline for the quota to come back (one whole window on every plan); a
# longer reset is reported as a transient error so the caller backs off instead.
MAX_QUOTA_WAIT = 30.0
_STORE_PATH = re.compile(r"^(?P<base>.*/stores/[A-Za-z0-9]+)(?:/v[23])?/?$")


def _header_float(response: httpx.Response, name: str) -> float | None:
    try:
        return float(response.headers.get(name, "").strip())
    except ValueError:
        return None


def quota_wait(response: httpx.Response) -> float | None:
    """Seconds to wait before the next request, from the answer's headers; None when it says
    nothing. A 429's own ``X-Retry-After``/``Retry-After`` come first; otherwise (and for the
    quota running out on a success) the window's ``X-Rate-Limit-Time-Reset-Ms``."""
    if response.status_code == 429:
        for name in ("X-Retry-After", "Retry-After"):
            seconds = backoff.parse_retry_after(response.headers.get(name))
            if seconds is not None:
                return seconds
    reset_ms = _header_float(response, "X-Rate-Limit-Time-Reset-Ms")
    if reset_ms is not None and reset_ms >= 0:
        return reset_ms / 1000.0
    return None


class BigCommerceConnector:
    kind: ClassVar[str] = "bigcommerce"
    title: ClassVar[str] = "BigCommerce"
    capabilities: ClassVar[Capabilities] = Capabilities(
        order_download=True,
        status_updates=True,
        tracking_numbers=True,  # on a real shipment
        cancel=True,
        partial_shipment=True,  # a shipment with only the shipped lines
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
        raw = cart.base_url.strip()
        found = _STORE_PATH.match(raw)
        # Accept the "API path" BigCommerce shows (…/stores/HASH/v3/) for the store URL.
        self.base_url = found.group("base") if found else raw.rstrip("/")
        self._url_ok = found is not None and raw.lower().startswith(("https://", "http://"))
        self.api_url = self.base_url + "/v2/"
        token = secrets.get("access_token", "").strip()
        self._secrets = [token] if token else []
        self.page_size = PAGE_SIZE
        # Tests replace these to watch the quota waits without waiting.
        self.sleep: Callable[[float], None] = time.sleep
        self.clock: Callable[[], float] = time.monotonic
        self._not_before = 0.0
        self._client = httpx.Client(
            base_url=self.api_url,
            timeout=timeout or DEFAULT_TIMEOUT,
            transport=transport,
            follow_redirects=False,
            headers={
                "User-Agent": "OrderManager",
                "Accept": "application/json",
                "X-Auth-Token": token,
            },
        )

    # -- plumbing ---------------------------------------------------------------------------

    def _where(self) -> str:
        return f"BigCommerce cart '{self.cart.name}'"

    def _clean(self, text: str) -> str:
        return trim_error(secrets.redact(text, self._secrets))

    def _wait_for_quota(self) -> None:
        wait = self._not_before - self.clock()
        if wait <= 0:
            return
        if wait > MAX_QUOTA_WAIT:
            raise ConnectorError(
                f"{self._where()}: the store's API quota is used up for {wait:.0f} s.",
                transient=True,
                retry_after=backoff.clamp_retry_after(wait),
            )
        self.sleep(wait)
        self._not_before = 0.0

    def _note_quota(self, response: httpx.Response) -> None:
        left = _header_float(response, "X-Rate-Limit-Requests-Left")
        if response.status_code == 429 or (left is not None and left <= 0):
            wait = quota_wait(response)
            if wait is not None:
                self._not_before = max(self._not_before, self.clock() + wait)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request, waiting for the quota first; network failures become ConnectorError."""
        if not self._url_ok:
            raise ConnectorError(
                f"{self._where()}: the store URL '{self.base_url}' is not a BigCommerce API "
                "address; enter https://api.bigcommerce.com/stores/<store hash>."
            )
        if not self._secrets:
            raise ConnectorError(f"{self._where()}: the access token is needed.")
        response = self._send(method, path, **kwargs)
        wait = quota_wait(response) if response.status_code == 429 else None
        # A read is safe to repeat: wait out a short reset once instead of failing the page.
        if method == "GET" and wait is not None and wait <= MAX_QUOTA_WAIT:
            response = self._send(method, path, **kwargs)
        return response

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        self._wait_for_quota()
        response = http.request(
            self._client,
            method,
            path,
            **kwargs,
            where=self._where(),
            address=self.base_url,
            clean=self._clean,
        )
        self._note_quota(response)
        return response

    def cart_message(self, response: httpx.Response) -> str:
        """The cart's error text (v2: ``[{"status": 404, "message": "..."}]``), redacted."""
        try:
            body = response.json()
        except ValueError:
            return self._clean(response.text.strip() or "(empty body)")
        if isinstance(body, list) and body and isinstance(body[0], dict):
            body = body[0]
        if isinstance(body, dict):
            for key in ("message", "title", "detail"):
                if isinstance(body.get(key), str) and body[key].strip():
                    return self._clean(body[key])
        return self._clean(response.text.strip() or "(empty body)")

    def error_for(self, response: httpx.Response, doing: str) -> ConnectorError:
        status = response.status_code
        message = self.cart_message(response)
        if status == 401:
            text = (
                f"{self._where()} refused the access token (HTTP 401: {message}). Check the "
                "token in the keyring and the store hash in the URL."
            )
        elif status == 403:
            text = (
                f"{self._where()}: the API account may not do this (HTTP 403 while {doing}: "
                f"{message}). Give it the Orders scope 'modify'."
            )
        elif status == 429:
            text = f"{self._where()} is over its API quota (HTTP 429 while {doing})"
        else:
            text = f"{self._where()} answered HTTP {status} while {doing}: {message}"
        transient = backoff.is_transient_status(status)
        retry_after = None
        if status == 429:  # the quota headers say when the window resets
            wait = quota_wait(response)
            retry_after = backoff.clamp_retry_after(wait) if wait is not None else None
        elif transient:  # every answer carries the quota headers; only Retry-After counts here
            retry_after = backoff.parse_retry_after(response.headers.get("Retry-After"))
        return ConnectorError(self._clean(text), transient=transient, retry_after=retry_after)

    def get_json(self, path: str, doing: str, params: Mapping[str, str] | None = None) -> Any:
        """GET ``path``: its JSON, or None for ``204 No Content`` (BigCommerce's empty list)."""
        response = self.request("GET", path, params=params)
        if response.status_code == 204:
            return None
        if not 200 <= response.status_code < 300:
            raise self.error_for(response, doing)
        return self.json_of(response, doing)

    def json_of(self, response: httpx.Response, doing: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(
                f"{self._where()} sent an answer that is not JSON while {doing} "
                f"(HTTP {response.status_code}, {len(response.content)} bytes)."
            ) from None

    # -- the protocol -----------------------------------------------------------------------

    def test_connection(self) -> str:
        body = self.get_json("orders/count", "testing the connection")
        count = body.get("count") if isinstance(body, dict) else None
        if not isinstance(count, int) or isinstance(count, bool):
            raise ConnectorError(
                f"{self._where()}: {self.api_url}orders/count did not answer with an order "
                "count; is this a BigCommerce store's API address?"
            )
        return f"Connected to BigCommerce at {self.base_url}; {count:,} orders in the store."

    def list_orders(self, since: datetime, page: str | None) -> OrderPage:
        if page:
            try:
                where = Continuation.decode(page)
            except ValueError as exc:
                raise ConnectorError(f"{self._where()}: {exc}.") from None
        else:
            aware = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
            where = Continuation(after=aware.replace(microsecond=0))
        params = {
            "min_date_modified": rfc2822(where.after),
            "sort": "date_modified:asc",
            "limit": str(self.page_size),
            "page": str(where.page),
        }
        doing = (
            f"downloading orders changed since {params['min_date_modified']} (page {where.page})"
        )
        body = self.get_json("orders", doing, params)
        if body is None:  # 204: nothing (more) changed
            return OrderPage(orders=[], skipped=[], next_page=None)
        if not isinstance(body, list):
            raise ConnectorError(
                f"{self._where()} answered something other than a list of orders while {doing}."
            )
        orders: list[RemoteOrder] = []
        skipped: list[SkippedOrder] = []
        for raw in body:
            if where.drop_seen(raw):
                continue
            result = self._with_details(raw)
            if isinstance(result, RemoteOrder):
                orders.append(result)
            else:
                skipped.append(result)
        more = len(body) >= self.page_size
        return OrderPage(
            orders=orders,
            skipped=skipped,
            next_page=where.following(body).encode() if more else None,
        )

    def _with_details(self, raw: Any) -> RemoteOrder | SkippedOrder:
        """The order with its products and shipping addresses (the two extra requests).

        A sub-resource that is gone (404: the order was deleted meanwhile) or unreadable skips
        that order; a busy or failing cart raises, so the page is asked for again later.
        """
        if not isinstance(raw, dict) or not str(raw.get("id", "")).isdigit():
            return normalise(raw, [], [])
        oid = str(raw["id"])
        products = self._sub_resource(oid, "products", paged=True)
        addresses: Any = []
        if raw.get("shipping_address_count") != 0:  # digital orders have none: save a request
            addresses = self._sub_resource(oid, "shipping_addresses", paged=False)
        return normalise(raw, products, addresses)

    def _sub_resource(self, oid: str, name: str, *, paged: bool) -> Any:
        doing = f"reading the {name.replace('_', ' ')} of order {oid}"
        rows: list[Any] = []
        page = 1
        while True:
            params = {"limit": str(PAGE_SIZE), "page": str(page)} if paged else None
            response = self.request("GET", f"orders/{oid}/{name}", params=params)
            if response.status_code == 204:
                return rows
            if response.status_code == 404:  # normalise turns these texts into the skip reason
                return f"its {name.replace('_', ' ')} were not found (HTTP 404)"
            if not 200 <= response.status_code < 300:
                raise self.error_for(response, doing)
            try:
                body = response.json()
            except ValueError:
                return f"its {name.replace('_', ' ')} are not JSON"
            if not isinstance(body, list):
                return f"its {name.replace('_', ' ')} are not a list"
            rows.extend(body)
            if not paged or len(body) < PAGE_SIZE:
                return rows
            page += 1

    def push_status(self, record: ClaimedRecord, action: CartAction) -> Outcome:
        remote = record.order_remote_id.strip()
        if not remote.isdigit():
            return Rejected(
                f"Order {record.order_number} has no BigCommerce order id ('{remote}'), so its "
                "status cannot be sent to the cart."
            )
        try:
            plan = plan_for(view_of(record), action)
            done: list[str] = []
            if plan.shipment is not None:
                done.append(self._ship(record, plan.shipment))
            if plan.status_id is not None:
                self._update_order(record, {"status_id": plan.status_id}, "setting its status")
                done.append(f"status {STATUS_NAMES.get(plan.status_id, plan.status_id)}")
            if plan.note is not None:
                done.append(self._add_note(record, plan.note))
        except PlanError as exc:
            return Rejected(self._clean(f"Order {record.order_number}: {exc}."))
        except ConnectorError as exc:
            if exc.transient:
                return RetryLater(str(exc), retry_after=exc.retry_after)
            return Rejected(str(exc))
        return Delivered(f"BigCommerce order {remote}: {', '.join(done)}")

    def _checked(self, response: httpx.Response, record: ClaimedRecord, doing: str) -> None:
        """Raise ConnectorError unless ``response`` is a success (404: order not found)."""
        if 200 <= response.status_code < 300:
            return
        if response.status_code == 404:
            raise ConnectorError(
                f"Order {record.order_number} (BigCommerce id {record.order_remote_id.strip()}): "
                "order not found in the cart"
            )
        raise self.error_for(response, doing)

    def _read(self, record: ClaimedRecord, sub: str, doing: str) -> Any:
        """GET the order (``sub`` '') or one of its lists; a list resource's 204 is []."""
        path = f"orders/{record.order_remote_id.strip()}" + (f"/{sub}" if sub else "")
        rows: list[Any] = []
        page = 1
        while True:
            params = {"limit": str(PAGE_SIZE), "page": str(page)} if sub else None
            response = self.request("GET", path, params=params)
            if response.status_code == 204:
                return rows
            self._checked(response, record, doing)
            body = self.json_of(response, doing)
            if not sub:
                return body
            if not isinstance(body, list):
                raise ConnectorError(f"{self._where()} answered something odd while {doing}.")
            rows.extend(body)
            if len(body) < PAGE_SIZE:
                return rows
            page += 1

    def _update_order(self, record: ClaimedRecord, body: dict[str, Any], doing: str) -> None:
        # Only the changed fields: a PUT that touches products clears their discounts.
        response = self.request("PUT", f"orders/{record.order_remote_id.strip()}", json=body)
        self._checked(response, record, doing)

    def _ship(self, record: ClaimedRecord, plan: ShipmentPlan) -> str:
        """One shipment; on a retry, first whether the lost attempt created it after all
        (shipments are not idempotent, and each one e-mails the customer)."""
        oid = record.order_remote_id.strip()
        tracking = f" {plan.tracking_number}" if plan.tracking_number else ""
        if record.attempts > 0:
            shipments = self._read(record, "shipments", "reading the order's shipments")
            if earlier_shipment(shipments, plan) is not None:
                return f"shipment{tracking} was already there"
        addresses = self._read(record, "shipping_addresses", "reading its shipping addresses")
        address_id = next(
            (
                a.get("id")
                for a in addresses
                if isinstance(a, dict) and isinstance(a.get("id"), int)
            ),
            None,
        )
        if address_id is None:
            raise PlanError(
                "the order has no shipping address in BigCommerce (a digital order?), so it "
                "cannot get a shipment; map this label to 'Set cart status' instead"
            )
        products = self._read(record, "products", "reading its products")
        try:
            items = shipment_items(plan.lines, products)
        except PlanError:
            if record.attempts > 0 and not plan.lines:
                return "everything was already shipped"  # by the attempt whose answer was lost
            raise
        response = self.request(
            "POST", f"orders/{oid}/shipments", json=shipment_body(plan, address_id, items)
        )
        self._checked(response, record, "creating the shipment")
        return f"shipment{tracking} created"

    def _add_note(self, record: ClaimedRecord, note: NotePlan) -> str:
        """Append a line to the order's staff notes (or customer message): a read, then a PUT
        of the whole field, since BigCommerce keeps one text, not a list of notes."""
        order = self._read(record, "", "reading the order")
        existing = order.get(note.field) if isinstance(order, dict) else None
        existing = existing if isinstance(existing, str) else ""
        what = "staff note" if note.field == "staff_notes" else "customer message"
        if record.attempts > 0 and has_line(existing, note.text):
            return f"{what} was already there"
        self._update_order(
            record, {note.field: append_line(existing, note.text)}, f"adding a {what}"
        )
        return f"{what} added"

    def close(self) -> None:
        self._client.close()
