"""One stack record as a connector reads it: the order, the label, tracking and shipment lines.

Every connector parses the record's payload the same way, here, so a payload change touches one
place. ``shipment_lines`` lists what this shipment shipped; an empty list means "everything not
shipped yet". ``shipment_complete`` says whether the order has nothing left to ship afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ordermanager.stack.queue import ClaimedRecord


@dataclass(frozen=True)
class ShipmentLine:
    remote_id: str  # the cart's line item id ('' for an item entered by hand)
    sku: str
    quantity: int


@dataclass(frozen=True)
class ItemChange:
    remote_id: str
    sku: str
    label: str | None


@dataclass(frozen=True)
class UpdateView:
    order_remote_id: str
    order_number: str
    event: str  # the status event key ('order_shipped', ...)
    event_name: str  # its display name ('Order Shipped')
    order_label: str | None  # the order's label after the event
    order_label_changed: bool
    items: tuple[ItemChange, ...]  # the item labels this event changed
    carrier: str
    tracking_numbers: tuple[str, ...]
    shipment_lines: tuple[ShipmentLine, ...]
    # False while items are still to ship after this shipment (a partial shipment).
    shipment_complete: bool
    idempotency_key: str

    @property
    def label(self) -> str:
        """The label the status mapping is looked up by: the order label when this event changed
        it, else the first changed item label, else the order's current label."""
        if self.order_label_changed and self.order_label:
            return self.order_label
        for item in self.items:
            if item.label:
                return item.label
        return self.order_label or ""

    def comment(self) -> str:
        """Text for an order note/comment: the label, and the tracking when there is some."""
        text = f"Status: {self.label or self.event_name}"
        tracking = tracking_text(self.carrier, self.tracking_numbers)
        return f"{text}. {tracking}" if tracking else text


def tracking_text(carrier: str, numbers: tuple[str, ...] | list[str]) -> str:
    if not numbers:
        return ""
    word = "Tracking number" if len(numbers) == 1 else "Tracking numbers"
    via = f" ({carrier})" if carrier else ""
    return f"{word}{via}: {', '.join(numbers)}"


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _quantity(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def view_of(record: ClaimedRecord) -> UpdateView:
    payload: dict[str, Any] = record.payload if isinstance(record.payload, dict) else {}
    tracking = payload.get("tracking")
    tracking = tracking if isinstance(tracking, dict) else {}
    numbers = tracking.get("numbers")
    items = payload.get("items")
    lines = payload.get("shipment_lines")
    return UpdateView(
        order_remote_id=record.order_remote_id.strip(),
        order_number=record.order_number,
        event=record.event,
        event_name=_text(payload.get("event_name")) or record.event,
        order_label=record.order_label,
        order_label_changed=bool(payload.get("order_label_changed", record.order_label)),
        items=tuple(
            ItemChange(
                _text(str(i.get("remote_id") or "")),
                _text(i.get("sku")),
                i.get("label") if isinstance(i.get("label"), str) else None,
            )
            for i in (items if isinstance(items, list) else [])
            if isinstance(i, dict)
        ),
        carrier=_text(tracking.get("carrier")),
        tracking_numbers=tuple(
            n.strip() for n in (numbers if isinstance(numbers, list) else []) if _text(n)
        ),
        shipment_lines=tuple(
            ShipmentLine(_text(str(line.get("remote_id") or "")), _text(line.get("sku")), qty)
            for line in (lines if isinstance(lines, list) else [])
            if isinstance(line, dict) and (qty := _quantity(line.get("quantity")))
        ),
        shipment_complete=bool(payload.get("shipment_complete", True)),
        idempotency_key=record.idempotency_key,
    )
