"""What every cart connector offers, and the plain data it hands to the rest of Order Manager.

Connectors normalise at the edge: datetimes are aware UTC, money is ``Decimal``, countries are
ISO-2. Nothing here is an ORM object, so results can cross threads (DESIGN.md section 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Protocol

import httpx

if TYPE_CHECKING:
    from ordermanager.carts.status_map import ActionKind, CartAction, CartStatus
    from ordermanager.stack.delivery import Outcome
    from ordermanager.stack.queue import ClaimedRecord

AUTO_INVOICE = "auto-invoice"
WAIT_FOR_INVOICE = "wait-for-invoice"
DOWNLOAD_MODES = (AUTO_INVOICE, WAIT_FOR_INVOICE)


@dataclass(frozen=True)
class Capabilities:
    """One row of the Shopping Cart Matrix."""

    order_download: bool
    status_updates: bool
    tracking_numbers: bool
    cancel: bool
    partial_shipment: bool
    inventory: bool
    invoices: bool  # a separate invoice notion (Magento); elsewhere invoiced == paid


@dataclass(frozen=True)
class Address:
    name: str = ""
    company: str = ""
    street1: str = ""
    street2: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""  # ISO 3166-1 alpha-2
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class RemoteLineItem:
    remote_id: str
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class RemoteOrder:
    remote_id: str  # the cart's own id; unique together with the cart
    number: str  # the display number customers see
    placed_at: datetime
    modified_at: datetime
    customer_name: str
    customer_email: str
    billing: Address
    shipping: Address
    currency: str
    subtotal: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    discount_total: Decimal
    total: Decimal
    paid: bool  # payment captured/complete in the cart
    invoiced: bool  # carts without invoices: same as paid
    cart_status: str  # the cart's own status text, kept for display and logs
    items: tuple[RemoteLineItem, ...]


@dataclass(frozen=True)
class SkippedOrder:
    """An order the connector could not read: logged, and the rest of the page still imports."""

    remote_id: str
    number: str
    reason: str
    modified_at: datetime | None = None  # when known, so the cursor can still move past it


@dataclass(frozen=True)
class OrderPage:
    orders: list[RemoteOrder]
    skipped: list[SkippedOrder]
    next_page: str | None  # opaque continuation (page number, cursor, URL); None = last page
    total: int | None = None  # when the cart says how many match ("order 825 of 12,403")


@dataclass(frozen=True)
class CartConfig:
    """What a connector needs from the carts row: plain data, no ORM."""

    id: int
    name: str
    kind: str
    base_url: str
    download_mode: str = AUTO_INVOICE


class Connector(Protocol):
    kind: ClassVar[str]  # 'generic', 'woocommerce', ...
    title: ClassVar[str]  # 'WooCommerce'
    capabilities: ClassVar[Capabilities]
    secret_fields: ClassVar[tuple[str, ...]]  # asked on stdin / in the GUI, kept in the keyring
    # Status mapping (ordermanager.carts.status_map): what this kind can do with a status update,
    # its own order statuses (for SET_STATUS), and the default action per label name.
    supported_actions: ClassVar[frozenset[ActionKind]]
    cart_statuses: ClassVar[tuple[CartStatus, ...]]
    default_status_map: ClassVar[Mapping[str, CartAction]]

    def __init__(
        self,
        cart: CartConfig,
        secrets: Mapping[str, str],
        *,
        timeout: httpx.Timeout | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None: ...

    def test_connection(self) -> str:
        """A one-line success text, or raises ConnectorError."""
        ...

    def list_orders(self, since: datetime, page: str | None) -> OrderPage:
        """One page of the orders changed since ``since`` (aware UTC); raises ConnectorError."""
        ...

    def push_status(self, record: ClaimedRecord, action: CartAction) -> Outcome:
        """Carry out ``action`` (the record's label mapped for this cart) for one stack record;
        never raises for anything the cart or network does. SKIP never reaches a connector."""
        ...

    def close(self) -> None: ...


class InvoicingConnector(Connector, Protocol):
    """A connector for a cart with separate invoices (``capabilities.invoices``, Magento 2).

    Under Auto-Invoice the sync cycle calls ``create_invoice`` for each downloaded order the cart
    has not invoiced, after the order's page committed; it returns a one-line text naming the
    invoice, or raises ConnectorError (the order stays imported; the next cycle tries again).
    """

    def create_invoice(self, order: RemoteOrder) -> str: ...
