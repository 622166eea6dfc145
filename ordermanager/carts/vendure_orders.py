"""Vendure Admin API order JSON normalised into RemoteOrder, and keyset paging over ``orders``.

Facts relied on (docs.vendure.io, "Money & Currency", "MoneyStrategy"; the Admin API schema):
- Money is an ``Int`` in the currency's minor units; the default MoneyStrategy has precision 2
  for every currency (the precision is a server-wide setting and only a display hint), so an
  amount is the integer divided by 100. A server configured with another precision is listed as
  a limitation in docs/carts/vendure.md.
- ``DateTime`` values are ISO-8601 strings in UTC with milliseconds ("2026-11-20T08:00:00.000Z").
- ``id`` is the order's ID (a string: numbers or UUIDs), ``code`` the reference customers see.
- ``state`` follows the default OrderProcess; the payment is taken from PaymentSettled on
  (PartiallyShipped, Shipped, PartiallyDelivered and Delivered all come after it).
- ``OrderAddress`` carries ``countryCode`` (ISO 3166-1 alpha-2) beside the country's name.

Amounts are taken with tax (what the customer saw and paid): lines' ``unitPriceWithTax``,
``subTotalWithTax``, ``shippingWithTax``, ``totalWithTax``; tax is ``totalWithTax - total``; the
discount total is the sum of the (negative) ``discounts[].amountWithTax``, made positive.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ordermanager.carts.fields import BadOrder
from ordermanager.carts.fields import text as _text
from ordermanager.carts.protocol import Address, RemoteLineItem, RemoteOrder, SkippedOrder

# The default OrderProcess states in which the payment has been settled.
PAID_STATES = frozenset(
    {"PaymentSettled", "PartiallyShipped", "Shipped", "PartiallyDelivered", "Delivered"}
)
MINOR_UNITS = Decimal(100)  # the default MoneyStrategy's precision (2) for every currency
ONE_MS = timedelta(milliseconds=1)

_ADDRESS = (
    "fullName company streetLine1 streetLine2 city province postalCode countryCode phoneNumber"
)
# Everything normalise() reads, and the fulfillments the status push needs; one selection for
# the order list and for the single-order look-up.
ORDER_FIELDS = f"""
    id code state active createdAt updatedAt orderPlacedAt currencyCode
    customer {{ firstName lastName emailAddress }}
    billingAddress {{ {_ADDRESS} }}
    shippingAddress {{ {_ADDRESS} }}
    lines {{ id quantity unitPriceWithTax productVariant {{ sku name }} }}
    subTotalWithTax shippingWithTax total totalWithTax
    discounts {{ amountWithTax }}
    fulfillments {{ id state method trackingCode lines {{ orderLineId quantity }} }}
"""

ORDERS_QUERY = (
    "query OrderManagerOrders($options: OrderListOptions) {\n"
    "  orders(options: $options) { totalItems items {" + ORDER_FIELDS + "} }\n}"
)


def parse_time(value: Any, field: str) -> datetime:
    """A Vendure ``DateTime`` ("2026-11-20T08:00:00.000Z") as aware UTC."""
    if not isinstance(value, str) or not value.strip():
        raise BadOrder(f"it has no {field}")
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise BadOrder(f"its {field} '{value}' is not a date") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def format_time(moment: datetime) -> str:
    """Aware UTC as Vendure writes it, to the millisecond, with Z."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def money(value: Any, field: str, *, required: bool = True) -> Decimal:
    """An ``Int`` of minor units as a Decimal amount (1949 -> 19.49), exactly."""
    if value is None:
        if required:
            raise BadOrder(f"it has no {field}")
        return Decimal("0")
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise BadOrder(f"its {field} {value!r} is not an amount in minor units")
    amount = Decimal(value)
    if not amount.is_finite() or amount != amount.to_integral_value():
        raise BadOrder(f"its {field} {value!r} is not a whole number of minor units")
    return amount / MINOR_UNITS


def address(raw: Any, email: str = "") -> Address:
    if not isinstance(raw, dict):
        return Address(email=email)
    return Address(
        name=_text(raw.get("fullName")),
        company=_text(raw.get("company")),
        street1=_text(raw.get("streetLine1")),
        street2=_text(raw.get("streetLine2")),
        city=_text(raw.get("city")),
        region=_text(raw.get("province")),
        postcode=_text(raw.get("postalCode")),
        country=_text(raw.get("countryCode")).upper(),
        phone=_text(raw.get("phoneNumber")),
        email=email,
    )


def line_item(raw: Any, position: int) -> RemoteLineItem:
    if not isinstance(raw, dict):
        raise BadOrder(f"its line {position} is not an object")
    line_id = raw.get("id")
    if not isinstance(line_id, str | int) or isinstance(line_id, bool) or str(line_id) == "":
        raise BadOrder(f"its line {position} has no id")
    quantity = raw.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise BadOrder(f"its line {position} has no whole quantity")
    variant = raw.get("productVariant")
    variant = variant if isinstance(variant, dict) else {}
    return RemoteLineItem(
        remote_id=str(line_id),
        sku=_text(variant.get("sku")),
        name=_text(variant.get("name")),
        quantity=quantity,
        unit_price=money(raw.get("unitPriceWithTax"), f"line {position} unitPriceWithTax"),
    )


def identity(raw: dict[str, Any]) -> tuple[str, str]:
    """The order's ID and its display code (the ID when the code is missing)."""
    order_id = raw.get("id")
    remote = (
        str(order_id) if isinstance(order_id, str | int) and not isinstance(order_id, bool) else ""
    ).strip()
    code = _text(raw.get("code"))
    return remote, code or remote


