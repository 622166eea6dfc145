"""The WooCommerce connector (REST API v3 at ``<store>/wp-json/wc/v3/``).

Authentication follows the WooCommerce docs: over HTTPS, HTTP Basic with the consumer key and
secret; over plain HTTP the keys must not travel in the clear, so requests are signed with
one-legged OAuth 1.0a (HMAC-SHA256, the consumer secret plus "&" as the key) and the OAuth
parameters go in the Authorization header, keeping every credential out of URLs and logs.

Orders are listed oldest change first (``orderby=modified&order=asc``) with ``modified_after``
and ``dates_are_gmt=true``, 100 per page (the WordPress maximum); later pages continue from the
last modification time seen (keyset paging, see ``Continuation``) until ``X-WP-TotalPages`` says
the query has no more. Status updates: see ``woocommerce_status``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as token_source
import time
from collections.abc import Generator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

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
from ordermanager.carts.status_map import ActionKind, CartAction, CartStatus
from ordermanager.carts.updates import view_of
from ordermanager.carts.woocommerce_orders import Continuation, normalise
from ordermanager.carts.woocommerce_status import DEFAULT_MAP, STATUSES, SUPPORTED, Note, plan_for
from ordermanager.stack import backoff
from ordermanager.stack.delivery import Delivered, Outcome, Rejected, RetryLater, trim_error

if TYPE_CHECKING:
    from ordermanager.stack.queue import ClaimedRecord

API_PATH = "/wp-json/wc/v3/"
PER_PAGE = 100
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)
# WooCommerce answers a PUT to an unknown order id with 400 and this code, not 404.
_INVALID_ORDER_CODES = frozenset(
    {"woocommerce_rest_shop_order_invalid_id", "woocommerce_rest_order_invalid_id"}
)


def _rawurlencode(value: str) -> str:
    """PHP's rawurlencode, which WooCommerce uses to build the string it checks."""
    return quote(value, safe="-_.~")


