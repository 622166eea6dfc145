"""Shopify Admin GraphQL orders normalised into RemoteOrder at the connector edge.

The order query lives here beside the code that reads its answer, so a field added to one is
added to the other. Money comes as ``*Set { shopMoney { amount currencyCode } }`` with the amount
as a decimal string (read exactly as ``Decimal``); dates are ISO 8601 with an offset or "Z".

Identity: ``remote_id`` is the order's ``legacyResourceId`` (the number in the admin URL,
``/admin/orders/5512345678``), friendlier than the GID and turned back into
``gid://shopify/Order/<id>`` for status pushes. Line items have no legacy id in GraphQL, so their
``remote_id`` is the number at the end of their GID (``gid://shopify/LineItem/<n>``); fulfillment
orders name their line items by the same GID, which is how a partial shipment finds them.

Shopify has no single order status: ``cart_status`` reads "paid, unfulfilled" (the display
financial and fulfilment statuses, plus "cancelled"). Shopify has no invoices, so invoiced ==
paid, and paid means the money was captured (PAID, PARTIALLY_REFUNDED, REFUNDED); PARTIALLY_PAID,
PENDING and AUTHORIZED still wait for money.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ordermanager.carts.fields import BadOrder, amount
from ordermanager.carts.fields import text as _text
from ordermanager.carts.protocol import Address, RemoteLineItem, RemoteOrder, SkippedOrder

ORDER_GID = "gid://shopify/Order/"
PAID_STATUSES = frozenset({"PAID", "PARTIALLY_REFUNDED", "REFUNDED"})

# Shopify refuses any single query whose requested cost is above 1,000 points, and a connection
# costs its `first` times the cost of one node. An order node below costs about 45 points with
# ten line items, so 20 orders a page stay under the ceiling; orders with more line items fetch
# the rest with LINE_ITEMS_QUERY (rare, and cheap on its own).
ORDERS_PER_PAGE = 20
ITEMS_PER_ORDER = 10
ITEMS_PER_EXTRA_PAGE = 250

_MONEY = "shopMoney { amount currencyCode }"
_ADDRESS = (
    "firstName lastName name company address1 address2 city province provinceCode zip "
    "countryCodeV2 phone"
)
_LINE_ITEM = f"id sku name quantity originalUnitPriceSet {{ {_MONEY} }}"

ORDERS_QUERY = f"""query Orders($first: Int!, $after: String, $query: String,
    $sortKey: OrderSortKeys, $itemsFirst: Int!) {{
  orders(first: $first, after: $after, query: $query, sortKey: $sortKey) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id legacyResourceId name createdAt updatedAt cancelledAt email currencyCode
      displayFinancialStatus displayFulfillmentStatus
      billingAddress {{ {_ADDRESS} }}
      shippingAddress {{ {_ADDRESS} }}
      subtotalPriceSet {{ {_MONEY} }}
      totalShippingPriceSet {{ {_MONEY} }}
      totalTaxSet {{ {_MONEY} }}
      totalDiscountsSet {{ {_MONEY} }}
      totalPriceSet {{ {_MONEY} }}
      lineItems(first: $itemsFirst) {{
        pageInfo {{ hasNextPage endCursor }}
        nodes {{ {_LINE_ITEM} }}
      }}
    }}
  }}
}}"""

LINE_ITEMS_QUERY = f"""query OrderLineItems($id: ID!, $first: Int!, $after: String) {{
  order(id: $id) {{
    lineItems(first: $first, after: $after) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ {_LINE_ITEM} }}
    }}
  }}
}}"""


def updated_since_query(since: datetime) -> str:
    """The search query for orders changed after ``since`` (sent unchanged on every page)."""
    moment = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
    return f"updated_at:>'{moment.strftime('%Y-%m-%dT%H:%M:%SZ')}'"


def order_gid(remote_id: str) -> str:
    return ORDER_GID + remote_id


def gid_tail(value: Any) -> str:
    """The number at the end of a GID ('gid://shopify/LineItem/17' -> '17'), else ''."""
    if not isinstance(value, str) or not value.startswith("gid://"):
        return ""
    tail = value.rsplit("/", 1)[-1].split("?", 1)[0]
    return tail if tail.isdigit() else ""


def parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise BadOrder(f"it has no {field}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadOrder(f"its {field} '{value}' is not a date") from None
    if parsed.tzinfo is None:
        raise BadOrder(f"its {field} '{value}' has no time zone")
    return parsed.astimezone(UTC)


def money(raw: Any, field: str, *, required: bool = True) -> Decimal:
    """``raw`` is a MoneyBag (``{"shopMoney": {"amount": "12.30", ...}}``)."""
    shop = raw.get("shopMoney") if isinstance(raw, dict) else None
    return amount(shop.get("amount") if isinstance(shop, dict) else None, field, required=required)


def address(raw: Any, email: str = "") -> Address:
    if not isinstance(raw, dict):
        return Address(email=email)
    name = _text(raw.get("name")) or " ".join(
        p for p in (_text(raw.get("firstName")), _text(raw.get("lastName"))) if p
    )
    return Address(
        name=name,
        company=_text(raw.get("company")),
        street1=_text(raw.get("address1")),
        street2=_text(raw.get("address2")),
        city=_text(raw.get("city")),
        region=_text(raw.get("provinceCode")) or _text(raw.get("province")),
        postcode=_text(raw.get("zip")),
        country=_text(raw.get("countryCodeV2")).upper(),
        phone=_text(raw.get("phone")),
        email=email,
    )


def line_item(raw: Any, position: int) -> RemoteLineItem:
    if not isinstance(raw, dict):
        raise BadOrder(f"its line item {position} is not an object")
    remote_id = gid_tail(raw.get("id"))
    if not remote_id:
        raise BadOrder(f"its line item {position} has no id")
    quantity = raw.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise BadOrder(f"its line item {position} has no whole quantity ({quantity!r})")
    return RemoteLineItem(
        remote_id=remote_id,
        sku=_text(raw.get("sku")),
        name=_text(raw.get("name")),
        quantity=quantity,
        unit_price=money(raw.get("originalUnitPriceSet"), f"line item {position} price"),
    )


def item_nodes(raw: Any) -> tuple[list[Any], str | None]:
    """The line item nodes of an order (or of a ``lineItems`` connection) and the cursor of the
    next page of them, None when they are all here."""
    connection = raw.get("lineItems") if isinstance(raw, dict) else None
    if not isinstance(connection, dict) or not isinstance(connection.get("nodes"), list):
        raise BadOrder("it has no line items list")
    info = connection.get("pageInfo")
    more = isinstance(info, dict) and info.get("hasNextPage") is True
    cursor = info.get("endCursor") if more and isinstance(info, dict) else None
    return list(connection["nodes"]), cursor if isinstance(cursor, str) and cursor else None


def identity(raw: dict[str, Any]) -> tuple[str, str]:
    legacy = raw.get("legacyResourceId")
    remote = str(legacy) if isinstance(legacy, str | int) and str(legacy).isdigit() else ""
    if not remote:
        remote = gid_tail(raw.get("id"))
    name = _text(raw.get("name"))
    return remote, name or remote


def normalise(raw: Any, extra_items: list[Any] | None = None) -> RemoteOrder | SkippedOrder:
    """One order node: a RemoteOrder, or a SkippedOrder saying why it cannot be imported.

    ``extra_items``: line item nodes fetched beyond the order's first ``ITEMS_PER_ORDER``.
    """
    if not isinstance(raw, dict):
        return SkippedOrder(
            remote_id="", number="", reason="Shopify sent an entry that is not an order object"
        )
    remote_id, number = identity(raw)
    modified: datetime | None = None
    try:
        if not remote_id:
            raise BadOrder("it has no numeric id")
        modified = parse_time(raw.get("updatedAt"), "updatedAt")
        placed = parse_time(raw.get("createdAt"), "createdAt")
        nodes, _ = item_nodes(raw)
        nodes += extra_items or []
        items = tuple(line_item(item, n) for n, item in enumerate(nodes, start=1))
        email = _text(raw.get("email"))
        billing = address(raw.get("billingAddress"), email)
        shipping = address(raw.get("shippingAddress"))
        total_set = raw.get("totalPriceSet")
        shop = total_set.get("shopMoney") if isinstance(total_set, dict) else None
        currency = _text(shop.get("currencyCode") if isinstance(shop, dict) else None)
        financial = _text(raw.get("displayFinancialStatus")).upper()
        fulfilment = _text(raw.get("displayFulfillmentStatus")).upper()
        paid = financial in PAID_STATUSES
        status = ", ".join(s.lower() for s in (financial, fulfilment) if s)
        if raw.get("cancelledAt"):
            status = f"{status}, cancelled" if status else "cancelled"
        return RemoteOrder(
            remote_id=remote_id,
            number=number,
            placed_at=placed,
            modified_at=modified,
            customer_name=billing.name or shipping.name,
            customer_email=email,
            billing=billing,
            shipping=shipping,
            currency=(currency or _text(raw.get("currencyCode"))).upper(),
            subtotal=money(raw.get("subtotalPriceSet"), "subtotal", required=False),
            shipping_total=money(raw.get("totalShippingPriceSet"), "shipping", required=False),
            tax_total=money(raw.get("totalTaxSet"), "tax", required=False),
            discount_total=money(raw.get("totalDiscountsSet"), "discounts", required=False),
            total=money(total_set, "total"),
            paid=paid,
            invoiced=paid,  # Shopify has no invoice of its own: invoiced means paid
            cart_status=status,
            items=items,
        )
    except BadOrder as exc:
        label = f"order {number}" if number else "an order"
        return SkippedOrder(
            remote_id=remote_id,
            number=number,
            reason=f"Shopify {label} skipped: {exc}",
            modified_at=modified,
        )
