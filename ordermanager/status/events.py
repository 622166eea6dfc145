"""The built-in status events and the store's assignment for each (labels, Notify Cart, enabled).

The catalogue is code: each event is fired by a real action in the app, so a store cannot add one.
What a store decides is stored in ``status_events``: which item label and which order label the
event applies, whether the new status goes to the cart (Notify Cart), and whether it is enabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum, StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ordermanager.db.models import StatusEvent, StatusLabel
from ordermanager.errors import InvalidInputError
from ordermanager.status.labels import label_by_name

# Where ordermanager.status.firing keeps the event settings it has read in a session.
EVENT_CACHE_KEY = "ordermanager.status.events"


class Scope(StrEnum):
    ORDER = "order"
    ITEM = "item"
    BOTH = "both"


class Event(StrEnum):
    """Event keys, as stored and as the CLI accepts them (display names are accepted too)."""

    ORDER_RECEIVED = "order_received"
    PAYMENT_RECEIVED = "payment_received"
    ORDER_APPROVED = "order_approved"
    ORDER_ON_HOLD = "order_on_hold"
    SHIP_DATE_ENTERED = "ship_date_entered"
    TRACKING_NUMBER_ENTERED = "tracking_number_entered"
    TRACKING_NUMBER_IMPORTED = "tracking_number_imported"
    ITEM_SHIPPED = "item_shipped"
    ORDER_SHIPPED = "order_shipped"
    ORDER_PARTIALLY_SHIPPED = "order_partially_shipped"
    ITEM_BACKORDERED = "item_backordered"
    ITEM_CANCEL = "item_cancel"
    ORDER_CANCEL = "order_cancel"
    ITEM_RETURNED = "item_returned"
    ORDER_RETURNED = "order_returned"
    ITEM_ADD = "item_add"
    DROP_SHIP_ORDERED = "drop_ship_ordered"
    DROP_SHIP_CANCELED = "drop_ship_canceled"
    REFUND_ISSUED = "refund_issued"
    PARTIAL_REFUND_ISSUED = "partial_refund_issued"
    LABEL_SET_BY_HAND = "label_set_by_hand"
    ORDER_RELEASED_FROM_HOLD = "order_released_from_hold"
    PAYMENT_DECLINED = "payment_declined"
    ORDER_EDITED = "order_edited"
    ADDRESS_CHANGED = "address_changed"
    ITEM_RECEIVED_BACK = "item_received_back"
    ORDER_COMPLETED = "order_completed"
    BACKORDER_FILLED = "backorder_filled"
    ORDER_INVOICED = "order_invoiced"
    ORDER_EXPORTED = "order_exported"


@dataclass(frozen=True)
class EventInfo:
    key: Event
    name: str
    scope: Scope

    @property
    def takes_order_label(self) -> bool:
        return self.scope in (Scope.ORDER, Scope.BOTH)

    @property
    def takes_item_label(self) -> bool:
        return self.scope in (Scope.ITEM, Scope.BOTH)


_O, _I, _B = Scope.ORDER, Scope.ITEM, Scope.BOTH

CATALOGUE: dict[Event, EventInfo] = {
    info.key: info
    for info in (
        EventInfo(Event.ORDER_RECEIVED, "Order Received", _B),
        EventInfo(Event.PAYMENT_RECEIVED, "Payment Received", _O),
        EventInfo(Event.ORDER_APPROVED, "Order Approved", _O),
        EventInfo(Event.ORDER_ON_HOLD, "Order On Hold", _O),
        EventInfo(Event.SHIP_DATE_ENTERED, "Ship Date Entered", _O),
        EventInfo(Event.TRACKING_NUMBER_ENTERED, "Tracking Number Entered", _O),
        EventInfo(Event.TRACKING_NUMBER_IMPORTED, "Tracking Number Imported", _O),
        EventInfo(Event.ITEM_SHIPPED, "Item Shipped", _I),
        EventInfo(Event.ORDER_SHIPPED, "Order Shipped", _O),
        EventInfo(Event.ORDER_PARTIALLY_SHIPPED, "Order Partially Shipped", _O),
        EventInfo(Event.ITEM_BACKORDERED, "Item Backordered", _B),
        EventInfo(Event.ITEM_CANCEL, "Item Cancel", _I),
        EventInfo(Event.ORDER_CANCEL, "Order Cancel", _B),
        EventInfo(Event.ITEM_RETURNED, "Item Returned", _I),
        EventInfo(Event.ORDER_RETURNED, "Order Returned", _B),
        EventInfo(Event.ITEM_ADD, "Item Add", _B),
        EventInfo(Event.DROP_SHIP_ORDERED, "Drop Ship Ordered", _B),
        EventInfo(Event.DROP_SHIP_CANCELED, "Drop Ship Canceled", _B),
        EventInfo(Event.REFUND_ISSUED, "Refund Issued", _O),
        EventInfo(Event.PARTIAL_REFUND_ISSUED, "Partial Refund Issued", _O),
        EventInfo(Event.LABEL_SET_BY_HAND, "Label Set By Hand", _B),
        EventInfo(Event.ORDER_RELEASED_FROM_HOLD, "Order Released From Hold", _O),
        EventInfo(Event.PAYMENT_DECLINED, "Payment Declined", _O),
        EventInfo(Event.ORDER_EDITED, "Order Edited", _O),
        EventInfo(Event.ADDRESS_CHANGED, "Address Changed", _O),
        EventInfo(Event.ITEM_RECEIVED_BACK, "Item Received Back", _I),
        EventInfo(Event.ORDER_COMPLETED, "Order Completed", _O),
        EventInfo(Event.BACKORDER_FILLED, "Backorder Filled", _B),
        EventInfo(Event.ORDER_INVOICED, "Order Invoiced", _O),
        EventInfo(Event.ORDER_EXPORTED, "Order Exported", _O),
    )
}


def event_info(key: str) -> EventInfo:
    """The event with this key or display name ("order_shipped", "Order Shipped")."""
    wanted = key.strip().lower().replace("-", "_").replace(" ", "_")
    for info in CATALOGUE.values():
        if info.key.value == wanted:
            return info
    raise InvalidInputError(
        f"There is no status event '{key}'. See 'ordermanager events list' for the events."
    )


@dataclass(frozen=True)
class Assignment:
    """What one event does in this store."""

    event: EventInfo
    item_label: str | None
    order_label: str | None
    notify_cart: bool
    enabled: bool
    item_label_id: int | None = None
    order_label_id: int | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "event": self.event.key.value,
            "name": self.event.name,
            "scope": self.event.scope.value,
            "item_status": self.item_label,
            "order_status": self.order_label,
            "notify_cart": self.notify_cart,
            "enabled": self.enabled,
        }


def _assignment(info: EventInfo, row: StatusEvent | None, names: dict[int, str]) -> Assignment:
    if row is None:
        return Assignment(info, None, None, notify_cart=False, enabled=True)
    return Assignment(
        info,
        names.get(row.item_label_id) if row.item_label_id else None,
        names.get(row.order_label_id) if row.order_label_id else None,
        notify_cart=row.notify_cart,
        enabled=row.enabled,
        item_label_id=row.item_label_id,
        order_label_id=row.order_label_id,
    )


def get_assignment(session: Session, key: str | Event) -> Assignment:
    info = event_info(str(key))
    row = session.get(StatusEvent, info.key.value)
    names: dict[int, str] = {}
    if row is not None:
        ids = [i for i in (row.item_label_id, row.order_label_id) if i is not None]
        if ids:
            rows = session.execute(
                select(StatusLabel.id, StatusLabel.name).where(StatusLabel.id.in_(ids))
            )
            names = {label_id: name for label_id, name in rows}
    return _assignment(info, row, names)


def list_assignments(session: Session) -> list[Assignment]:
    """Every built-in event in catalogue order, with this store's settings."""
    rows = {row.key: row for row in session.execute(select(StatusEvent)).scalars()}
    names = {i: n for i, n in session.execute(select(StatusLabel.id, StatusLabel.name))}
    return [_assignment(info, rows.get(info.key.value), names) for info in CATALOGUE.values()]