def oauth_signature(method: str, url: str, params: Mapping[str, str], consumer_secret: str) -> str:
    """The OAuth 1.0a signature WooCommerce expects: base64 HMAC of METHOD&URL&sorted-params."""
    pairs = sorted((_rawurlencode(k), _rawurlencode(v)) for k, v in params.items())
    joined = "%26".join(f"{k}%3D{v}" for k, v in pairs)
    base = f"{method.upper()}&{_rawurlencode(url)}&{joined}"
    digest = hmac.new(f"{consumer_secret}&".encode(), base.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class _OAuth1(httpx.Auth):
    """Signs each request (URL without query, query parameters, OAuth parameters)."""

    def __init__(self, key: str, secret: str) -> None:
        self._key = key
        self._secret = secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        oauth = {
            "oauth_consumer_key": self._key,
            "oauth_timestamp": str(int(time.time())),
            "oauth_nonce": token_source.token_hex(16),
            "oauth_signature_method": "HMAC-SHA256",
        }
        url = str(request.url.copy_with(query=None, fragment=None))
        params = dict(request.url.params.multi_items())
        oauth["oauth_signature"] = oauth_signature(
            request.method, url, {**params, **oauth}, self._secret
        )
        request.headers["Authorization"] = "OAuth " + ", ".join(
            f'{k}="{_rawurlencode(v)}"' for k, v in oauth.items()
        )
        yield request


class WooCommerceConnector:
    kind: ClassVar[str] = "woocommerce"
    title: ClassVar[str] = "WooCommerce"
    capabilities: ClassVar[Capabilities] = Capabilities(
        order_download=True,
        status_updates=True,
        tracking_numbers=True,  # as a customer order note
        cancel=True,
        partial_shipment=True,  # as a customer order note; the order stays open
        inventory=False,
        invoices=False,
    )
    secret_fields: ClassVar[tuple[str, ...]] = ("consumer_key", "consumer_secret")
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
        base = cart.base_url.strip().rstrip("/")
        # Accept the API address pasted in place of the store's address.
        if base.endswith(API_PATH.rstrip("/")):
            base = base[: -len(API_PATH.rstrip("/"))]
        self.base_url = base
        self.api_url = base + API_PATH
        key = secrets.get("consumer_key", "")
        secret = secrets.get("consumer_secret", "")
        self._secrets = [s for s in (key, secret) if s]
        auth: httpx.Auth | None = None
        if key and secret:
            auth = (
                httpx.BasicAuth(key, secret)
                if base.lower().startswith("https://")
                else _OAuth1(key, secret)
            )
        self._has_keys = auth is not None
        self._client = httpx.Client(
            base_url=self.api_url,
            auth=auth,
            timeout=timeout or DEFAULT_TIMEOUT,
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": "OrderManager", "Accept": "application/json"},
        )

    # -- plumbing ---------------------------------------------------------------------------

    def _where(self) -> str:
        return f"WooCommerce cart '{self.cart.name}'"

    def _clean(self, text: str) -> str:
        return trim_error(secrets.redact(text, self._secrets))

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request; network failures become ConnectorError (transient), never a traceback."""
        if not self.base_url.lower().startswith(("http://", "https://")):
            raise ConnectorError(
                f"{self._where()}: the store URL '{self.base_url}' is not an http(s) address."
            )
        if not self._has_keys:
            raise ConnectorError(
                f"{self._where()}: the consumer key and consumer secret are both needed."
            )
        return http.request(
            self._client,
            method,
            path,
            **kwargs,
            where=self._where(),
            address=self.base_url,
            clean=self._clean,
        )

    def _cart_message(self, response: httpx.Response) -> tuple[str, str]:
        """The cart's error ``code`` and ``message`` (WordPress REST errors), else the body text."""
        try:
            body = response.json()
        except ValueError:
            return "", self._clean(response.text.strip() or "(empty body)")
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            return str(body.get("code", "")), self._clean(body["message"])
        return "", self._clean(response.text.strip())

    def _raise_for(self, response: httpx.Response, doing: str) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        code, message = self._cart_message(response)
        if status == 401:
            text = f"{self._where()} refused the consumer key and secret (HTTP 401: {message})"
        elif status == 404 and code in ("rest_no_route", ""):
            text = (
                f"{self._where()}: no WooCommerce REST API at {self.api_url} (HTTP 404). "
                "Check the store URL, that WooCommerce is active and that permalinks are "
                "not 'Plain'."
            )
        else:
            text = f"{self._where()} answered HTTP {status} while {doing}: {message}"
        transient = backoff.is_transient_status(status)
        retry_after = (
            backoff.parse_retry_after(response.headers.get("Retry-After")) if transient else None
        )
        raise ConnectorError(self._clean(text), transient=transient, retry_after=retry_after)

    def _json(self, response: httpx.Response, doing: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(
                f"{self._where()} sent an answer that is not JSON while {doing} "
                f"(HTTP {response.status_code}, {len(response.content)} bytes)."
            ) from None

    # -- the protocol -----------------------------------------------------------------------

    def test_connection(self) -> str:
        response = self._request("GET", "orders", params={"per_page": "1"})
        self._raise_for(response, "testing the connection")
        if not isinstance(self._json(response, "testing the connection"), list):
            raise ConnectorError(
                f"{self._where()}: {self.api_url}orders did not answer with a list of orders; "
                "is this a WooCommerce store?"
            )
        total = response.headers.get("X-WP-Total")
        count = f"; {int(total):,} orders in the store" if total and total.isdigit() else ""
        return f"Connected to WooCommerce at {self.base_url}{count}."

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
        params = {
            "modified_after": where.after.strftime("%Y-%m-%dT%H:%M:%S"),
            "dates_are_gmt": "true",
            "orderby": "modified",
            "order": "asc",
            "per_page": str(PER_PAGE),
            "page": str(where.page),
        }
        doing = f"downloading orders changed after {params['modified_after']} (page {where.page})"
        response = self._request("GET", "orders", params=params)
        self._raise_for(response, doing)
        body = self._json(response, doing)
        if not isinstance(body, list):
            raise ConnectorError(
                f"{self._where()} answered something other than a list of orders while {doing}."
            )
        orders: list[RemoteOrder] = []
        skipped: list[SkippedOrder] = []
        for raw in body:
            if where.drop_seen(raw):
                continue
            result = normalise(raw)
            if isinstance(result, RemoteOrder):
                orders.append(result)
            else:
                skipped.append(result)
        pages = _header_int(response, "X-WP-TotalPages")
        # Without the header (a proxy dropped it) a full page may have a successor.
        more = where.page < pages if pages is not None else len(body) >= PER_PAGE
        total = where.total if where.total is not None else _header_int(response, "X-WP-Total")
        return OrderPage(
            orders=orders,
            skipped=skipped,
            next_page=where.following(body, total).encode() if more and body else None,
            total=total,
        )

    def push_status(self, record: ClaimedRecord, action: CartAction) -> Outcome:
        remote = record.order_remote_id.strip()
        if not remote.isdigit():
            return Rejected(
                f"Order {record.order_number} has no WooCommerce order id ('{remote}'), so its "
                "status cannot be sent to the cart."
            )
        plan = plan_for(view_of(record), action)
        headers = {"Idempotency-Key": record.idempotency_key}
        try:
            if plan.status is not None:
                response = self._request(
                    "PUT", f"orders/{remote}", json={"status": plan.status}, headers=headers
                )
                outcome = self._judge(response, record)
                if outcome is not None:
                    return outcome
            if plan.note is not None and not self._note_already_there(record, plan.note):
                response = self._request(
                    "POST",
                    f"orders/{remote}/notes",
                    json={"note": plan.note.text, "customer_note": plan.note.customer_note},
                    headers=headers,
                )
                outcome = self._judge(response, record)
                if outcome is not None:
                    return outcome
        except ConnectorError as exc:
            if exc.transient:
                return RetryLater(str(exc), retry_after=exc.retry_after)
            return Rejected(str(exc))
        done = f"status {plan.status}" if plan.status else "order note"
        return Delivered(f"WooCommerce order {remote}: {done}")

    def _note_already_there(self, record: ClaimedRecord, note: Note) -> bool:
        """On a retry, whether an earlier attempt's note arrived after all (its answer was lost):
        a note is not idempotent, and a customer note emails the customer each time."""
        if record.attempts == 0:
            return False
        response = self._request("GET", f"orders/{record.order_remote_id.strip()}/notes")
        if response.status_code != 200:
            return False  # the POST itself will say what is wrong
        notes = self._json(response, "reading the order notes")
        return isinstance(notes, list) and any(
            isinstance(n, dict) and n.get("note") == note.text for n in notes
        )

    def _judge(self, response: httpx.Response, record: ClaimedRecord) -> Outcome | None:
        """None when the request succeeded; otherwise the record's outcome."""
        status = response.status_code
        if 200 <= status < 300:
            return None
        code, message = self._cart_message(response)
        if status == 404 or code in _INVALID_ORDER_CODES:
            return Rejected(
                f"Order {record.order_number} (WooCommerce id {record.order_remote_id}): "
                "order not found in the cart"
            )
        if status == 401:
            text = self._clean(
                f"{self._where()} refused the consumer key and secret (HTTP 401: {message})"
            )
        else:
            text = self._clean(f"{self._where()} answered HTTP {status}: {message}")
        if backoff.is_transient_status(status):
            return RetryLater(
                text, retry_after=backoff.parse_retry_after(response.headers.get("Retry-After"))
            )
        return Rejected(text)

    def close(self) -> None:
        self._client.close()


def _header_int(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name, "").strip()
    return int(value) if value.isdigit() else None
