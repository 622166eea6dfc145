"""The Vendure connector: the GraphQL Admin API at the URL the merchant enters (``.../admin-api``).

Facts relied on (docs.vendure.io "API Keys", "Managing Sessions", "Channels"; the Admin API
schema; see also ``vendure_orders`` and ``vendure_status``):
- Every call is ``POST <admin-api URL>`` with a JSON body ``{query, variables,
  operationName}``; the answer is ``{"data": ..., "errors": [...]}``.
- Authentication: an API key (Vendure 3.6+, Settings > API Keys in the dashboard, opt-in with
  ``tokenMethod: [..., 'api-key']``) travels in the ``vendure-api-key`` header. The brief asked
  for ``Authorization: Bearer``, but that header carries *session tokens* in Vendure, and since
  Vendure takes the first token method it finds, a Bearer header holding an API key would be
  read as an unknown session and every call refused. The key never goes into a URL.
- Vendure before 3.6 has no API keys; there an administrator's session token (the
  ``vendure-auth-token`` answer header of the ``login`` mutation, with ``tokenMethod`` including
  'bearer') works as ``Authorization: Bearer <token>``. A key entered as "Bearer <token>" is
  sent that way.
- A channel is chosen by its token in the ``vendure-token`` header; Vendure reads the same name
  as a query parameter, so a merchant with several channels enters
  ``https://shop.example/admin-api?vendure-token=<channel token>`` and it is sent as the header.
- Errors arrive with HTTP 200: a GraphQL ``errors`` array (``extensions.code`` FORBIDDEN when the
  key is refused, ENTITY_NOT_FOUND for an unknown id) or an ErrorResult in a mutation's result
  (``errorCode``, ``message``). Both are treated as errors; only schema problems get HTTP 400.
- Vendure has no rate limit of its own; a proxy in front may still answer 429 with Retry-After,
  and 5xx, both transient.

Orders: ``orders(options: {filter: {active: {eq: false}, updatedAt: {after}}, sort: {updatedAt:
ASC, id: ASC}, take: 100, skip})`` (``active: false`` leaves out shopping carts that are not
orders yet), keyset-paged by ``vendure_orders.Continuation``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from ordermanager import secrets
from ordermanager.carts import http
from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.http import DEFAULT_TIMEOUT
from ordermanager.carts.protocol import (
    Capabilities,
    CartConfig,
    OrderPage,
    RemoteOrder,
    SkippedOrder,
)
from ordermanager.carts.status_map import ActionKind, CartAction, CartStatus
from ordermanager.carts.updates import UpdateView, view_of
from ordermanager.carts.vendure_orders import ORDERS_QUERY, Continuation, format_time, normalise
from ordermanager.carts.vendure_status import (
    ADD_FULFILLMENT,
    ADD_NOTE,
    CANCEL_ORDER,
    CANCELLED,
    DEFAULT_MAP,
    ORDER_QUERY,
    SHIPPED,
    STATUSES,
    SUPPORTED,
    TRANSITION_FULFILLMENT,
    TRANSITION_ORDER,
    cancel_reason,
    fulfill_input,
    note_already_there,
    plan_ship,
    tracking_code,
)
from ordermanager.stack import backoff
from ordermanager.stack.delivery import Delivered, Outcome, Rejected, RetryLater, trim_error

if TYPE_CHECKING:
    from ordermanager.stack.queue import ClaimedRecord

PAGE_SIZE = 100
API_KEY_HEADER = "vendure-api-key"
BEARER = "bearer "
CHANNEL_HEADER = "vendure-token"
_REFUSED_CODES = frozenset({"FORBIDDEN", "UNAUTHORIZED"})


class _OrderNotFound(ConnectorError):
    """The cart answered ENTITY_NOT_FOUND (or null) for the record's order."""