class _Keep(Enum):
    """Marks an argument left out, as distinct from None ("clear it")."""

    KEEP = 0


_UNCHANGED = _Keep.KEEP


def set_assignment(
    session: Session,
    key: str | Event,
    *,
    item_label: str | _Keep | None = _UNCHANGED,
    order_label: str | _Keep | None = _UNCHANGED,
    notify_cart: bool | None = None,
    enabled: bool | None = None,
) -> Assignment:
    """Change what an event does. A label given as None or "" clears it; omitted ones stay."""
    info = event_info(str(key))
    # Firing reads settings once per session (ordermanager.status.firing); they change now.
    session.info.pop(EVENT_CACHE_KEY, None)
    row = session.get(StatusEvent, info.key.value)
    if row is None:
        row = StatusEvent(
            key=info.key.value,
            notify_cart=False,
            enabled=True,
            updated_at=datetime.now(UTC),
        )
        session.add(row)
    for wanted, attribute, allowed, what in (
        (item_label, "item_label_id", info.takes_item_label, "an item"),
        (order_label, "order_label_id", info.takes_order_label, "an order"),
    ):
        if wanted is _UNCHANGED:
            continue
        if wanted is None or not wanted.strip():
            setattr(row, attribute, None)
            continue
        if not allowed:
            raise InvalidInputError(f"The event '{info.name}' does not set {what} status.")
        setattr(row, attribute, label_by_name(session, wanted).id)
    if notify_cart is not None:
        row.notify_cart = notify_cart
    if enabled is not None:
        row.enabled = enabled
    row.updated_at = datetime.now(UTC)
    session.flush()
    return get_assignment(session, info.key)
