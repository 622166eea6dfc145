"""Magento 2 order JSON (``GET /V1/orders``) normalised into RemoteOrder at the connector edge,
and the keyset continuation that pages through a download.

Magento writes ``created_at``/``updated_at`` as "YYYY-MM-DD HH:MM:SS" without an offset; they are
always UTC (magento/magento2#24985). Money is a JSON number, parsed as Decimal (never float).
``entity_id`` is the id in REST URLs, ``increment_id`` the number the customer sees. A
configurable or bundle product is one parent row plus child rows (``parent_item_id`` set) that
repeat the quantity, so only parent rows become line items.

Invoiced and paid (documented in docs/carts/magento2.md): an order is *invoiced* when it has at
least one invoice (``total_invoiced`` > 0, or an item with ``qty_invoiced`` > 0 for orders whose
total is zero); it is *paid* when Magento recorded a payment (``total_paid`` > 0), or when it is
invoiced and there was nothing to pay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ordermanager.carts.fields import BadOrder, amount
from ordermanager.carts.protocol import Address, RemoteLineItem, RemoteOrder, SkippedOrder

MAGENTO_TIME = "%Y-%m-%d %H:%M:%S"


def format_time(moment: datetime) -> str:
    """An aware datetime as Magento compares ``updated_at``: UTC, whole seconds, no offset."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime(MAGENTO_TIME)


def parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise BadOrder(f"it has no {field}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadOrder(f"its {field} '{value}' is not a date") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def money(value: Any, field: str, *, required: bool = False) -> Decimal:
    """Magento leaves many totals out when they are zero: optional unless said otherwise."""
    return amount(value, field, required=required)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _whole(value: Any, what: str) -> int:
    """Magento quantities are decimals ("2.0000" or 2); an order line must be a whole number."""
    try:
        amount = money(value, what, required=True)
    except BadOrder:
        raise BadOrder(f"its {what} has no quantity") from None
    if amount != amount.to_integral_value():
        raise BadOrder(f"its {what} has a fractional quantity {amount}")
    return int(amount)


def _id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    return ""


def address(raw: Any) -> Address:
    if not isinstance(raw, dict):
        return Address()
    name = " ".join(p for p in (_text(raw.get("firstname")), _text(raw.get("lastname"))) if p)
    street = raw.get("street")
    lines = [_text(s) for s in street] if isinstance(street, list) else [_text(street)]
    lines = [s for s in lines if s]
    return Address(
        name=name,
        company=_text(raw.get("company")),
        street1=lines[0] if lines else "",
        street2=", ".join(lines[1:]),
        city=_text(raw.get("city")),
        region=_text(raw.get("region")) or _text(raw.get("region_code")),
        postcode=_text(raw.get("postcode")),
        country=_text(raw.get("country_id")).upper(),
        phone=_text(raw.get("telephone")),
        email=_text(raw.get("email")),
    )


def shipping_address(raw: dict[str, Any]) -> Address:
    """The first shipping assignment's address; virtual orders have none."""
    extension = raw.get("extension_attributes")
    assignments = extension.get("shipping_assignments") if isinstance(extension, dict) else None
    if isinstance(assignments, list) and assignments and isinstance(assignments[0], dict):
        shipping = assignments[0].get("shipping")
        if isinstance(shipping, dict):
            return address(shipping.get("address"))
    return Address()


def line_items(raw: Any) -> tuple[RemoteLineItem, ...]:
    if not isinstance(raw, list):
        raise BadOrder("it has no items list")
    items: list[RemoteLineItem] = []
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise BadOrder(f"its item {position} is not an object")
        if item.get("parent_item_id") not in (None, "", 0):
            continue  # the child row of a configurable/bundle: its parent carries the quantity
        item_id = _id(item.get("item_id"))
        if not item_id:
            raise BadOrder(f"its item {position} has no item_id")
        items.append(
            RemoteLineItem(
                remote_id=item_id,
                sku=_text(item.get("sku")),
                name=_text(item.get("name")),
                quantity=_whole(item.get("qty_ordered"), f"item {position}"),
                unit_price=money(item.get("price"), f"item {position} price", required=True),
            )
        )
    return tuple(items)


def invoiced_and_paid(raw: dict[str, Any]) -> tuple[bool, bool]:
    total = money(raw.get("grand_total"), "grand_total", required=True)
    invoiced = money(raw.get("total_invoiced"), "total_invoiced") > 0
    if not invoiced:
        items = raw.get("items")
        invoiced = any(
            isinstance(i, dict) and money(i.get("qty_invoiced"), "qty_invoiced") > 0
            for i in (items if isinstance(items, list) else [])
        )
    paid = money(raw.get("total_paid"), "total_paid") > 0 or (invoiced and total == 0)
    return invoiced, paid


def normalise(raw: Any) -> RemoteOrder | SkippedOrder:
    """One order of a page: a RemoteOrder, or a SkippedOrder saying why it cannot be imported."""
    if not isinstance(raw, dict):
        return SkippedOrder("", "", "Magento sent an entry that is not an order object")
    remote_id = _id(raw.get("entity_id"))
    number = _text(raw.get("increment_id")) or remote_id
    modified: datetime | None = None
    try:
        if not remote_id:
            raise BadOrder("it has no entity_id")
        placed = parse_time(raw.get("created_at"), "created_at")
        modified = (
            parse_time(raw.get("updated_at"), "updated_at") if raw.get("updated_at") else placed
        )
        items = line_items(raw.get("items"))
        billing = address(raw.get("billing_address"))
        invoiced, paid = invoiced_and_paid(raw)
        first, last = _text(raw.get("customer_firstname")), _text(raw.get("customer_lastname"))
        customer = " ".join(p for p in (first, last) if p) or billing.name
        return RemoteOrder(
            remote_id=remote_id,
            number=number,
            placed_at=placed,
            modified_at=modified,
            customer_name=customer,
            customer_email=_text(raw.get("customer_email")) or billing.email,
            billing=billing,
            shipping=shipping_address(raw),
            currency=_text(raw.get("order_currency_code")).upper(),
            subtotal=money(raw.get("subtotal"), "subtotal"),
            shipping_total=money(raw.get("shipping_amount"), "shipping_amount"),
            tax_total=money(raw.get("tax_amount"), "tax_amount"),
            # Magento keeps discounts negative; Order Manager shows the amount taken off.
            discount_total=abs(money(raw.get("discount_amount"), "discount_amount")),
            total=money(raw.get("grand_total"), "grand_total", required=True),
            paid=paid,
            invoiced=invoiced,
            cart_status=_text(raw.get("status")),
            items=items,
        )
    except BadOrder as exc:
        label = f"order {number}" if number else "an order"
        return SkippedOrder(
            remote_id=remote_id,
            number=number,
            reason=f"Magento {label} skipped: {exc}",
            modified_at=modified,
        )


@dataclass(frozen=True)
class Continuation:
    """Where the next page starts: keyset paging on (updated_at, entity_id).

    ``currentPage`` past the end makes Magento answer the last page again (magento/magento2#3787),
    and numbered pages over a moving ``updated_at`` drift (an order changed mid-download jumps to
    the end and the one crossing a page boundary is never seen). So every request asks for page 1
    of "changed after the last row seen": ``updated_at > T OR entity_id > N`` in one filter group
    (Magento ORs filters within a group) AND ``updated_at >= T`` in another, sorted by both
    columns. ``total`` is the first page's total_count, kept so progress has one denominator.
    """

    after: str  # the last row's updated_at, Magento format
    last_id: int
    total: int | None = None

    def encode(self) -> str:
        total = "" if self.total is None else str(self.total)
        return f"m2|{self.after}|{self.last_id}|{total}"

    @classmethod
    def decode(cls, token: str) -> Continuation:
        try:
            tag, after, last_id, total = token.split("|")
            if tag != "m2":
                raise ValueError(token)
            datetime.strptime(after, MAGENTO_TIME)
            return cls(after, int(last_id), int(total) if total else None)
        except ValueError:
            raise ValueError(f"'{token}' is not a Magento page token") from None

    @staticmethod
    def after_page(body: list[Any], total: int | None) -> Continuation | None:
        """The continuation after ``body`` (sorted as asked), or None when no row is usable."""
        for raw in reversed(body):
            if not isinstance(raw, dict):
                continue
            last_id = _id(raw.get("entity_id"))
            stamp = raw.get("updated_at")
            try:
                moment = parse_time(stamp, "updated_at")
            except BadOrder:
                continue
            if last_id:
                return Continuation(format_time(moment), int(last_id), total)
        return None


def search_params(
    since: datetime | None, where: Continuation | None, page_size: int
) -> dict[str, str]:
    """The ``searchCriteria`` query for one page (first page: changed after ``since``)."""
    base = "searchCriteria"
    params: dict[str, str] = {}

    def add(group: int, index: int, field: str, value: str, condition: str) -> None:
        prefix = f"{base}[filter_groups][{group}][filters][{index}]"
        params[f"{prefix}[field]"] = field
        params[f"{prefix}[value]"] = value
        params[f"{prefix}[condition_type]"] = condition

    if where is None:
        add(0, 0, "updated_at", format_time(since or datetime(1970, 1, 1, tzinfo=UTC)), "gt")
    else:
        add(0, 0, "updated_at", where.after, "gt")
        add(0, 1, "entity_id", str(where.last_id), "gt")
        add(1, 0, "updated_at", where.after, "gteq")
    params[f"{base}[sortOrders][0][field]"] = "updated_at"
    params[f"{base}[sortOrders][0][direction]"] = "ASC"
    params[f"{base}[sortOrders][1][field]"] = "entity_id"
    params[f"{base}[sortOrders][1][direction]"] = "ASC"
    params[f"{base}[pageSize]"] = str(page_size)
    params[f"{base}[currentPage]"] = "1"
    return params
