"""Reading the generic protocol's order JSON (docs/generic-cart-protocol.md, "Order download")
into RemoteOrder values. Anything missing or wrong becomes a SkippedOrder with the reason, so one
bad order never stops the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ordermanager.carts.protocol import Address, RemoteLineItem, RemoteOrder, SkippedOrder


class BadOrder(ValueError):
    """One field of one order is missing or unreadable; the message names it."""


def parse_order(data: Any) -> RemoteOrder | SkippedOrder:
    if not isinstance(data, Mapping):
        return SkippedOrder("", "", "an order is not a JSON object")
    remote_id = _text_or_empty(data.get("id"))
    number = _text_or_empty(data.get("number")) or remote_id
    modified_at = _optional_datetime(data.get("modified_at"))
    try:
        return _order(data)
    except BadOrder as exc:
        return SkippedOrder(remote_id, number, str(exc), modified_at)


def _order(data: Mapping[str, Any]) -> RemoteOrder:
    remote_id = _required_text(data, "id", 64)
    paid = _bool(data, "paid")
    invoiced = _bool(data, "invoiced") if "invoiced" in data else paid
    customer = _object(data, "customer")
    totals = _object(data, "totals")
    items = data.get("items")
    if not isinstance(items, list):
        raise BadOrder("'items' is missing or not a list")
    return RemoteOrder(
        remote_id=remote_id,
        number=_required_text(data, "number", 64),
        placed_at=_datetime(data, "placed_at"),
        modified_at=_datetime(data, "modified_at"),
        customer_name=_text(customer, "name", 200, "customer."),
        customer_email=_text(customer, "email", 254, "customer."),
        billing=_address(data, "billing"),
        shipping=_address(data, "shipping"),
        currency=_currency(data),
        subtotal=_money(totals, "subtotal"),
        shipping_total=_money(totals, "shipping"),
        tax_total=_money(totals, "tax"),
        discount_total=_money(totals, "discount"),
        total=_money(totals, "total"),
        paid=paid,
        invoiced=invoiced,
        cart_status=_text(data, "status", 100),
        items=tuple(_item(item, index) for index, item in enumerate(items, start=1)),
    )


def _item(data: Any, index: int) -> RemoteLineItem:
    where = f"items[{index}]."
    if not isinstance(data, Mapping):
        raise BadOrder(f"item {index} is not a JSON object")
    quantity = data.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise BadOrder(f"'{where}quantity' must be a whole number of 0 or more")
    return RemoteLineItem(
        remote_id=_required_text(data, "id", 64, where),
        sku=_text(data, "sku", 100, where),
        name=_text(data, "name", 10_000, where),
        quantity=quantity,
        unit_price=_money(data, "unit_price", where),
    )


def _address(data: Mapping[str, Any], key: str) -> Address:
    raw = data.get(key) or {}
    if not isinstance(raw, Mapping):
        raise BadOrder(f"'{key}' is not a JSON object")
    where = f"{key}."
    country = _text(raw, "country", 2, where).upper()
    if country and not (len(country) == 2 and country.isalpha()):
        raise BadOrder(f"'{where}country' must be a two-letter ISO country code")
    return Address(
        name=_text(raw, "name", 200, where),
        company=_text(raw, "company", 200, where),
        street1=_text(raw, "street1", 2000, where),
        street2=_text(raw, "street2", 2000, where),
        city=_text(raw, "city", 100, where),
        region=_text(raw, "region", 100, where),
        postcode=_text(raw, "postcode", 20, where),
        country=country,
        phone=_text(raw, "phone", 50, where),
        email=_text(raw, "email", 254, where),
    )


def _currency(data: Mapping[str, Any]) -> str:
    value = data.get("currency")
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise BadOrder("'currency' must be a three-letter ISO currency code")
    return value.upper()


def _object(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise BadOrder(f"'{key}' is missing or not a JSON object")
    return value


def _bool(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise BadOrder(f"'{key}' must be true or false")
    return value


def _money(data: Mapping[str, Any], key: str, where: str = "totals.") -> Decimal:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise BadOrder(f"'{where}{key}' is missing or not an amount")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise BadOrder(f"'{where}{key}' is not an amount: {str(value)[:40]!r}") from None
    if not amount.is_finite() or abs(amount) >= Decimal(10) ** 14:
        raise BadOrder(f"'{where}{key}' is not a usable amount")
    return amount


def _datetime(data: Mapping[str, Any], key: str) -> datetime:
    value = data.get(key)
    parsed = _optional_datetime(value)
    if parsed is None:
        raise BadOrder(f"'{key}' must be an ISO 8601 time with a UTC offset, not {value!r}"[:200])
    return parsed


def _optional_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    # A time without an offset is refused: guessing the cart's zone puts orders on the wrong day.
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    return parsed.astimezone(UTC)


def _required_text(data: Mapping[str, Any], key: str, limit: int, where: str = "") -> str:
    value = _text(data, key, limit, where)
    if not value:
        raise BadOrder(f"'{where}{key}' is missing")
    return value


def _text(data: Mapping[str, Any], key: str, limit: int, where: str = "") -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadOrder(f"'{where}{key}' is not text")
    text = str(value).strip()
    if len(text) > limit:
        raise BadOrder(f"'{where}{key}' is longer than {limit} characters")
    return text


def _text_or_empty(value: Any) -> str:
    return str(value).strip()[:64] if isinstance(value, str | int) and value is not True else ""
