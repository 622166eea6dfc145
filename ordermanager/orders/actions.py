"""Operator actions on one order: what the toolbar, the context menu and ``ordermanager orders
ACTION`` do. Each changes the order and fires its status event in the caller's write transaction,
so the change, the labels and any queued status update commit together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ordermanager.db.models import (
    LineItem,
    Order,
    Shipment,
    ShipmentItem,
    TrackingNumber,
)
from ordermanager.errors import InvalidInputError, NotFoundError
from ordermanager.orders.states import ShippingState
from ordermanager.status.events import Event
from ordermanager.status.firing import FireResult, fire_event, set_labels_by_hand
from ordermanager.status.labels import label_by_name

TRACKING_MAX_LENGTH = 100


@dataclass
class ActionResult:
    """What an action did to one order: the events it fired, in order."""

    order_id: int
    fired: list[FireResult] = field(default_factory=list)

    @property
    def queued(self) -> int:
        return sum(1 for f in self.fired if f.update_id is not None)


def load_order(session: Session, order_id: int) -> Order:
    # Lock the row (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers) so two
    # workstations acting on one order take turns and each sees the other's labels.
    order = session.get(Order, order_id, with_for_update=True)
    if order is None:
        raise NotFoundError(f"There is no order with id {order_id}.")
    return order


def _items(order: Order, item_ids: Sequence[int] | None) -> list[LineItem]:
    """The order's items with these ids (all when None); ids from another order are refused."""
    if item_ids is None:
        return list(order.items)
    by_id = {item.id: item for item in order.items}
    unknown = [i for i in item_ids if i not in by_id]
    if unknown:
        raise InvalidInputError(f"Order {order.number} has no line item {unknown[0]}.")
    if not item_ids:
        raise InvalidInputError(f"Choose at least one line item of order {order.number}.")
    return [by_id[i] for i in item_ids]


def items_by_sku(session: Session, order_id: int, skus: Sequence[str]) -> list[int]:
    """Line item ids of an order chosen by SKU (the CLI's ``--sku``)."""
    order = load_order(session, order_id)
    ids: list[int] = []
    for sku in skus:
        found = [item.id for item in order.items if item.sku == sku.strip()]
        if not found:
            raise InvalidInputError(f"Order {order.number} has no item with SKU '{sku}'.")
        ids.extend(found)
    return ids


def fire_into(
    result: ActionResult,
    session: Session,
    event: Event,
    item_ids: Sequence[int] | None = None,
    *,
    changed_by: str = "",
    tracking: Sequence[str] | None = None,
    carrier: str = "",
    note: str = "",
    shipment: Mapping[str, Any] | None = None,
) -> None:
    """Fire ``event`` on the result's order and remember what it did."""
    fired = fire_event(
        session,
        event,
        result.order_id,
        item_ids,
        changed_by=changed_by,
        tracking=tracking,
        carrier=carrier,
        note=note,
        shipment=shipment,
    )
    result.fired.append(fired)


def _refuse_if_cancelled(order: Order, what: str) -> None:
    if order.shipping_state == ShippingState.CANCELLED:
        raise InvalidInputError(f"Order {order.number} is cancelled, so it cannot be {what}.")


