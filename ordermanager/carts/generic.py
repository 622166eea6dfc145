"""The generic connector: a store's own script speaking our documented protocol
(docs/generic-cart-protocol.md). Download side here; the status side is the stack's GenericSender,
reused as is so the two never disagree about signing or answers.

Order download: GET ``<script URL>?action=orders&since=<ISO 8601 UTC>&page=<N>``, signed with
HMAC-SHA256 over "<timestamp>.<query string>" with the cart's shared secret (the same secret and
headers as status updates), answered with ``{"orders": [...], "next_page": N|null, "total": N}``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

import httpx

from ordermanager import secrets as secret_store
from ordermanager.carts import http
from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.generic_orders import parse_order
from ordermanager.carts.protocol import (
    Capabilities,
    CartConfig,
    OrderPage,
    RemoteOrder,
    SkippedOrder,
)
from ordermanager.carts.status_map import ActionKind, CartAction, CartStatus
from ordermanager.stack.delivery import DeliveryConfig
from ordermanager.stack.generic import SIGNATURE_HEADER, TIMESTAMP_HEADER, GenericSender, sign

if TYPE_CHECKING:
    from ordermanager.stack.delivery import Outcome
    from ordermanager.stack.queue import ClaimedRecord

SECRET_FIELD = secret_store.STATUS_SECRET  # one shared secret for both directions


def format_since(since: datetime) -> str:
    """UTC, seconds resolution, with a Z: what the protocol documents for ``since``."""
    return since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GenericConnector:
    kind: ClassVar[str] = "generic"
    title: ClassVar[str] = "Generic (your own script)"
    capabilities: ClassVar[Capabilities] = Capabilities(
        order_download=True,
        status_updates=True,
        tracking_numbers=True,
        cancel=True,  # as a label the script maps to its own cancel
        partial_shipment=True,  # item labels and tracking per update
        inventory=False,
        invoices=False,
    )
    secret_fields: ClassVar[tuple[str, ...]] = (SECRET_FIELD,)
    # The script receives every label as is and decides what it means: no mapping to edit.
    supported_actions: ClassVar[frozenset[ActionKind]] = frozenset()
    cart_statuses: ClassVar[tuple[CartStatus, ...]] = ()
    default_status_map: ClassVar[Mapping[str, CartAction]] = {}

    def __init__(
        self,
        cart: CartConfig,
        secrets: Mapping[str, str],
        *,
        timeout: httpx.Timeout | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.cart = cart
        self.script_url = cart.base_url.strip()
        self._secret = secrets.get(SECRET_FIELD, "")
        if not self._secret:
            raise ConnectorError(secret_store.missing_secret_message(cart.name, SECRET_FIELD))
        if not self.script_url.lower().startswith(("http://", "https://")):
            raise ConnectorError(
                f"Cart '{cart.name}' has no usable script URL ('{self.script_url}'): set the "
                "cart's URL to the http(s) address of its script."
            )
        self._timeout = timeout
        self._transport = transport
        self._client = http.new_client(timeout, transport)
        self._sender: GenericSender | None = None

    # -- download ---------------------------------------------------------------------------

    def _get(self, params: list[tuple[str, str]]) -> Any:
        query = urlencode(params)
        joiner = "&" if "?" in self.script_url else "?"
        url = f"{self.script_url}{joiner}{query}"
        signed = url.split("?", 1)[1]
        timestamp = str(int(time.time()))
        headers = {
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, signed.encode()),
            "Accept": "application/json",
        }
        body, _ = http.get_json(
            self._client, url, cart_name=self.cart.name, hide=(self._secret,), headers=headers
        )
        return body

    def list_orders(self, since: datetime, page: str | None) -> OrderPage:
        number = page or "1"
        body = self._get([("action", "orders"), ("since", format_since(since)), ("page", number)])
        return self._page(body)

    def _page(self, body: Any) -> OrderPage:
        if not isinstance(body, dict) or not isinstance(body.get("orders"), list):
            raise ConnectorError(
                f"Cart '{self.cart.name}' answered JSON without an \"orders\" list: check that "
                "the script implements action=orders (docs/generic-cart-protocol.md).",
                transient=False,
            )
        next_page = body.get("next_page")
        if next_page is not None and (
            isinstance(next_page, bool) or not isinstance(next_page, int | str)
        ):
            raise ConnectorError(
                f"Cart '{self.cart.name}' answered a \"next_page\" that is neither a number nor "
                "null.",
                transient=False,
            )
        total = body.get("total")
        orders: list[RemoteOrder] = []
        skipped: list[SkippedOrder] = []
        for raw in body["orders"]:
            parsed = parse_order(raw)
            (skipped if isinstance(parsed, SkippedOrder) else orders).append(parsed)  # type: ignore[arg-type]
        return OrderPage(
            orders=orders,
            skipped=skipped,
            next_page=None if next_page is None else str(next_page),
            total=total if isinstance(total, int) and not isinstance(total, bool) else None,
        )

    def test_connection(self) -> str:
        since = datetime.now(UTC) - timedelta(days=1)
        page = self.list_orders(since, None)
        count = page.total if page.total is not None else len(page.orders) + len(page.skipped)
        return (
            f"Connected to cart '{self.cart.name}': the script answered and reports {count:,} "
            "order(s) changed in the last 24 hours."
        )

    # -- status -----------------------------------------------------------------------------

    def push_status(self, record: ClaimedRecord, action: CartAction | None = None) -> Outcome:
        """The record as the protocol documents it; ``action`` is unused (labels go as is)."""
        if self._sender is None:
            config = DeliveryConfig()
            if self._timeout is not None:
                config = DeliveryConfig(
                    connect_timeout=self._timeout.connect or config.connect_timeout,
                    read_timeout=self._timeout.read or config.read_timeout,
                    write_timeout=self._timeout.write or config.write_timeout,
                    pool_timeout=self._timeout.pool or config.pool_timeout,
                )
            self._sender = GenericSender(
                self.cart.name,
                self.script_url,
                config=config,
                secret=self._secret,
                transport=self._transport,
            )
        return self._sender.send(record)

    def close(self) -> None:
        self._client.close()
        if self._sender is not None:
            self._sender.close()
