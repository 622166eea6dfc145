"""Which WooCommerce calls one status update becomes (the WooCommerce row of the status mapping).

WooCommerce core has no tracking field and no shipment object, so a shipment is the order moved
to ``completed`` plus an order note with the carrier and tracking numbers, sent to the customer
(``customer_note: true`` emails it). A cancel is the ``cancelled`` status. Any other label is
kept as a private order note, so the merchant sees it in the order's history without the
customer being emailed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ordermanager.status.events import Event

if TYPE_CHECKING:
    from ordermanager.stack.queue import ClaimedRecord

SHIPPED_STATUS = "completed"
CANCELLED_STATUS = "cancelled"

# Labels that mean the same as the events, for updates fired by a hand-set label.
_SHIP_LABELS = frozenset({"order shipped", "shipped"})
_CANCEL_LABELS = frozenset({"order cancelled", "order canceled", "cancelled", "canceled"})


@dataclass(frozen=True)
class Note:
    text: str
    customer_note: bool


@dataclass(frozen=True)
class StatusPlan:
    """The requests for one record, in order: a status change (PUT) and/or an order note."""

    status: str | None
    note: Note | None


def tracking_of(record: ClaimedRecord) -> tuple[str, list[str]]:
    raw: Any = record.payload.get("tracking") if isinstance(record.payload, dict) else None
    if not isinstance(raw, dict):
        return "", []
    carrier = raw.get("carrier")
    numbers = raw.get("numbers")
    return (
        carrier.strip() if isinstance(carrier, str) else "",
        [n.strip() for n in numbers if isinstance(n, str) and n.strip()]
        if isinstance(numbers, list)
        else [],
    )


def tracking_note(prefix: str, carrier: str, numbers: list[str]) -> str | None:
    if not numbers:
        return None
    word = "Tracking number" if len(numbers) == 1 else "Tracking numbers"
    via = f" via {carrier}" if carrier else ""
    return f"{prefix}{via}. {word}: {', '.join(numbers)}"


def label_of(record: ClaimedRecord) -> str:
    """The label to show: the order label, else the event's display name, else its key."""
    if record.order_label:
        return record.order_label
    name = record.payload.get("event_name") if isinstance(record.payload, dict) else None
    return name if isinstance(name, str) and name else record.event


def plan_for(record: ClaimedRecord) -> StatusPlan:
    label = (record.order_label or "").strip().lower()
    carrier, numbers = tracking_of(record)
    if record.event == Event.ORDER_SHIPPED.value or label in _SHIP_LABELS:
        text = tracking_note("Order shipped", carrier, numbers)
        return StatusPlan(SHIPPED_STATUS, Note(text, customer_note=True) if text else None)
    if record.event == Event.ORDER_CANCEL.value or label in _CANCEL_LABELS:
        return StatusPlan(CANCELLED_STATUS, None)
    if record.event == Event.ORDER_PARTIALLY_SHIPPED.value and numbers:
        # Partial shipments stay open in WooCommerce; the customer still gets the tracking.
        text = tracking_note("Part of your order shipped", carrier, numbers)
        return StatusPlan(None, Note(text or "", customer_note=True))
    return StatusPlan(None, Note(f"Status: {label_of(record)}", customer_note=False))
