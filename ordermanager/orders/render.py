"""Orders as plain text for the terminal (``orders list`` and ``orders show`` without --json)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from typing import TextIO

from ordermanager.orders.detail import OrderDetail
from ordermanager.orders.query import OrderRow


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _width(text: str) -> int:
    """Columns a string takes in a terminal: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fit(text: str, width: int) -> str:
    if _width(text) > width:
        while text and _width(text) > width - 1:
            text = text[:-1]
        text += "…"
    return text + " " * (width - _width(text))


_COLUMNS: list[tuple[str, int]] = [
    ("Number", 12),
    ("Placed", 16),
    ("Customer", 24),
    ("Cart", 16),
    ("Items", 5),
    ("Total", 14),
    ("Status", 18),
    ("Payment", 18),
    ("Shipping", 17),
]


def print_order_table(rows: Sequence[OrderRow], out: TextIO) -> None:
    out.write("  ".join(_fit(title, width) for title, width in _COLUMNS).rstrip() + "\n")
    for row in rows:
        cells = [
            row.number,
            row.placed_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            row.customer_name,
            row.cart_name,
            str(row.item_count).rjust(5),
            money(row.total, row.currency).rjust(14),
            row.label or "-",
            row.payment_title,
            row.shipping_title,
        ]
        line = "  ".join(_fit(c, w) for c, (_, w) in zip(cells, _COLUMNS, strict=True))
        out.write(line.rstrip() + "\n")


def print_order_detail(detail: OrderDetail, out: TextIO) -> None:
    w = out.write
    w(f"Order {detail.number}  ({detail.cart_name}, remote id {detail.remote_id})\n")
    w(f"Placed        {detail.placed_at.astimezone():%Y-%m-%d %H:%M %Z}\n")
    w(f"Status label  {detail.label or '-'}\n")
    w(f"Payment       {detail.payment_title}\n")
    w(f"Shipping      {detail.shipping_title}")
    w(f"  (ship date {detail.ship_date.isoformat()})\n" if detail.ship_date else "\n")
    w(f"Customer      {detail.customer_name}  <{detail.customer_email}>")
    w(f"  {detail.customer_phone}\n" if detail.customer_phone else "\n")
    w("\nBilling address\n")
    for line in detail.billing.lines():
        w(f"  {line}\n")
    w(f"\nShipping address ({detail.shipping_method or 'no method given'})\n")
    for line in detail.shipping.lines():
        w(f"  {line}\n")
    w("\nItems\n")
    for item in detail.items:
        shipped = f", {item.shipped_quantity} shipped" if item.shipped_quantity else ""
        w(
            f"  {item.quantity:>3} × {_fit(item.sku or '-', 14)} {_fit(item.name, 34)} "
            f"{money(item.line_total, detail.currency):>14}  [{item.label or '-'}{shipped}]\n"
        )
    c = detail.currency
    w(f"\n  {'Subtotal':<20}{money(detail.subtotal, c):>16}\n")
    w(f"  {'Shipping':<20}{money(detail.shipping_total, c):>16}\n")
    w(f"  {'Tax':<20}{money(detail.tax_total, c):>16}\n")
    if detail.discount_total:
        w(f"  {'Discount':<20}{money(-detail.discount_total, c):>16}\n")
    w(f"  {'Total':<20}{money(detail.total, c):>16}\n")
    if detail.payments:
        w("\nPayments\n")
        for p in detail.payments:
            amount = -p.amount if p.kind == "refund" else p.amount
            w(f"  {p.paid_at.astimezone():%Y-%m-%d %H:%M}  {p.kind:<8} {money(amount, c):>14}")
            w(f"  {p.method} {p.reference}".rstrip() + "\n")
    if detail.shipments:
        w("\nShipments\n")
        for s in detail.shipments:
            tracking = ", ".join(s.tracking_numbers) or "no tracking number"
            w(f"  {s.shipped_at.astimezone():%Y-%m-%d}  {s.carrier} {s.service}: {tracking}\n")
            for title, qty in s.items:
                w(f"      {qty} × {title}\n")
    if detail.history:
        w("\nLabel history\n")
        for h in detail.history:
            what = f"item {h.item}" if h.item else "order"
            w(
                f"  {h.changed_at.astimezone():%Y-%m-%d %H:%M}  {what}: {h.from_label or '-'} → "
                f"{h.to_label or '-'}  ({h.reason or 'no reason recorded'})\n"
            )
