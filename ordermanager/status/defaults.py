""" "Load Default Status Events": a sensible label list and an assignment for every event.

Loading adds the default labels that are missing and sets each event to its default. It would
overwrite a store's own choices, so ``would_overwrite`` says first whether any event differs from
both "never set" and the default, and ``load_defaults`` refuses such a load unless forced.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ordermanager.errors import InvalidInputError
from ordermanager.status.events import CATALOGUE, Assignment, Event, list_assignments
from ordermanager.status.events import set_assignment as _set
from ordermanager.status.labels import ensure_label


@dataclass(frozen=True)
class Default:
    item_label: str | None = None
    order_label: str | None = None
    notify_cart: bool = False


DEFAULT_LABELS: tuple[str, ...] = (
    "Order Received",
    "Payment Received",
    "Approved",
    "On Hold",
    "Ship Date Set",
    "Tracking Entered",
    "Tracking Imported",
    "Item Shipped",
    "Order Shipped",
    "Partially Shipped",
    "Backordered",
    "Item Cancelled",
    "Order Cancelled",
    "Item Returned",
    "Received Back",
    "Order Returned",
    "Item Added",
    "Drop Shipped",
    "Refunded",
    "Partially Refunded",
    "Payment Declined",
    "Completed",
    "Invoiced",
    "Exported",
)

DEFAULT_EVENTS: dict[Event, Default] = {
    Event.ORDER_RECEIVED: Default("Order Received", "Order Received"),
    Event.PAYMENT_RECEIVED: Default(order_label="Payment Received"),
    Event.ORDER_APPROVED: Default(order_label="Approved"),
    Event.ORDER_ON_HOLD: Default(order_label="On Hold"),
    Event.ORDER_RELEASED_FROM_HOLD: Default(order_label="Approved"),
    Event.SHIP_DATE_ENTERED: Default(order_label="Ship Date Set"),
    Event.TRACKING_NUMBER_ENTERED: Default(order_label="Tracking Entered", notify_cart=True),
    Event.TRACKING_NUMBER_IMPORTED: Default(order_label="Tracking Imported", notify_cart=True),
    Event.ITEM_SHIPPED: Default(item_label="Item Shipped"),
    Event.ORDER_SHIPPED: Default(order_label="Order Shipped", notify_cart=True),
    Event.ORDER_PARTIALLY_SHIPPED: Default(order_label="Partially Shipped", notify_cart=True),
    Event.ITEM_BACKORDERED: Default("Backordered", "Backordered", notify_cart=True),
    Event.BACKORDER_FILLED: Default("Order Received"),
    Event.ITEM_CANCEL: Default(item_label="Item Cancelled", notify_cart=True),
    Event.ORDER_CANCEL: Default(order_label="Order Cancelled", notify_cart=True),
    Event.ITEM_RETURNED: Default(item_label="Item Returned", notify_cart=True),
    Event.ITEM_RECEIVED_BACK: Default(item_label="Received Back"),
    Event.ORDER_RETURNED: Default(order_label="Order Returned", notify_cart=True),
    Event.ITEM_ADD: Default(item_label="Item Added"),
    Event.DROP_SHIP_ORDERED: Default(item_label="Drop Shipped"),
    Event.DROP_SHIP_CANCELED: Default(item_label="Order Received"),
    Event.REFUND_ISSUED: Default(order_label="Refunded", notify_cart=True),
    Event.PARTIAL_REFUND_ISSUED: Default(order_label="Partially Refunded", notify_cart=True),
    Event.PAYMENT_DECLINED: Default(order_label="Payment Declined"),
    Event.ORDER_COMPLETED: Default(order_label="Completed", notify_cart=True),
    Event.ORDER_INVOICED: Default(order_label="Invoiced"),
    Event.ORDER_EXPORTED: Default(order_label="Exported"),
    Event.LABEL_SET_BY_HAND: Default(notify_cart=True),
}


def _default_for(key: Event) -> Default:
    return DEFAULT_EVENTS.get(key, Default())


def _is_default_or_unset(assignment: Assignment) -> bool:
    current = (assignment.item_label, assignment.order_label, assignment.notify_cart)
    unset = (None, None, False)
    wanted = _default_for(assignment.event.key)
    return assignment.enabled and current in (
        unset,
        (wanted.item_label, wanted.order_label, wanted.notify_cart),
    )


def changed_events(session: Session) -> list[str]:
    """Display names of the events whose settings loading the defaults would overwrite."""
    return [a.event.name for a in list_assignments(session) if not _is_default_or_unset(a)]


def would_overwrite(session: Session) -> bool:
    return bool(changed_events(session))


def load_defaults(session: Session, *, force: bool = False) -> int:
    """Add the default labels and set every event to its default; returns the events set.

    Refused (InvalidInputError naming the events) when it would overwrite changes, unless forced.
    """
    changed = changed_events(session)
    if changed and not force:
        shown = ", ".join(changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        )
        raise InvalidInputError(
            f"Loading the default status events would overwrite your changes to {shown}. "
            "Load them anyway with --force."
        )
    for name in DEFAULT_LABELS:
        ensure_label(session, name)
    for key in CATALOGUE:
        wanted = _default_for(key)
        for label_name in (wanted.item_label, wanted.order_label):
            if label_name:
                ensure_label(session, label_name)
        _set(
            session,
            key,
            item_label=wanted.item_label,
            order_label=wanted.order_label,
            notify_cart=wanted.notify_cart,
            enabled=True,
        )
    return len(CATALOGUE)
