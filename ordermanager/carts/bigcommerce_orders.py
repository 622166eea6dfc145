"""BigCommerce order JSON (REST v2) normalised into RemoteOrder at the connector edge.

An order arrives in three pieces: the order itself (with the billing address inline), its
``products`` (the line items) and its ``shipping_addresses``, each fetched by the connector.
Dates are RFC 2822 in UTC ("Tue, 20 Nov 2012 00:00:00 +0000"); money fields are strings with
four decimals ("12.5000"). ``id`` is both the API id and the number customers see.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from ordermanager.carts.fields import BadOrder
from ordermanager.carts.fields import amount as money
from ordermanager.carts.fields import text as _text
from ordermanager.carts.protocol import Address, RemoteLineItem, RemoteOrder, SkippedOrder

# payment_status values that mean the money was taken ('partially refunded' was captured first).
PAID_PAYMENT_STATUSES = frozenset({"captured", "paid", "partially refunded"})
# status_ids BigCommerce only reaches after payment: Shipped, Partially Shipped, Awaiting Pickup,
# Awaiting Shipment, Completed, Awaiting Fulfillment.
PAID_STATUS_IDS = frozenset({2, 3, 8, 9, 10, 11})


def parse_date(value: Any, field: str) -> datetime:
    """A BigCommerce RFC 2822 date (ISO 8601 tolerated) as aware UTC."""
    if not isinstance(value, str) or not value.strip():
        raise BadOrder(f"it has no {field}")
    text = value.strip()
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise BadOrder(f"its {field} '{value}' is not a date") from None
    # "-0000" and ISO without an offset both mean UTC here: the API always answers in UTC.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def rfc2822(moment: datetime) -> str:
    """``moment`` as BigCommerce writes dates: 'Tue, 20 Nov 2012 00:00:00 +0000'."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return format_datetime(aware.astimezone(UTC).replace(microsecond=0))


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def address(raw: Any) -> Address:
    if not isinstance(raw, dict):
        return Address()
    name = " ".join(p for p in (_text(raw.get("first_name")), _text(raw.get("last_name"))) if p)
    return Address(
        name=name,
        company=_text(raw.get("company")),
        street1=_text(raw.get("street_1")),
        street2=_text(raw.get("street_2")),
        city=_text(raw.get("city")),
        region=_text(raw.get("state")),
        postcode=_text(raw.get("zip")),
        country=_text(raw.get("country_iso2")).upper(),
        phone=_text(raw.get("phone")),
        email=_text(raw.get("email")),
    )


def line_item(raw: Any, position: int) -> RemoteLineItem:
    if not isinstance(raw, dict):
        raise BadOrder(f"its product line {position} is not an object")
    line_id = _int(raw.get("id"))
    if line_id is None:
        raise BadOrder(f"its product line {position} has no id")
    quantity = _int(raw.get("quantity"))
    if quantity is None:
        raise BadOrder(f"its product line {position} has no whole quantity")
    return RemoteLineItem(
        remote_id=str(line_id),
        sku=_text(raw.get("sku")),
        name=_text(raw.get("name")),
        quantity=quantity,
        unit_price=money(raw.get("price_ex_tax"), f"product line {position} price_ex_tax"),
    )


def is_paid(raw: dict[str, Any]) -> bool:
    payment = _text(raw.get("payment_status")).casefold()
    return payment in PAID_PAYMENT_STATUSES or _int(raw.get("status_id")) in PAID_STATUS_IDS


def order_id(raw: Any) -> str:
    found = _int(raw.get("id")) if isinstance(raw, dict) else None
    return str(found) if found is not None else ""