class VendureConnector:
    kind: ClassVar[str] = "vendure"
    title: ClassVar[str] = "Vendure"
    capabilities: ClassVar[Capabilities] = Capabilities(
        order_download=True,
        status_updates=True,
        tracking_numbers=True,  # on the fulfillment (manual-fulfillment's trackingCode)
        cancel=True,
        partial_shipment=True,  # a fulfillment with only the shipped lines
        inventory=False,
        invoices=False,
    )
    secret_fields: ClassVar[tuple[str, ...]] = ("api_key",)
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
        split = urlsplit(cart.base_url.strip())
        query = parse_qsl(split.query, keep_blank_values=True)
        channel = next((v for k, v in query if k == CHANNEL_HEADER), "")
        rest = urlencode([(k, v) for k, v in query if k != CHANNEL_HEADER])
        self.api_url = urlunsplit(split._replace(query=rest, fragment="")).rstrip("/")
        self._key = secrets.get("api_key", "").strip()
        headers = {"User-Agent": "OrderManager", "Accept": "application/json"}
        self._hide = [self._key] if self._key else []
        if self._key.lower().startswith(BEARER):
            # Before 3.6 there are no API keys: an administrator's session token (from the
            # login mutation's vendure-auth-token header), entered as "Bearer <token>".
            token = self._key[len(BEARER) :].strip()
            headers["Authorization"] = f"Bearer {token}"
            self._hide.append(token)
        elif self._key:
            headers[API_KEY_HEADER] = self._key
        if channel:
            headers[CHANNEL_HEADER] = channel
        self._client = httpx.Client(
            timeout=timeout or DEFAULT_TIMEOUT,
            transport=transport,
            follow_redirects=False,
            headers=headers,
        )

    # -- plumbing ---------------------------------------------------------------------------

    def _where(self) -> str:
        return f"Vendure cart '{self.cart.name}'"

    def _clean(self, text: str) -> str:
        return trim_error(secrets.redact(text, self._hide))

    def _post(self, query: str, variables: dict[str, Any], doing: str) -> httpx.Response:
        """One GraphQL request; network failures become ConnectorError (transient)."""
        if not self.api_url.lower().startswith(("http://", "https://")):
            raise ConnectorError(
                f"{self._where()}: the Admin API URL '{self.api_url}' is not an http(s) address."
            )
        if not self._key:
            raise ConnectorError(f"{self._where()}: the API key is needed.")
        name = query.split("(", 1)[0].split()[-1]
        body = {"query": query, "variables": variables, "operationName": name}
        return http.request(
            self._client,
            "POST",
            self.api_url,
            json=body,
            where=self._where(),
            address=self.api_url,
            clean=self._clean,
            doing=doing,
        )

    def _call(self, query: str, variables: dict[str, Any], doing: str) -> dict[str, Any]:
        """``data`` of a GraphQL answer, or ConnectorError for anything that is not success:
        an HTTP failure, a body that is not JSON, or a GraphQL ``errors`` array (HTTP 200)."""
        response = self._post(query, variables, doing)
        status = response.status_code
        body: Any = None
        try:
            body = json.loads(response.content, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            if 200 <= status < 300:
                raise ConnectorError(
                    f"{self._where()} sent an answer that is not JSON while {doing} "
                    f"(HTTP {status}, {len(response.content)} bytes)."
                ) from None
        # Busy, failing or refusing at the HTTP level first: a proxy's 429 or 502 may carry a
        # JSON error too, and must stay transient.
        if status in (401, 403) or backoff.is_transient_status(status) or 300 <= status < 400:
            self._raise_status(response, doing)
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors:
            self._raise_errors(errors, doing)
        if not 200 <= status < 300:
            self._raise_status(response, doing)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise ConnectorError(
                f"{self._where()} answered without GraphQL data while {doing}; "
                f"is {self.api_url} a Vendure Admin API?"
            )
        return data

    def _raise_status(self, response: httpx.Response, doing: str) -> None:
        status = response.status_code
        shown = " ".join(response.text.split())[:200] or "(empty body)"
        if status in (401, 403):
            text = f"{self._where()} refused the API key (HTTP {status}): {shown}"
        elif status == 404:
            text = (
                f"{self._where()}: no GraphQL API at {self.api_url} (HTTP 404). Enter the Admin "
                "API URL, for example https://shop.example/admin-api."
            )
        else:
            text = f"{self._where()} answered HTTP {status} while {doing}: {shown}"
        transient = backoff.is_transient_status(status)
        retry_after = (
            backoff.parse_retry_after(response.headers.get("Retry-After")) if transient else None
        )
        raise ConnectorError(self._clean(text), transient=transient, retry_after=retry_after)

    def _raise_errors(self, errors: list[Any], doing: str) -> None:
        codes: list[str] = []
        messages: list[str] = []
        for error in errors:
            error = error if isinstance(error, dict) else {}
            extensions = error.get("extensions")
            code = extensions.get("code") if isinstance(extensions, dict) else None
            codes.append(str(code or ""))
            messages.append(str(error.get("message") or "(no message)"))
        joined = "; ".join(messages)
        if any(code in _REFUSED_CODES for code in codes):
            raise ConnectorError(
                self._clean(
                    f"{self._where()} refused the API key while {doing}: {joined}. Check that "
                    "the key exists, that its role has the order permissions, and that API keys "
                    "are enabled (tokenMethod 'api-key')."
                )
            )
        if "ENTITY_NOT_FOUND" in codes:
            raise _OrderNotFound(self._clean(joined))
        hint = ""
        if 'Cannot query field "orders"' in joined:
            hint = " This looks like the Shop API: enter the Admin API URL (…/admin-api)."
        # A resolver that crashed (its database away, say) is INTERNAL_SERVER_ERROR: may heal.
        raise ConnectorError(
            self._clean(f"{self._where()} reported an error while {doing}: {joined}.{hint}"),
            transient="INTERNAL_SERVER_ERROR" in codes,
        )

    # -- the protocol -----------------------------------------------------------------------

    def test_connection(self) -> str:
        options = {"take": 1, "filter": {"active": {"eq": False}}}
        data = self._call(ORDERS_QUERY, {"options": options}, "testing the connection")
        orders = data.get("orders")
        total = orders.get("totalItems") if isinstance(orders, dict) else None
        if not isinstance(total, int):
            raise ConnectorError(
                f"{self._where()}: {self.api_url} did not answer the orders query; is this a "
                "Vendure Admin API?"
            )
        return f"Connected to Vendure at {self.api_url}; {total:,} orders in the store."

    def list_orders(self, since: datetime, page: str | None) -> OrderPage:
        if page:
            try:
                where = Continuation.decode(page)
            except ValueError as exc:
                raise ConnectorError(f"{self._where()}: {exc}.") from None
        else:
            where = Continuation(
                after=since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
            )
        after = format_time(where.after)
        options = {
            "filter": {"active": {"eq": False}, "updatedAt": {"after": after}},
            "sort": {"updatedAt": "ASC", "id": "ASC"},
            "take": PAGE_SIZE,
            "skip": where.skip,
        }
        doing = f"downloading orders changed after {after} (skip {where.skip})"
        data = self._call(ORDERS_QUERY, {"options": options}, doing)
        listing = data.get("orders")
        items = listing.get("items") if isinstance(listing, dict) else None
        total = listing.get("totalItems") if isinstance(listing, dict) else None
        if not isinstance(items, list):
            raise ConnectorError(
                f"{self._where()} answered something other than a list of orders while {doing}."
            )
        orders: list[RemoteOrder] = []
        skipped: list[SkippedOrder] = []
        for raw in items:
            if where.drop_seen(raw):
                continue
            result = normalise(raw)
            if isinstance(result, RemoteOrder):
                orders.append(result)
            else:
                skipped.append(result)
        count = total if isinstance(total, int) and not isinstance(total, bool) else None
        # Without totalItems a full page may have a successor.
        more = where.skip + len(items) < count if count is not None else len(items) >= PAGE_SIZE
        shown_total = where.total if where.total is not None else count
        return OrderPage(
            orders=orders,
            skipped=skipped,
            next_page=where.following(items, shown_total).encode() if more and items else None,
            total=shown_total,
        )

    def push_status(self, record: ClaimedRecord, action: CartAction) -> Outcome:
        view = view_of(record)
        if not view.order_remote_id:
            return Rejected(
                f"Order {record.order_number} has no Vendure order id, so its status cannot be "
                "sent to the cart."
            )
        try:
            if action.kind is ActionKind.SHIP:
                return self._ship(view, record)
            if action.kind is ActionKind.CANCEL:
                return self._cancel(view, record)
            if action.kind is ActionKind.SET_STATUS:
                return self._set_state(view, record, action.cart_status)
            if action.kind is ActionKind.COMMENT:
                return self._note(view, record, action.notify_customer)
            return Delivered("nothing to send")
        except _OrderNotFound:
            return Rejected(
                f"Order {record.order_number} (Vendure id {view.order_remote_id}): order not "
                "found in the cart"
            )
        except ConnectorError as exc:
            if exc.transient:
                return RetryLater(str(exc), retry_after=exc.retry_after)
            return Rejected(str(exc))

    # -- the actions ------------------------------------------------------------------------

    def _order(self, view: UpdateView) -> dict[str, Any]:
        data = self._call(ORDER_QUERY, {"id": view.order_remote_id}, "reading the order")
        order = data.get("order")
        if not isinstance(order, dict):
            raise _OrderNotFound("order is null")
        return order

    def _result(self, data: dict[str, Any], field: str, doing: str) -> dict[str, Any]:
        """A mutation's result; an ErrorResult member is a permanent refusal (ConnectorError)."""
        result = data.get(field)
        if not isinstance(result, dict):
            raise ConnectorError(f"{self._where()} returned no result while {doing}.")
        if "errorCode" in result:
            raise ConnectorError(
                self._clean(
                    f"{self._where()} refused {doing}: {result.get('errorCode')}: "
                    f"{result.get('message') or '(no message)'}"
                )
            )
        return result

    def _ship(self, view: UpdateView, record: ClaimedRecord) -> Outcome:
        order = self._order(view)
        plan = plan_ship(view, order, retry=record.attempts > 0)
        code = order.get("code") or view.order_remote_id
        fulfillment = plan.existing
        if fulfillment is None:
            if plan.unknown:
                return Rejected(
                    f"Order {record.order_number} (Vendure {code}): the shipment lists "
                    f"{', '.join(plan.unknown)}, which the Vendure order does not have"
                )
            if not plan.lines and record.attempts > 0:
                # An earlier attempt of ours fulfilled it (without tracking to recognise it by).
                return Delivered(f"Vendure order {code}: nothing left to fulfil")
            if not plan.lines:
                what = f"tracking {tracking_code(view)}" if view.tracking_numbers else "it"
                return Rejected(
                    f"Order {record.order_number} (Vendure {code}): every item is already in a "
                    f"fulfillment in Vendure, so {what} was not sent"
                )
            doing = "adding the fulfillment"
            data = self._call(ADD_FULFILLMENT, {"input": fulfill_input(view, plan.lines)}, doing)
            fulfillment = self._result(data, "addFulfillmentToOrder", doing)
        if fulfillment.get("state") in (SHIPPED, "Delivered"):
            return Delivered(f"Vendure order {code}: fulfillment {fulfillment.get('id')} shipped")
        doing = "marking the fulfillment shipped"
        data = self._call(
            TRANSITION_FULFILLMENT, {"id": str(fulfillment.get("id")), "state": SHIPPED}, doing
        )
        self._result(data, "transitionFulfillmentToState", doing)
        return Delivered(f"Vendure order {code}: fulfillment {fulfillment.get('id')} shipped")

    def _cancel(self, view: UpdateView, record: ClaimedRecord) -> Outcome:
        if record.attempts > 0 and self._order(view).get("state") == CANCELLED:
            return Delivered(f"Vendure order {view.order_remote_id}: already cancelled")
        doing = "cancelling the order"
        data = self._call(
            CANCEL_ORDER,
            {"input": {"orderId": view.order_remote_id, "reason": cancel_reason(view)}},
            doing,
        )
        self._result(data, "cancelOrder", doing)
        return Delivered(f"Vendure order {view.order_remote_id}: cancelled")

    def _set_state(self, view: UpdateView, record: ClaimedRecord, state: str) -> Outcome:
        if not state:
            return Rejected("The status mapping says 'Set cart status' but names no Vendure state.")
        if record.attempts > 0 and self._order(view).get("state") == state:
            return Delivered(f"Vendure order {view.order_remote_id}: already {state}")
        doing = f"moving the order to {state}"
        data = self._call(TRANSITION_ORDER, {"id": view.order_remote_id, "state": state}, doing)
        self._result(data, "transitionOrderToState", doing)
        return Delivered(f"Vendure order {view.order_remote_id}: state {state}")

    def _note(self, view: UpdateView, record: ClaimedRecord, public: bool) -> Outcome:
        text = view.comment()
        if record.attempts > 0 and note_already_there(self._order(view), text):
            return Delivered(f"Vendure order {view.order_remote_id}: note already there")
        doing = "adding an order note"
        data = self._call(
            ADD_NOTE,
            {"input": {"id": view.order_remote_id, "note": text, "isPublic": public}},
            doing,
        )
        self._result(data, "addNoteToOrder", doing)
        return Delivered(f"Vendure order {view.order_remote_id}: order note")

    def close(self) -> None:
        self._client.close()