def clean_tracking(numbers: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for number in numbers:
        text = number.strip()
        if not text:
            continue
        if len(text) > TRACKING_MAX_LENGTH:
            raise InvalidInputError(
                f"A tracking number has at most {TRACKING_MAX_LENGTH} characters: '{text[:20]}…'."
            )
        if text not in cleaned:
            cleaned.append(text)
    return cleaned


# -- order-level actions ------------------------------------------------------------------------


def approve(session: Session, order_id: int, *, changed_by: str = "") -> ActionResult:
    order = load_order(session, order_id)
    _refuse_if_cancelled(order, "approved")
    result = ActionResult(order_id)
    fire_into(result, session, Event.ORDER_APPROVED, changed_by=changed_by)
    return result


def hold(session: Session, order_id: int, *, changed_by: str = "", note: str = "") -> ActionResult:
    load_order(session, order_id)
    result = ActionResult(order_id)
    fire_into(result, session, Event.ORDER_ON_HOLD, changed_by=changed_by, note=note)
    return result


def release_hold(session: Session, order_id: int, *, changed_by: str = "") -> ActionResult:
    load_order(session, order_id)
    result = ActionResult(order_id)
    fire_into(result, session, Event.ORDER_RELEASED_FROM_HOLD, changed_by=changed_by)
    return result


def enter_ship_date(
    session: Session, order_id: int, day: date, *, changed_by: str = ""
) -> ActionResult:
    order = load_order(session, order_id)
    _refuse_if_cancelled(order, "given a ship date")
    order.ship_date = day
    result = ActionResult(order_id)
    fire_into(result, session, Event.SHIP_DATE_ENTERED, changed_by=changed_by)
    return result


def enter_tracking(
    session: Session,
    order_id: int,
    numbers: Sequence[str],
    carrier: str = "",
    *,
    changed_by: str = "",
    imported: bool = False,
) -> ActionResult:
    """Record tracking numbers (a shipment without items yet) and fire Tracking Number
    Entered, or Tracking Number Imported for a CSV import."""
    order = load_order(session, order_id)
    _refuse_if_cancelled(order, "given tracking numbers")
    cleaned = clean_tracking(numbers)
    if not cleaned:
        raise InvalidInputError("Give at least one tracking number.")
    _add_shipment(session, order, cleaned, carrier, [])
    result = ActionResult(order_id)
    event = Event.TRACKING_NUMBER_IMPORTED if imported else Event.TRACKING_NUMBER_ENTERED
    fire_into(result, session, event, changed_by=changed_by, tracking=cleaned, carrier=carrier)
    return result


def _add_shipment(
    session: Session,
    order: Order,
    numbers: list[str],
    carrier: str,
    lines: list[tuple[LineItem, int]],
) -> Shipment:
    # Children hang off the relationships, so the whole shipment goes out in the next flush.
    shipment = Shipment(
        order_id=order.id,
        carrier=carrier.strip()[:50],
        shipped_at=_now(),
        tracking_numbers=[TrackingNumber(number=number) for number in numbers],
        items=[ShipmentItem(line_item_id=item.id, quantity=quantity) for item, quantity in lines],
    )
    session.add(shipment)
    return shipment


def _now() -> datetime:
    return datetime.now(UTC)


# -- item actions -------------------------------------------------------------------------------


def _shipped_quantities(session: Session, order_id: int) -> dict[int, int]:
    rows = session.execute(
        select(ShipmentItem.line_item_id, func.sum(ShipmentItem.quantity))
        .join(Shipment, Shipment.id == ShipmentItem.shipment_id)
        .where(Shipment.order_id == order_id)
        .group_by(ShipmentItem.line_item_id)
    )
    return {item_id: int(quantity or 0) for item_id, quantity in rows}


def ship(
    session: Session,
    order_id: int,
    item_ids: Sequence[int] | None = None,
    *,
    tracking: Sequence[str] = (),
    carrier: str = "",
    changed_by: str = "",
) -> ActionResult:
    """Ship the rest of the given items (all items when None). Fires Item Shipped for them, then
    Order Shipped when nothing is left to ship, else Order Partially Shipped."""
    order = load_order(session, order_id)
    _refuse_if_cancelled(order, "shipped")
    chosen = _items(order, item_ids)
    shipped = _shipped_quantities(session, order.id)
    lines = [
        (item, item.quantity - shipped.get(item.id, 0))
        for item in chosen
        if item.quantity - shipped.get(item.id, 0) > 0
    ]
    if not lines:
        raise InvalidInputError(f"Order {order.number} has nothing left to ship.")
    numbers = clean_tracking(tracking)
    _add_shipment(session, order, numbers, carrier, lines)
    for item, quantity in lines:
        shipped[item.id] = shipped.get(item.id, 0) + quantity
    everything = all(shipped.get(item.id, 0) >= item.quantity for item in order.items)
    order.shipping_state = (
        ShippingState.SHIPPED if everything else ShippingState.PARTIALLY_SHIPPED
    ).value
    result = ActionResult(order_id)
    shipped_ids = [item.id for item, _ in lines]
    fire_into(
        result,
        session,
        Event.ITEM_SHIPPED,
        shipped_ids,
        changed_by=changed_by,
        tracking=numbers,
        carrier=carrier,
    )
    event = Event.ORDER_SHIPPED if everything else Event.ORDER_PARTIALLY_SHIPPED
    # What this shipment holds travels with the order's update: a cart needs it for a partial
    # fulfilment (Shopify, Magento, BigCommerce ship named lines and quantities).
    shipment = {
        "shipment_lines": [
            {"remote_id": item.remote_id, "sku": item.sku, "quantity": quantity}
            for item, quantity in lines
        ],
        "shipment_complete": everything,
    }
    fire_into(
        result,
        session,
        event,
        changed_by=changed_by,
        tracking=numbers,
        carrier=carrier,
        shipment=shipment,
    )
    return result


def _item_event(
    session: Session,
    order_id: int,
    item_ids: Sequence[int] | None,
    event: Event,
    what: str,
    changed_by: str,
) -> ActionResult:
    order = load_order(session, order_id)
    _refuse_if_cancelled(order, what)
    result = ActionResult(order_id)
    _fire_for_items(result, session, order, item_ids, event, changed_by)
    return result


def _fire_for_items(
    result: ActionResult,
    session: Session,
    order: Order,
    item_ids: Sequence[int] | None,
    event: Event,
    changed_by: str,
) -> None:
    chosen = _items(order, item_ids)
    fire_into(result, session, event, item_ids=[i.id for i in chosen], changed_by=changed_by)


def backorder(
    session: Session, order_id: int, item_ids: Sequence[int] | None = None, *, changed_by: str = ""
) -> ActionResult:
    return _item_event(
        session, order_id, item_ids, Event.ITEM_BACKORDERED, "backordered", changed_by
    )


def drop_ship(
    session: Session, order_id: int, item_ids: Sequence[int] | None = None, *, changed_by: str = ""
) -> ActionResult:
    return _item_event(
        session, order_id, item_ids, Event.DROP_SHIP_ORDERED, "drop shipped", changed_by
    )


def cancel(
    session: Session, order_id: int, item_ids: Sequence[int] | None = None, *, changed_by: str = ""
) -> ActionResult:
    """Cancel some items (Item Cancel) or, with no items given, the whole order (Order Cancel)."""
    order = load_order(session, order_id)
    _refuse_if_cancelled(order, "cancelled again")
    if order.shipping_state == ShippingState.SHIPPED:
        raise InvalidInputError(
            f"Order {order.number} has shipped; return its items instead of cancelling."
        )
    result = ActionResult(order_id)
    if item_ids is None:
        order.shipping_state = ShippingState.CANCELLED.value
        fire_into(result, session, Event.ORDER_CANCEL, changed_by=changed_by)
    else:
        _fire_for_items(result, session, order, item_ids, Event.ITEM_CANCEL, changed_by)
    return result


def return_items(
    session: Session, order_id: int, item_ids: Sequence[int] | None = None, *, changed_by: str = ""
) -> ActionResult:
    """Items came back (Item Returned); with no items given the whole order (Order Returned)."""
    order = load_order(session, order_id)
    if order.shipping_state not in (ShippingState.SHIPPED, ShippingState.PARTIALLY_SHIPPED):
        raise InvalidInputError(f"Order {order.number} has not shipped, so nothing can return.")
    result = ActionResult(order_id)
    if item_ids is None:
        order.shipping_state = ShippingState.RETURNED.value
        fire_into(result, session, Event.ORDER_RETURNED, changed_by=changed_by)
    else:
        _fire_for_items(result, session, order, item_ids, Event.ITEM_RETURNED, changed_by)
    return result


def add_item(
    session: Session,
    order_id: int,
    *,
    sku: str,
    name: str,
    quantity: int,
    unit_price: Decimal,
    changed_by: str = "",
) -> ActionResult:
    order = load_order(session, order_id)
    _refuse_if_cancelled(order, "given new items")
    if quantity < 1:
        raise InvalidInputError("An item's quantity is at least 1.")
    if unit_price < 0:
        raise InvalidInputError("An item's price cannot be negative.")
    item = LineItem(
        order_id=order.id,
        position=max((i.position for i in order.items), default=-1) + 1,
        sku=sku.strip()[:100],
        name=name.strip(),
        quantity=quantity,
        unit_price=unit_price,
    )
    order.items.append(item)
    added = unit_price * quantity
    order.subtotal += added
    order.total += added
    order.item_count += quantity
    session.flush()
    result = ActionResult(order_id)
    fire_into(result, session, Event.ITEM_ADD, item_ids=[item.id], changed_by=changed_by)
    return result


def set_label(
    session: Session,
    order_id: int,
    label: str,
    item_ids: Sequence[int] | None = None,
    *,
    changed_by: str = "",
    note: str = "",
) -> ActionResult:
    """Set the order's label by hand, or with item ids given, those items' label."""
    order = load_order(session, order_id)
    label_id = label_by_name(session, label).id
    result = ActionResult(order_id)
    if item_ids is None:
        fired = set_labels_by_hand(
            session, order.id, order_label_id=label_id, changed_by=changed_by, note=note
        )
    else:
        chosen = _items(order, item_ids)
        fired = set_labels_by_hand(
            session,
            order.id,
            order_label_id=None,
            item_label_id=label_id,
            item_ids=[i.id for i in chosen],
            changed_by=changed_by,
            note=note,
        )
    result.fired.append(fired)
    return result
