"""Shipping many whole orders in one go (the bulk Ship action on a selection of thousands).

Same outcome as ordermanager.orders.actions.ship for each order (a shipment with its items and
tracking numbers, shipping state, Item Shipped then Order Shipped), but per chunk of orders: a few
queries to load, checks in memory, and executemany writes. Orders that cannot ship are reported and
left alone; the checks happen before anything is written, so no savepoint is needed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ordermanager.db.engine import Database
from ordermanager.db.models import (
    Cart,
    LineItem,
    Order,
    Shipment,
    ShipmentItem,
    TrackingNumber,
)
from ordermanager.orders.actions import clean_tracking
from ordermanager.orders.bulk import BulkResult, Progress, run_chunked
from ordermanager.orders.states import ShippingState
from ordermanager.status.batch import (
    BatchWrites,
    ItemSnapshot,
    OrderSnapshot,
    fire_event_many,
    insert_values,
    label_names,
    sqlite_rows,
)
from ordermanager.status.events import Event


@dataclass
class ChunkOutcome:
    done: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    queued: int = 0


# SQLite: the chunk's orders and items as plain tuples from the driver, in snapshot field order
# (the ids as one JSON parameter). Row objects and the expanding IN list cost more than the reads.
_SQLITE_ORDERS = (
    "SELECT o.id, o.remote_id, o.number, o.cart_id, c.kind, o.status_label_id, o.shipping_state "
    "FROM orders AS o JOIN carts AS c ON c.id = o.cart_id "
    "WHERE o.id IN (SELECT value FROM json_each(?))"
)
_SQLITE_ITEMS = (
    "SELECT id, order_id, remote_id, sku, quantity, status_label_id FROM line_items "
    "WHERE order_id IN (SELECT value FROM json_each(?)) ORDER BY order_id, position, id"
)


def load_snapshots(session: Session, order_ids: Sequence[int]) -> dict[int, OrderSnapshot]:
    # After a flush, as the ORM's execute would: the reads below bypass the ORM.
    session.flush()
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        driver: Any = connection.connection.driver_connection
        ids = json.dumps(list(order_ids))
        found = {row[0]: OrderSnapshot(*row) for row in driver.execute(_SQLITE_ORDERS, (ids,))}
        for item_id, order_id, remote_id, sku, quantity, label_id in driver.execute(
            _SQLITE_ITEMS, (ids,)
        ):
            found[order_id].items.append(ItemSnapshot(item_id, remote_id, sku, quantity, label_id))
        return found
    orders = {
        row.id: OrderSnapshot(
            row.id,
            row.remote_id,
            row.number,
            row.cart_id,
            row.kind,
            row.status_label_id,
            row.shipping_state,
        )
        for row in connection.execute(
            select(
                Order.id,
                Order.remote_id,
                Order.number,
                Order.cart_id,
                Cart.kind,
                Order.status_label_id,
                Order.shipping_state,
            )
            .join(Cart, Cart.id == Order.cart_id)
            .where(Order.id.in_(order_ids))
            .with_for_update(of=Order)  # as actions.load_order: one writer per order at a time
        )
    }
    items = connection.execute(
        select(
            LineItem.id,
            LineItem.order_id,
            LineItem.remote_id,
            LineItem.sku,
            LineItem.quantity,
            LineItem.status_label_id,
        )
        .where(LineItem.order_id.in_(order_ids))
        .order_by(LineItem.order_id, LineItem.position, LineItem.id)
    )
    for row in items:
        orders[row.order_id].items.append(
            ItemSnapshot(row.id, row.remote_id, row.sku, row.quantity, row.status_label_id)
        )
    return orders


def _shipped(session: Session, order_ids: Sequence[int]) -> dict[int, int]:
    rows = session.execute(
        select(ShipmentItem.line_item_id, func.sum(ShipmentItem.quantity))
        .join(Shipment, Shipment.id == ShipmentItem.shipment_id)
        .where(Shipment.order_id.in_(order_ids))
        .group_by(ShipmentItem.line_item_id)
    )
    return {item_id: int(quantity or 0) for item_id, quantity in rows}


def _insert_shipments(
    session: Session, order_ids: list[int], carrier: str, now: datetime
) -> dict[int, int]:
    """One new shipment per order; returns each order's shipment id. One shipment per order, so
    the order id tells which new id is whose (RETURNING order is not promised)."""
    rows = [
        {"order_id": i, "carrier": carrier, "service": "", "shipped_at": now} for i in order_ids
    ]
    if session.get_bind().dialect.name != "sqlite":
        returned = session.execute(insert(Shipment).returning(Shipment.order_id, Shipment.id), rows)
        return {order_id: shipment_id for order_id, shipment_id in returned}
    # SQLite: multi-row INSERT ... RETURNING on the driver, a few hundred rows per statement
    # (SQLAlchemy's own batching processes every parameter of every row in Python first).
    keys = ("order_id", "carrier", "service", "shipped_at")
    values = sqlite_rows(rows, keys, (3,))
    connection = session.connection()
    shipment_of: dict[int, int] = {}
    for start in range(0, len(values), _SHIPMENTS_PER_STATEMENT):
        part = values[start : start + _SHIPMENTS_PER_STATEMENT]
        sql = (
            "INSERT INTO shipments (order_id, carrier, service, shipped_at) VALUES "
            + ", ".join(["(?, ?, ?, ?)"] * len(part))
            + " RETURNING order_id, id"
        )
        flat = [value for row in part for value in row]
        shipment_of.update((row[0], row[1]) for row in connection.exec_driver_sql(sql, tuple(flat)))
    return shipment_of


# 4 parameters each: within SQLite's smallest limit of bound parameters per statement (999).
_SHIPMENTS_PER_STATEMENT = 240


def ship_orders(
    session: Session,
    order_ids: Sequence[int],
    *,
    tracking: Mapping[int, Sequence[str]] | None = None,
    carrier: str = "",
    changed_by: str = "",
) -> ChunkOutcome:
    """Ship everything not yet shipped of each order, in the caller's write transaction."""
    outcome = ChunkOutcome()
    orders = load_snapshots(session, order_ids)
    shipped = _shipped(session, order_ids)
    numbers = {i: clean_tracking(n) for i, n in (tracking or {}).items()}
    ready: list[tuple[OrderSnapshot, list[tuple[ItemSnapshot, int]]]] = []
    for order_id in order_ids:
        order = orders.get(order_id)
        if order is None:
            outcome.failed[order_id] = f"There is no order with id {order_id}."
        elif order.shipping_state == ShippingState.CANCELLED:
            outcome.failed[order_id] = (
                f"Order {order.number} is cancelled, so it cannot be shipped."
            )
        else:
            lines = [
                (item, item.quantity - shipped.get(item.id, 0))
                for item in order.items
                if item.quantity - shipped.get(item.id, 0) > 0
            ]
            if lines:
                ready.append((order, lines))
            else:
                outcome.failed[order_id] = f"Order {order.number} has nothing left to ship."
    if not ready:
        return outcome

    now = datetime.now(UTC)
    shipment_of = _insert_shipments(session, [o.id for o, _ in ready], carrier.strip()[:50], now)
    shipment_ids = [shipment_of[o.id] for o, _ in ready]
    insert_values(
        session,
        TrackingNumber,
        ("shipment_id", "number"),
        [
            (shipment_id, number)
            for shipment_id, (order, _) in zip(shipment_ids, ready, strict=True)
            for number in numbers.get(order.id, [])
        ],
    )
    insert_values(
        session,
        ShipmentItem,
        ("shipment_id", "line_item_id", "quantity"),
        [
            (shipment_id, item.id, quantity)
            for shipment_id, (_, lines) in zip(shipment_ids, ready, strict=True)
            for item, quantity in lines
        ],
    )
    writes = BatchWrites(order_states={o.id: ShippingState.SHIPPED.value for o, _ in ready})
    names = label_names(session)
    # What each shipment holds travels with the order's update, as actions.ship sends it (a
    # bulk ship ships everything left, so each shipment completes its order).
    shipments = {
        o.id: {
            "shipment_lines": [
                {"remote_id": item.remote_id, "sku": item.sku, "quantity": quantity}
                for item, quantity in lines
            ],
            "shipment_complete": True,
        }
        for o, lines in ready
    }
    for event, targets, extras in (
        (Event.ITEM_SHIPPED, [(o, [item.id for item, _ in lines]) for o, lines in ready], None),
        (Event.ORDER_SHIPPED, [(o, None) for o, _ in ready], shipments),
    ):
        outcome.queued += fire_event_many(
            session,
            event,
            targets,
            writes,
            names,
            now=now,
            changed_by=changed_by,
            tracking=numbers,
            carrier=carrier,
            extras=extras,
        )
    writes.write(session)
    outcome.done.extend(o.id for o, _ in ready)
    return outcome


def bulk_ship(
    database: Database,
    order_ids: Sequence[int],
    *,
    tracking: Mapping[int, Sequence[str]] | Sequence[str] = (),
    carrier: str = "",
    changed_by: str = "",
    progress: Progress | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> tuple[BulkResult, int]:
    """Ship whole orders chunk by chunk (the GUI's and CLI's bulk Ship); returns the result and
    the number of status updates queued. ``tracking``: numbers per order id, or one list for all.
    """
    queued = 0

    def chunk_action(session: Session, chunk: Sequence[int]) -> tuple[list[int], dict[int, str]]:
        nonlocal queued
        per_order = (
            tracking if isinstance(tracking, Mapping) else {i: list(tracking) for i in chunk}
        )
        outcome = ship_orders(
            session, chunk, tracking=per_order, carrier=carrier, changed_by=changed_by
        )
        queued += outcome.queued
        return outcome.done, outcome.failed

    result = run_chunked(database, chunk_action, order_ids, progress, is_cancelled)
    return result, queued