def normalise(raw: Any) -> RemoteOrder | SkippedOrder:
    """One order of a page: a RemoteOrder, or a SkippedOrder saying why it cannot be imported."""
    if not isinstance(raw, dict):
        return SkippedOrder(
            remote_id="", number="", reason="the cart sent an entry that is not an order object"
        )
    remote_id, number = identity(raw)
    modified: datetime | None = None
    try:
        if not remote_id:
            raise BadOrder("it has no id")
        modified = parse_time(raw.get("updatedAt"), "updatedAt")
        placed_raw = raw.get("orderPlacedAt") or raw.get("createdAt")
        placed = parse_time(placed_raw, "orderPlacedAt or createdAt")
        lines = raw.get("lines")
        if not isinstance(lines, list):
            raise BadOrder("it has no lines list")
        items = tuple(line_item(line, n) for n, line in enumerate(lines, start=1))
        customer = raw.get("customer")
        customer = customer if isinstance(customer, dict) else {}
        email = _text(customer.get("emailAddress"))
        billing = address(raw.get("billingAddress"), email)
        shipping = address(raw.get("shippingAddress"))
        name = " ".join(
            p for p in (_text(customer.get("firstName")), _text(customer.get("lastName"))) if p
        )
        total_with_tax = money(raw.get("totalWithTax"), "totalWithTax")
        total = money(raw.get("total"), "total", required=False)
        discounts = raw.get("discounts")
        discount = sum(
            (
                money(d.get("amountWithTax"), "discount amountWithTax", required=False)
                for d in (discounts if isinstance(discounts, list) else [])
                if isinstance(d, dict)
            ),
            Decimal("0"),
        )
        state = _text(raw.get("state"))
        paid = state in PAID_STATES
        return RemoteOrder(
            remote_id=remote_id,
            number=number,
            placed_at=placed,
            modified_at=modified,
            customer_name=name or billing.name or shipping.name,
            customer_email=email,
            billing=billing,
            shipping=shipping,
            currency=_text(raw.get("currencyCode")).upper(),
            subtotal=money(raw.get("subTotalWithTax"), "subTotalWithTax", required=False),
            shipping_total=money(raw.get("shippingWithTax"), "shippingWithTax", required=False),
            tax_total=total_with_tax - total if raw.get("total") is not None else Decimal("0"),
            discount_total=-discount,
            total=total_with_tax,
            paid=paid,
            invoiced=paid,  # Vendure has no invoice of its own: invoiced means paid
            cart_status=state,
            items=items,
        )
    except BadOrder as exc:
        # The sync log says "order <number> skipped: <reason>"; the reason is the detail.
        return SkippedOrder(
            remote_id=remote_id, number=number, reason=str(exc), modified_at=modified
        )


def _stamp(raw: Any) -> datetime | None:
    try:
        return parse_time(raw.get("updatedAt"), "updatedAt") if isinstance(raw, dict) else None
    except BadOrder:
        return None


@dataclass(frozen=True)
class Continuation:
    """Where the next page starts: keyset paging on ``updatedAt`` (milliseconds).

    skip/take over ``sort: {updatedAt: ASC}`` drifts: an order changed during the download moves
    to the end, every later order moves up one place, and the one crossing the page boundary is
    never seen (the cursor would then pass it). So each page after the first asks again from the
    last ``updatedAt`` seen (``after`` is exclusive, hence one millisecond earlier) and drops the
    orders of that millisecond it already returned. ``skip`` is used only while a whole page
    shares one millisecond (a bulk change), where keyset cannot move. ``total`` is the first
    page's ``totalItems``, kept so progress has one denominator.
    """

    after: datetime
    skip: int = 0
    seen: frozenset[str] = frozenset()  # ids already returned whose change is exactly `since`
    since: datetime | None = None
    total: int | None = None

    def encode(self) -> str:
        since = self.since.isoformat() if self.since else ""
        total = "" if self.total is None else str(self.total)
        return f"{self.after.isoformat()}|{self.skip}|{since}|{total}|{','.join(sorted(self.seen))}"

    @classmethod
    def decode(cls, token: str) -> Continuation:
        try:
            after, skip, since, total, ids = token.split("|")
            return cls(
                after=datetime.fromisoformat(after),
                skip=int(skip),
                seen=frozenset(i for i in ids.split(",") if i),
                since=datetime.fromisoformat(since) if since else None,
                total=int(total) if total else None,
            )
        except ValueError:
            raise ValueError(f"'{token}' is not a Vendure page token") from None

    def drop_seen(self, raw: Any) -> bool:
        """Whether this raw order was already returned by the previous page."""
        if not self.seen or not isinstance(raw, dict):
            return False
        return identity(raw)[0] in self.seen and _stamp(raw) == self.since

    def following(self, items: list[Any], total: int | None) -> Continuation:
        """The continuation after a full page ``items`` answered to this one."""
        stamps = [(identity(r)[0], s) for r in items if (s := _stamp(r)) is not None]
        total = self.total if self.total is not None else total
        if not stamps:
            return replace(self, skip=self.skip + len(items), total=total)
        last = max(s for _, s in stamps)
        if self.since == last:
            # The whole page is one millisecond: keyset cannot move, so skip within it.
            return replace(self, skip=self.skip + len(items), total=total)
        seen = frozenset(i for i, s in stamps if s == last)
        return Continuation(after=last - ONE_MS, skip=0, seen=seen, since=last, total=total)