def normalise(raw: Any, products: Any, shipping_addresses: Any) -> RemoteOrder | SkippedOrder:
    """One order and its two sub-resources: a RemoteOrder, or a SkippedOrder saying why not.

    ``products``/``shipping_addresses`` may be a text instead of a list: why they could not be
    read, which becomes the skip reason.
    """
    if not isinstance(raw, dict):
        return SkippedOrder(
            remote_id="", number="", reason="the cart sent an entry that is not an order object"
        )
    remote_id = order_id(raw)
    modified: datetime | None = None
    try:
        if not remote_id:
            raise BadOrder("it has no numeric id")
        placed = parse_date(raw.get("date_created"), "date_created")
        modified = parse_date(raw.get("date_modified"), "date_modified")
        if isinstance(products, str):  # the connector's reason it could not read them
            raise BadOrder(products)
        if not isinstance(products, list):
            raise BadOrder("its products are not a list")
        items = tuple(line_item(item, n) for n, item in enumerate(products, start=1))
        billing = address(raw.get("billing_address"))
        if isinstance(shipping_addresses, str):
            raise BadOrder(shipping_addresses)
        shipping = (
            address(shipping_addresses[0])
            if isinstance(shipping_addresses, list) and shipping_addresses
            else billing  # a digital order has no shipping address
        )
        discount = money(raw.get("discount_amount"), "discount_amount", required=False) + money(
            raw.get("coupon_discount"), "coupon_discount", required=False
        )
        paid = is_paid(raw)
        return RemoteOrder(
            remote_id=remote_id,
            number=remote_id,
            placed_at=placed,
            modified_at=modified,
            customer_name=billing.name,
            customer_email=billing.email,
            billing=billing,
            shipping=shipping,
            currency=_text(raw.get("currency_code")).upper(),
            subtotal=money(raw.get("subtotal_ex_tax"), "subtotal_ex_tax", required=False),
            shipping_total=money(
                raw.get("shipping_cost_ex_tax"), "shipping_cost_ex_tax", required=False
            ),
            tax_total=money(raw.get("total_tax"), "total_tax", required=False),
            discount_total=discount,
            total=money(raw.get("total_inc_tax"), "total_inc_tax"),
            paid=paid,
            invoiced=paid,  # BigCommerce has no invoice of its own: invoiced means paid
            cart_status=_text(raw.get("custom_status")) or _text(raw.get("status")),
            items=items,
        )
    except BadOrder as exc:
        label = f"BigCommerce order {remote_id}" if remote_id else "A BigCommerce order"
        return SkippedOrder(
            remote_id=remote_id,
            number=remote_id,
            reason=f"{label} skipped: {exc}",
            modified_at=modified,
        )


@dataclass(frozen=True)
class Continuation:
    """Where the next page starts: keyset paging on ``date_modified``.

    Page numbers over ``sort=date_modified:asc`` drift: an order changed during the download moves
    to the end, the rest move up one place, and the one crossing a page boundary is never seen
    (then the cursor passes it). So each page after the first asks again from the last
    modification second seen (``min_date_modified`` includes it) and drops the orders of that
    second it already returned. Page numbers are used only while a whole page shares one second.
    """

    after: datetime
    page: int = 1
    seen: frozenset[str] = frozenset()  # ids already returned whose change is exactly `after`

    def encode(self) -> str:
        return f"{self.after.isoformat()}|{self.page}|{','.join(sorted(self.seen))}"

    @classmethod
    def decode(cls, token: str) -> Continuation:
        try:
            after, page, ids = token.split("|")
            return cls(
                after=datetime.fromisoformat(after),
                page=int(page),
                seen=frozenset(i for i in ids.split(",") if i),
            )
        except ValueError:
            raise ValueError(f"'{token}' is not a BigCommerce page token") from None

    def drop_seen(self, raw: Any) -> bool:
        """Whether this raw order was already returned by an earlier page."""
        if not self.seen or order_id(raw) not in self.seen:
            return False
        try:
            return parse_date(raw.get("date_modified"), "date_modified") == self.after
        except BadOrder:
            return False

    def following(self, body: list[Any]) -> Continuation:
        """The continuation after a full page ``body`` answered to this one."""
        stamps: list[tuple[str, datetime]] = []
        for raw in body:
            try:
                stamps.append((order_id(raw), parse_date(raw.get("date_modified"), "")))
            except (BadOrder, AttributeError):
                continue
        if not stamps:
            return replace(self, page=self.page + 1)
        last = max(s for _, s in stamps)
        at_last = frozenset(i for i, s in stamps if s == last and i)
        if last == self.after:
            # The whole page is one second: keyset cannot move, so page within that second.
            return replace(self, page=self.page + 1, seen=self.seen | at_last)
        return Continuation(after=last, page=1, seen=at_last)
