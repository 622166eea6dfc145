"""Which WooCommerce calls one status update becomes, given its mapped action.

WooCommerce core has no tracking field and no shipment object, so SHIP is the order moved to
``completed`` (or the mapping's own status) plus an order note with the carrier and tracking
numbers, sent to the customer when the mapping says so (``customer_note: true`` e-mails it). A
partial shipment keeps the order open and only adds the note. CANCEL is the ``cancelled``
status, SET_STATUS any of WooCommerce's statuses, COMMENT an order note (private unless the
mapping notifies the customer).
"""

from __future__ import annotations

from dataclasses import dataclass

from ordermanager.carts.status_map import ActionKind, CartAction, CartStatus
from ordermanager.carts.updates import UpdateView, tracking_text

SHIPPED_STATUS = "completed"
CANCELLED_STATUS = "cancelled"

STATUSES: tuple[CartStatus, ...] = (
    CartStatus("pending", "Pending payment"),
    CartStatus("processing", "Processing"),
    CartStatus("on-hold", "On hold"),
    CartStatus("completed", "Completed"),
    CartStatus("cancelled", "Cancelled"),
    CartStatus("refunded", "Refunded"),
    CartStatus("failed", "Failed"),
)

SUPPORTED: frozenset[ActionKind] = frozenset(ActionKind)

_SHIP = CartAction(ActionKind.SHIP, notify_customer=True)
_NOTE_TO_CUSTOMER = CartAction(ActionKind.COMMENT, notify_customer=True)
_PRIVATE_NOTE = CartAction(ActionKind.COMMENT)

DEFAULT_MAP: dict[str, CartAction] = {
    "Order Shipped": _SHIP,
    "Partially Shipped": _SHIP,
    "Order Cancelled": CartAction(ActionKind.CANCEL),
    "Completed": CartAction(ActionKind.SET_STATUS, "completed"),
    "On Hold": CartAction(ActionKind.SET_STATUS, "on-hold"),
    "Refunded": CartAction(ActionKind.SET_STATUS, "refunded"),
    "Tracking Entered": _NOTE_TO_CUSTOMER,
    "Tracking Imported": _NOTE_TO_CUSTOMER,
    "Backordered": _NOTE_TO_CUSTOMER,
    "Item Cancelled": _PRIVATE_NOTE,
    "Item Returned": _PRIVATE_NOTE,
    "Order Returned": _PRIVATE_NOTE,
    "Partially Refunded": _PRIVATE_NOTE,
}


@dataclass(frozen=True)
class Note:
    text: str
    customer_note: bool


@dataclass(frozen=True)
class StatusPlan:
    """The requests for one record, in order: a status change (PUT) and/or an order note."""

    status: str | None
    note: Note | None


def plan_for(view: UpdateView, action: CartAction) -> StatusPlan:
    if action.kind is ActionKind.SHIP:
        tracking = tracking_text(view.carrier, view.tracking_numbers)
        if view.shipment_complete:
            text = "Order shipped" + (f". {tracking}" if tracking else "")
            status = action.cart_status or SHIPPED_STATUS
            return StatusPlan(status, Note(text, action.notify_customer) if tracking else None)
        # Partial shipments stay open in WooCommerce; the customer still gets the tracking.
        text = "Part of your order shipped" + (f". {tracking}" if tracking else "")
        return StatusPlan(None, Note(text, action.notify_customer))
    if action.kind is ActionKind.CANCEL:
        return StatusPlan(action.cart_status or CANCELLED_STATUS, None)
    if action.kind is ActionKind.SET_STATUS:
        return StatusPlan(action.cart_status, None)
    return StatusPlan(None, Note(view.comment(), action.notify_customer))
