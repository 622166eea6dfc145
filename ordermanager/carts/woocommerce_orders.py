"""WooCommerce order JSON (REST v3) normalised into RemoteOrder at the connector edge.

WooCommerce gives every date twice: ``date_created`` in the site's local time and
``date_created_gmt`` in GMT, both without an offset. Only the ``_gmt`` twins can be turned into
aware UTC without knowing the store's timezone, so those are the ones read. Money arrives as
strings with two decimals; a line item's ``price`` is a JSON number, so it is read through its
string form to stay exact.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ordermanager.carts.fields import BadOrder
from ordermanager.carts.fields import amount as money
from ordermanager.carts.fields import text as _text
from ordermanager.carts.protocol import Address, RemoteLineItem, RemoteOrder, SkippedOrder

# Statuses in which WooCommerce has taken the payment (core: processing = paid, awaiting
# fulfilment; completed = paid and fulfilled).
PAID_STATUSES = frozenset({"processing", "completed"})


def parse_gmt(value: Any, field: str) -> datetime:
    """A WooCommerce ``*_gmt`` value ("2026-11-23T14:05:00", no offset) as aware UTC."""
    if not isinstance(value, str) or not value:
        raise BadOrder(f"it has no {field}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadOrder(f"its {field} '{value}' is not a date") from None
    # Some proxies append "Z"; a naive value is GMT by the field's definition.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def address(raw: Any) -> Address:
    if not isinstance(raw, dict):
        return Address()
    name = " ".join(p for p in (_text(raw.get("first_name")), _text(raw.get("last_name"))) if p)
    return Address(
        name=name,
        company=_text(raw.get("company")),
        street1=_text(raw.get("address_1")),
        street2=_text(raw.get("address_2")),
        city=_text(raw.get("city")),
        region=_text(raw.get("state")),
        postcode=_text(raw.get("postcode")),
        country=_text(raw.get("country")).upper(),
        phone=_text(raw.get("phone")),
        email=_text(raw.get("email")),
    )


def line_item(raw: Any, position: int) -> RemoteLineItem:
    if not isinstance(raw, dict):
        raise BadOrder(f"its line item {position} is not an object")
    quantity = raw.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise BadOrder(f"its line item {position} has no whole quantity")
    price = raw.get("price")
    if price is None and quantity:
        # Older stores omit price; the pre-discount line subtotal divided by quantity is the same.
        unit = money(raw.get("subtotal"), f"line item {position} subtotal") / quantity
        price = str(unit.quantize(Decimal("0.01")))
    return RemoteLineItem(
        remote_id=str(raw.get("id", "")),
        sku=_text(raw.get("sku")),
        name=_text(raw.get("name")),
        quantity=quantity,
        unit_price=money(price, f"line item {position} price"),
    )


def _identity(raw: dict[str, Any]) -> tuple[str, str]:
    remote_id = raw.get("id")
    remote = (
        str(remote_id) if isinstance(remote_id, int) and not isinstance(remote_id, bool) else ""
    )
    number = raw.get("number")
    return remote, (str(number) if isinstance(number, str | int) and number != "" else remote)


def normalise(raw: Any) -> RemoteOrder | SkippedOrder:
    """One order of a page: a RemoteOrder, or a SkippedOrder saying why it cannot be imported."""
    if not isinstance(raw, dict):
        return SkippedOrder(
            remote_id="", number="", reason="the cart sent an entry that is not an order object"
        )
    remote_id, number = _identity(raw)
    modified: datetime | None = None
    try:
        if not remote_id:
            raise BadOrder("it has no numeric id")
        placed = parse_gmt(raw.get("date_created_gmt"), "date_created_gmt")
        modified = (
            parse_gmt(raw.get("date_modified_gmt"), "date_modified_gmt")
            if raw.get("date_modified_gmt")
            else placed
        )
        items_raw = raw.get("line_items")
        if not isinstance(items_raw, list):
            raise BadOrder("it has no line items list")
        items = tuple(line_item(item, n) for n, item in enumerate(items_raw, start=1))
        subtotal = sum((i.unit_price * i.quantity for i in items), Decimal("0"))
        status = _text(raw.get("status"))
        billing = address(raw.get("billing"))
        paid = raw.get("date_paid_gmt") not in (None, "") or status in PAID_STATUSES
        return RemoteOrder(
            remote_id=remote_id,
            number=number,
            placed_at=placed,
            modified_at=modified,
            customer_name=billing.name,
            customer_email=billing.email,
            billing=billing,
            shipping=address(raw.get("shipping")),
            currency=_text(raw.get("currency")).upper(),
            subtotal=subtotal,
            shipping_total=money(raw.get("shipping_total"), "shipping_total", required=False),
            tax_total=money(raw.get("total_tax"), "total_tax", required=False),
            discount_total=money(raw.get("discount_total"), "discount_total", required=False),
            total=money(raw.get("total"), "total"),
            paid=paid,
            invoiced=paid,  # WooCommerce has no invoice of its own: invoiced means paid
            cart_status=status,
            items=items,
        )
    except BadOrder as exc:
        label = f"order {number}" if number else "an order"
        return SkippedOrder(
            remote_id=remote_id,
            number=number,
            reason=f"WooCommerce {label} skipped: {exc}",
            modified_at=modified,
        )


@dataclass(frozen=True)
class Continuation:
    """Where the next page starts: keyset paging on the GMT modification time.

    Plain page numbers over ``orderby=modified`` drift: an order changed during the download
    moves to the end, every later order moves up one place, and the one that crosses the page
    boundary is never seen (and the cursor then passes it). So each page after the first asks
    again from the last modification second seen (``modified_after`` is exclusive, hence one
    second earlier), and drops the orders of that second it already returned. Page numbers are
    used only while a whole page shares one second (a bulk edit), where keyset cannot move.
    ``total`` is the first page's X-WP-Total, kept so progress has one denominator.
    """

    after: datetime
    page: int = 1
    seen: frozenset[str] = frozenset()  # ids already returned whose change is exactly `since`
    since: datetime | None = None
    total: int | None = None

    def encode(self) -> str:
        since = self.since.isoformat() if self.since else ""
        total = "" if self.total is None else str(self.total)
        ids = ",".join(sorted(self.seen))
        return f"{self.after.isoformat()}|{self.page}|{since}|{total}|{ids}"

    @classmethod
    def decode(cls, token: str) -> Continuation:
        try:
            after, page, since, total, ids = token.split("|")
            return cls(
                after=datetime.fromisoformat(after),
                page=int(page),
                seen=frozenset(i for i in ids.split(",") if i),
                since=datetime.fromisoformat(since) if since else None,
                total=int(total) if total else None,
            )
        except ValueError:
            raise ValueError(f"'{token}' is not a WooCommerce page token") from None

    def drop_seen(self, raw: Any) -> bool:
        """Whether this raw order was already returned by the previous page."""
        if not self.seen or not isinstance(raw, dict) or str(raw.get("id")) not in self.seen:
            return False
        try:
            return parse_gmt(raw.get("date_modified_gmt"), "date_modified_gmt") == self.since
        except BadOrder:
            return False

    def following(self, body: list[Any], total: int | None) -> Continuation:
        """The continuation after a full page ``body`` answered to this one."""
        stamps: list[tuple[str, datetime]] = []
        for raw in body:
            try:
                stamp = parse_gmt(raw.get("date_modified_gmt"), "date_modified_gmt")
            except (BadOrder, AttributeError):
                continue
            stamps.append((str(raw.get("id")), stamp))
        total = self.total if self.total is not None else total
        if not stamps:
            return replace(self, page=self.page + 1, total=total)
        last = max(s for _, s in stamps)
        if self.since == last:
            # The whole page is one second: keyset cannot move, so page within that second.
            return replace(self, page=self.page + 1, total=total)
        seen = frozenset(i for i, s in stamps if s == last)
        return Continuation(
            after=last - timedelta(seconds=1), page=1, seen=seen, since=last, total=total
        )
