"""The Magento 2 / Adobe Commerce connector (REST ``<store>/rest[/<store code>]/V1/``).

Authentication: the access token of an integration (System ▸ Extensions ▸ Integrations), sent as
``Authorization: Bearer``. Magento 2.4.4+ accepts that only with "Allow OAuth Access Tokens to be
used as standalone Bearer tokens" switched on; docs/carts/magento2.md says why we ask for that
rather than four OAuth 1.0a credentials.

Orders: ``GET /V1/orders`` with ``searchCriteria``, oldest change first, 100 a page, keyset paged
(see ``magento2_orders.Continuation``): never a ``currentPage`` past the end, where Magento
answers the last page again. Invoices: ``create_invoice`` (Auto-Invoice). Status updates: see
``magento2_status``; Magento has no idempotency key, so on a retry the connector first looks
whether the earlier attempt's shipment or comment arrived after all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from ordermanager import secrets as secret_store
from ordermanager.carts import http
from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.magento2_orders import (
    Continuation,
    format_time,
    normalise,
    search_params,
)
from ordermanager.carts.magento2_status import (
    DEFAULT_MAP,
    STATUSES,
    SUPPORTED,
    CancelPlan,
    CommentPlan,
    ShipPlan,
    UnknownItem,
    describe,
    has_comment,
    nothing_left_to_ship,
    order_item_ids,
    plan_for,
    shipment_done,
)
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

PAGE_SIZE = 100  # within Magento's input limit (300) when limits are on
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)
_NO_ROUTE = "Request does not match any route"


class OrderNotFound(ConnectorError):
    """Magento answered 404 for the order (NoSuchEntityException)."""


def magento_message(body: Any) -> str:
    """A Magento error body's message with its parameters filled in: ``%1`` from a list,
    ``%name`` from an object."""
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return ""
    text: str = body["message"]
    params = body.get("parameters")
    if isinstance(params, list):
        for index in range(len(params), 0, -1):  # %10 before %1
            text = text.replace(f"%{index}", str(params[index - 1]))
    elif isinstance(params, dict):
        for key in sorted(params, key=lambda k: -len(str(k))):
            text = text.replace(f"%{key}", str(params[key]))
    return text


def api_root(base_url: str) -> tuple[str, str]:
    """(store base URL, REST root ending in ``/V1/``) from what the merchant entered: the store
    address, or a pasted REST address with or without a store code."""
    base = base_url.strip().rstrip("/")
    found = re.search(r"/rest(?:/([^/]+))?(?:/V1)?$", base, flags=re.IGNORECASE)
    code = ""
    if found:
        code = found.group(1) or ""
        if code.upper() == "V1":
            code = ""
        base = base[: found.start()]
    return base, f"{base}/rest/{code + '/' if code else ''}V1/"


class Magento2Connector:
    kind: ClassVar[str] = "magento2"
    title: ClassVar[str] = "Magento 2"
    capabilities: ClassVar[Capabilities] = Capabilities(
        order_download=True,
        status_updates=True,
        tracking_numbers=True,  # shipment tracks
        cancel=True,
        partial_shipment=True,  # shipments of some items
        inventory=False,
        invoices=True,
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
        self.base_url, self.api_url = api_root(cart.base_url)
        self._token = secrets.get("access_token", "").strip()
        headers = {"User-Agent": "OrderManager", "Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        self._client = httpx.Client(
            base_url=self.api_url,
            timeout=timeout or DEFAULT_TIMEOUT,
            transport=transport,
            follow_redirects=False,
            headers=headers,
        )

    # -- plumbing ---------------------------------------------------------------------------

    def _where(self) -> str:
        return f"Magento cart '{self.cart.name}'"

    def _clean(self, text: str) -> str:
        return trim_error(secret_store.redact(text, [self._token] if self._token else []))

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request; network failures become ConnectorError (transient), never a traceback."""
        if not self.base_url.lower().startswith(("http://", "https://")):
            raise ConnectorError(
                f"{self._where()}: the store URL '{self.base_url}' is not an http(s) address."
            )
        if not self._token:
            raise ConnectorError(f"{self._where()}: the integration's access token is needed.")
        return http.request(
            self._client,
            method,
            path,
            **kwargs,
            where=self._where(),
            address=self.base_url,
            clean=self._clean,
        )

    def _message(self, response: httpx.Response) -> str:
        try:
            body = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            body = None
        text = magento_message(body) or " ".join(response.text.split())[:200] or "(empty body)"
        return self._clean(text)

    def _raise_for(self, response: httpx.Response, doing: str, *, order: str = "") -> None:
        """ConnectorError for anything but 2xx; ``order``: a 404 means that order is gone."""
        status = response.status_code
        if 200 <= status < 300:
            return
        message = self._message(response)
        if status == 401:
            text = (
                f"{self._where()} refused the access token (HTTP 401: {message}). Check the "
                "token, the integration's API resources (Sales) and, on Magento 2.4.4 and later, "
                "the OAuth setting that lets an access token be used on its own "
                "(docs/carts/magento2.md)"
            )
        elif 300 <= status < 400:
            where = response.headers.get("Location", "")
            text = (
                f"{self._where()} answered with a redirect (HTTP {status}"
                + (f" to {where}" if where else "")
                + "): enter the store's final address as its URL"
            )
        elif status == 404 and (_NO_ROUTE in message or not order):
            text = (
                f"{self._where()}: no Magento REST API at {self.api_url} (HTTP 404: {message}). "
                "Check the store URL"
            )
        elif status == 404 and order:
            raise OrderNotFound(f"Order {order}: order not found in the cart ({message})")
        else:
            text = f"{self._where()} answered HTTP {status} while {doing}: {message}"
        transient = backoff.is_transient_status(status)
        retry_after = (
            backoff.parse_retry_after(response.headers.get("Retry-After")) if transient else None
        )
        raise ConnectorError(self._clean(text), transient=transient, retry_after=retry_after)

    def _json(self, response: httpx.Response, doing: str) -> Any:
        try:
            return json.loads(response.content, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            raise ConnectorError(
                f"{self._where()} sent an answer that is not JSON while {doing} "
                f"(HTTP {response.status_code}, {len(response.content)} bytes)."
            ) from None

    def _call(self, method: str, path: str, doing: str, *, order: str = "", **kw: Any) -> Any:
        response = self._request(method, path, **kw)
        self._raise_for(response, doing, order=order)
        return self._json(response, doing)

    # -- the protocol -----------------------------------------------------------------------

    def test_connection(self) -> str:
        doing = "testing the connection"
        body = self._call("GET", "orders", doing, params={"searchCriteria[pageSize]": "1"})
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise ConnectorError(
                f"{self._where()}: {self.api_url}orders did not answer with a list of orders; "
                "is this a Magento 2 store?"
            )
        total = body.get("total_count")
        count = f"; {total:,} orders in the store" if isinstance(total, int) else ""
        return f"Connected to Magento 2 at {self.base_url}{count}."

    def list_orders(self, since: datetime, page: str | None) -> OrderPage:
        where: Continuation | None = None
        if page:
            try:
                where = Continuation.decode(page)
            except ValueError as exc:
                raise ConnectorError(f"{self._where()}: {exc}.") from None
        params = search_params(since, where, PAGE_SIZE)
        after = where.after if where is not None else format_time(since)
        doing = f"downloading orders changed after {after}"
        body = self._call("GET", "orders", doing, params=params)
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise ConnectorError(
                f"{self._where()} answered something other than a list of orders while {doing}."
            )
        count = body.get("total_count")
        matching = count if isinstance(count, int) and not isinstance(count, bool) else None
        orders: list[RemoteOrder] = []
        skipped: list[SkippedOrder] = []
        for raw in items:
            result = normalise(raw)
            if isinstance(result, RemoteOrder):
                orders.append(result)
            else:
                skipped.append(result)
        total = where.total if where is not None else matching
        # total_count counts every row of this query: more than one page means a next one.
        # Without it (a proxy trimmed the body) a full page may have a successor.
        more = matching > len(items) if matching is not None else len(items) >= PAGE_SIZE
        following = Continuation.after_page(items, total) if more and items else None
        if more and items and following is None:
            raise ConnectorError(
                f"{self._where()}: a full page of orders without usable entity_id/updated_at "
                f"while {doing}; cannot continue the download."
            )
        return OrderPage(
            orders=orders,
            skipped=skipped,
            next_page=following.encode() if following is not None else None,
            total=total,
        )

    def create_invoice(self, order: RemoteOrder) -> str:
        """Invoice (and capture) the whole order in Magento; the invoice id, as a line of text."""
        remote = order.remote_id.strip()
        if not remote.isdigit():
            raise ConnectorError(f"Order {order.number} has no Magento order id ('{remote}').")
        doing = f"invoicing order {order.number}"
        body = self._call(
            "POST",
            f"order/{remote}/invoice",
            doing,
            order=order.number,
            json={"capture": True, "notify": False},
        )
        if isinstance(body, bool) or not isinstance(body, int | str) or not str(body).strip():
            raise ConnectorError(
                f"{self._where()} answered {str(body)[:60]!r} instead of an invoice id while "
                f"{doing}."
            )
        return f"Magento invoice {body} created for order {order.number}."

    def push_status(self, record: ClaimedRecord, action: CartAction) -> Outcome:
        remote = record.order_remote_id.strip()
        if not remote.isdigit():
            return Rejected(
                f"Order {record.order_number} has no Magento order id ('{remote}'), so its "
                "status cannot be sent to the cart."
            )
        plan = plan_for(view_of(record), action)
        try:
            if isinstance(plan, ShipPlan):
                detail = self._ship(record, plan)
            elif isinstance(plan, CancelPlan):
                detail = self._cancel(record)
            else:
                detail = self._comment(record, plan)
        except OrderNotFound as exc:
            return Rejected(
                self._clean(f"{exc} (Magento order id {remote}, cart '{self.cart.name}')")
            )
        except ConnectorError as exc:
            if exc.transient:
                return RetryLater(str(exc), retry_after=exc.retry_after)
            return Rejected(str(exc))
        return Delivered(f"Magento order {record.order_number}: {detail}")

    # -- the actions ------------------------------------------------------------------------

    def _order(self, record: ClaimedRecord) -> dict[str, Any]:
        remote = record.order_remote_id.strip()
        body = self._call("GET", f"orders/{remote}", "reading the order", order=record.order_number)
        if not isinstance(body, dict):
            raise ConnectorError(f"{self._where()} answered something other than an order.")
        return body

    def _ship(self, record: ClaimedRecord, plan: ShipPlan) -> str:
        remote = record.order_remote_id.strip()
        by_sku = any(not line.remote_id.isdigit() for line in plan.lines)
        order = self._order(record) if record.attempts > 0 or by_sku else {}
        try:
            item_ids = order_item_ids(plan.lines, order)
        except UnknownItem as exc:
            raise ConnectorError(
                f"Order {record.order_number}: the shipped item '{exc}' is not an item of the "
                "Magento order, so the shipment cannot be sent."
            ) from None
        if record.attempts > 0 and self._shipment_already_there(remote, plan, item_ids, order):
            return describe(plan) + " (already in Magento from an earlier attempt)"
        doing = f"shipping order {record.order_number}"
        shipment = self._call(
            "POST",
            f"order/{remote}/ship",
            doing,
            order=record.order_number,
            json=plan.body(item_ids),
        )
        if plan.status_after:
            comment = CommentPlan(view_of(record).comment(), plan.status_after, False)
            self._post_comment(record, comment, "")
        return f"{describe(plan)} {shipment}"

    def _shipment_already_there(
        self, remote: str, plan: ShipPlan, item_ids: list[tuple[int, int]], order: dict[str, Any]
    ) -> bool:
        """On a retry, whether the earlier attempt's shipment was created after all (its answer
        was lost): a shipment is not idempotent, and a second one may e-mail the customer."""
        if not plan.tracking_numbers and not item_ids:
            return nothing_left_to_ship(order)
        params = {
            "searchCriteria[filter_groups][0][filters][0][field]": "order_id",
            "searchCriteria[filter_groups][0][filters][0][value]": remote,
            "searchCriteria[filter_groups][0][filters][0][condition_type]": "eq",
        }
        body = self._call("GET", "shipments", "reading the order's shipments", params=params)
        shipments = body.get("items") if isinstance(body, dict) else None
        return shipment_done(plan, item_ids, shipments if isinstance(shipments, list) else [])

    def _cancel(self, record: ClaimedRecord) -> str:
        remote = record.order_remote_id.strip()
        doing = f"canceling order {record.order_number}"
        answer = self._call("POST", f"orders/{remote}/cancel", doing, order=record.order_number)
        if answer is True:
            return "canceled"
        # false: Magento's canCancel() said no. Either an earlier attempt already canceled it
        # (its answer was lost) or the order is past canceling (shipped, invoiced, closed).
        order = self._order(record)
        state = str(order.get("state") or order.get("status") or "")
        if state == "canceled":
            return "already canceled"
        raise ConnectorError(
            f"Magento refused to cancel order {record.order_number} (its state is "
            f"'{state or 'unknown'}'; Magento cannot cancel an order that is fully invoiced, "
            "shipped, closed or on hold)."
        )

    def _comment(self, record: ClaimedRecord, plan: CommentPlan) -> str:
        order = self._order(record)
        current = str(order.get("status") or "")
        already = record.attempts > 0 and has_comment(order, plan.text)
        if not already:
            self._post_comment(record, plan, current)
        if plan.status:
            # Some Magento versions (2.4.7, magento/magento2#38723) save the comment but ignore
            # its status: read the order again rather than report a change that did not happen.
            now = str(self._order(record).get("status") or "")
            if now != plan.status:
                raise ConnectorError(
                    f"Magento saved the comment on order {record.order_number} but kept its "
                    f"status '{now}' instead of '{plan.status}' (this Magento version ignores "
                    "the status of REST comments): set the status in the Magento admin, or map "
                    "this label to 'Add order note'."
                )
        return describe(plan) + (" (already there from an earlier attempt)" if already else "")

    def _post_comment(self, record: ClaimedRecord, plan: CommentPlan, current: str) -> None:
        remote = record.order_remote_id.strip()
        doing = f"adding a comment to order {record.order_number}"
        answer = self._call(
            "POST",
            f"orders/{remote}/comments",
            doing,
            order=record.order_number,
            json=plan.body(current),
        )
        if answer is not True:
            raise ConnectorError(
                f"{self._where()} did not accept the comment on order {record.order_number} "
                f"(it answered {str(answer)[:60]!r})."
            )

    def close(self) -> None:
        self._client.close()
