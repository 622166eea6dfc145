"""The firing rule for many orders at once, for bulk actions: same rule, set-based writes.

ordermanager.status.firing fires one event on one ORM order; a bulk ship of 10,000 orders that way
spends its time in per-row statements. Here the caller loads plain snapshots of a chunk of orders,
each event is applied to the snapshots in memory (so a second event sees the first one's labels),
and the label updates, history rows and stack records are written with a few executemany calls,
inside the caller's transaction like the one-order path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ordermanager.db.models import (
    Base,
    LabelChange,
    LineItem,
    Order,
    StatusLabel,
    StatusUpdate,
    table_of,
)
from ordermanager.stack.notify import announce_queued
from ordermanager.status.capabilities import can_take_status_updates
from ordermanager.status.events import Event, event_info
from ordermanager.status.firing import event_settings, status_update_row, status_updates_on


@dataclass
class ItemSnapshot:
    id: int
    remote_id: str
    sku: str
    quantity: int
    label_id: int | None


@dataclass
class OrderSnapshot:
    id: int
    remote_id: str
    number: str
    cart_id: int
    cart_kind: str
    label_id: int | None
    shipping_state: str
    items: list[ItemSnapshot] = field(default_factory=list)


@dataclass
class BatchWrites:
    """Everything the events of one chunk change, written at once by ``write``."""

    order_labels: dict[int, int] = field(default_factory=dict)
    item_labels: dict[int, int] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)

    def write(self, session: Session) -> None:
        # Core statements on the tables: the ORM's bulk path costs as much again per row here.
        update_by_id(session, Order, "status_label_id", self.order_labels)
        update_by_id(session, LineItem, "status_label_id", self.item_labels)
        if self.history:
            session.execute(insert(table_of(LabelChange)), self.history)
        if self.records:
            session.execute(insert(table_of(StatusUpdate)), self.records)
            announce_queued(session)


def update_by_id(
    session: Session, model: type[Base], column: str, values: Mapping[int, Any]
) -> None:
    """Set ``column`` of many rows, one value per id, in one executemany."""
    if not values:
        return
    table = table_of(model)
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({column: bindparam("new_value")})
    )
    session.execute(statement, [{"row_id": i, "new_value": v} for i, v in values.items()])


def label_names(session: Session) -> dict[int, str]:
    return {i: n for i, n in session.execute(select(StatusLabel.id, StatusLabel.name))}


def fire_event_many(
    session: Session,
    event: Event,
    targets: Sequence[tuple[OrderSnapshot, Sequence[int] | None]],
    writes: BatchWrites,
    names: Mapping[int, str],
    *,
    now: datetime,
    changed_by: str = "",
    tracking: Mapping[int, Sequence[str]] | None = None,
    carrier: str = "",
) -> int:
    """Fire ``event`` on each (order, item ids or None for all); returns the records queued."""
    info = event_info(event)
    if not status_updates_on(session):
        return 0
    settings = event_settings(session, info)
    if not settings.enabled:
        return 0
    order_label = settings.order_label_id if info.takes_order_label else None
    item_label = settings.item_label_id if info.takes_item_label else None
    queued = 0
    for order, item_ids in targets:

        def history(
            line_item_id: int | None, old: int | None, new: int, oid: int = order.id
        ) -> None:
            writes.history.append(
                {
                    "order_id": oid,
                    "line_item_id": line_item_id,
                    "from_label_id": old,
                    "to_label_id": new,
                    "changed_at": now,
                    "event": info.name,
                    "changed_by": changed_by,
                    "note": "",
                }
            )

        order_changed = False
        if order_label is not None and order.label_id != order_label:
            history(None, order.label_id, order_label)
            order.label_id = writes.order_labels[order.id] = order_label
            order_changed = True
        changed: list[ItemSnapshot] = []
        if item_label is not None:
            wanted = None if item_ids is None else set(item_ids)
            for item in order.items:
                if (wanted is None or item.id in wanted) and item.label_id != item_label:
                    history(item.id, item.label_id, item_label)
                    item.label_id = writes.item_labels[item.id] = item_label
                    changed.append(item)
        if (order_changed or changed) and settings.notify_cart:
            if not can_take_status_updates(order.cart_kind):
                continue
            writes.records.append(
                status_update_row(
                    info,
                    order_id=order.id,
                    order_remote_id=order.remote_id,
                    order_number=order.number,
                    cart_id=order.cart_id,
                    cart_kind=order.cart_kind,
                    order_label=names.get(order.label_id) if order.label_id else None,
                    order_changed=order_changed,
                    item_changes=[
                        {
                            "line_item_id": item.id,
                            "remote_id": item.remote_id,
                            "sku": item.sku,
                            "label": names.get(item.label_id) if item.label_id else None,
                        }
                        for item in changed
                    ],
                    tracking=(tracking or {}).get(order.id, ()),
                    carrier=carrier,
                    now=now,
                )
            )
            queued += 1
    return queued
