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
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
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
from ordermanager.db.types import UTCDateTime
from ordermanager.stack.notify import announce_queued
from ordermanager.status.capabilities import can_take_status_updates
from ordermanager.status.events import Event, event_info
from ordermanager.status.firing import event_settings, status_update_row, status_updates_on
from ordermanager.workstation import workstation_id


@dataclass(slots=True)
class ItemSnapshot:
    id: int
    remote_id: str
    sku: str
    quantity: int
    label_id: int | None


@dataclass(slots=True)
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
    # New shipping states by order id (bulk ship), written in the same pass as the labels.
    order_states: dict[int, str] = field(default_factory=dict)

    def write(self, session: Session) -> None:
        # Core statements on the tables: the ORM's bulk path costs as much again per row here.
        self._write_orders(session)
        update_by_id(session, LineItem, "status_label_id", self.item_labels)
        insert_rows(session, LabelChange, self.history)
        if self.records:
            insert_rows(session, StatusUpdate, self.records)
            announce_queued(session)

    def _write_orders(self, session: Session) -> None:
        if not self.order_states or session.get_bind().dialect.name != "sqlite":
            update_by_id(session, Order, "shipping_state", self.order_states)
            update_by_id(session, Order, "status_label_id", self.order_labels)
            return
        # SQLite: one pass over the orders for both columns (a label id is never NULL, so
        # coalesce keeps the label of an order whose label did not change).
        labels = self.order_labels
        _sqlite_executemany(
            session,
            "UPDATE orders SET shipping_state = ?, status_label_id = coalesce(?, status_label_id) "
            "WHERE id = ?",
            [(state, labels.get(i), i) for i, state in self.order_states.items()],
        )
        update_by_id(
            session,
            Order,
            "status_label_id",
            {i: label for i, label in labels.items() if i not in self.order_states},
        )


def update_by_id(
    session: Session, model: type[Base], column: str, values: Mapping[int, Any]
) -> None:
    """Set ``column`` of many rows, one value per id, in one executemany. On SQLite the values go
    to the driver as they are (timestamps converted): ids, labels, states, text."""
    if not values:
        return
    table = table_of(model)
    if session.get_bind().dialect.name == "sqlite":
        _sqlite_executemany(
            session,
            f"UPDATE {table.name} SET {column} = ? WHERE id = ?",
            [(_sqlite_value(v), i) for i, v in values.items()],
        )
        return
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({column: bindparam("new_value")})
    )
    session.execute(statement, [{"row_id": i, "new_value": v} for i, v in values.items()])


def insert_rows(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT many rows (each with the same keys) in one executemany.

    On SQLite the rows go straight to the driver's executemany: for 10,000 orders SQLAlchemy's
    per-row parameter processing cost more than SQLite's own work. Timestamps are converted as
    UTCDateTime would. Every column with a Python-side default must be in the rows (asserted),
    since those defaults are applied by SQLAlchemy only. PostgreSQL keeps the Core statement.
    """
    if not rows:
        return
    table = table_of(model)
    if session.get_bind().dialect.name != "sqlite":
        session.execute(insert(table), list(rows))
        return
    keys = tuple(rows[0])
    sql, times = _sqlite_insert(table, keys)
    _sqlite_executemany(session, sql, sqlite_rows(rows, keys, times))


def insert_values(
    session: Session, model: type[Base], keys: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> None:
    """``insert_rows`` for rows given as tuples in ``keys`` order (no timestamps among them on
    SQLite): a chunk's shipment lines need no dict per row."""
    if not rows:
        return
    if session.get_bind().dialect.name != "sqlite":
        insert_rows(session, model, [dict(zip(keys, row, strict=True)) for row in rows])
        return
    sql, times = _sqlite_insert(table_of(model), keys)
    if times:
        raise ValueError("insert_values: pass rows with timestamps to insert_rows")
    _sqlite_executemany(session, sql, list(rows))


def sqlite_rows(
    rows: Sequence[Mapping[str, Any]], keys: tuple[str, ...], times: tuple[int, ...]
) -> list[Any]:
    """Parameter rows for the driver: the values of ``keys`` in order, timestamps (at the
    positions ``times``) as SQLite text. A chunk shares a few timestamps: each converts once."""
    if len(keys) == 1:
        return [(row[keys[0]],) for row in rows]
    getter = itemgetter(*keys)
    if not times:
        return [getter(row) for row in rows]
    converted: dict[datetime, str] = {}
    values = []
    for row in rows:
        value = list(getter(row))
        for i in times:
            stamp = value[i]
            if stamp is not None:
                text = converted.get(stamp)
                if text is None:
                    text = converted[stamp] = _sqlite_time(stamp)
                value[i] = text
        values.append(tuple(value))
    return values


@lru_cache(maxsize=32)
def _sqlite_insert(table: Table, keys: tuple[str, ...]) -> tuple[str, tuple[int, ...]]:
    """The INSERT text for these columns, and the positions of those holding timestamps."""
    missing = [c.key for c in table.columns if c.key not in keys and c.default is not None]
    if missing:
        raise ValueError(f"insert_rows({table.name}): give {', '.join(missing)} explicitly")
    columns = ", ".join(keys)
    marks = ", ".join("?" for _ in keys)
    times = tuple(i for i, k in enumerate(keys) if isinstance(table.c[k].type, UTCDateTime))
    return f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", times


def _sqlite_time(value: datetime) -> str:
    """What UTCDateTime stores on SQLite: naive UTC text with microseconds."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_value(value: Any) -> Any:
    return _sqlite_time(value) if isinstance(value, datetime) else value


def _sqlite_executemany(session: Session, sql: str, values: list[Any]) -> None:
    # exec_driver_sql runs inside the session's transaction and does no per-row processing.
    session.connection().exec_driver_sql(sql, values)


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
    extras: Mapping[int, Mapping[str, Any]] | None = None,
) -> int:
    """Fire ``event`` on each (order, item ids or None for all); returns the records queued.
    ``extras``: more payload per order id (a ship event's shipment lines, as fire_event's)."""
    info = event_info(event)
    if not status_updates_on(session):
        return 0
    settings = event_settings(session, info)
    if not settings.enabled:
        return 0
    order_label = settings.order_label_id if info.takes_order_label else None
    item_label = settings.item_label_id if info.takes_item_label else None
    queued = 0
    queued_by = workstation_id()
    capable: dict[str, bool] = {}
    history = writes.history.append
    # One history row's columns but the ids and labels (a dict per row: insert_rows takes them).
    same = {"changed_at": now, "event": info.name, "changed_by": changed_by, "note": ""}
    for order, item_ids in targets:
        order_changed = False
        if order_label is not None and order.label_id != order_label:
            history(
                {
                    "order_id": order.id,
                    "line_item_id": None,
                    "from_label_id": order.label_id,
                    "to_label_id": order_label,
                    **same,
                }
            )
            order.label_id = writes.order_labels[order.id] = order_label
            order_changed = True
        changed: list[ItemSnapshot] = []
        if item_label is not None:
            wanted = None if item_ids is None else set(item_ids)
            for item in order.items:
                if (wanted is None or item.id in wanted) and item.label_id != item_label:
                    history(
                        {
                            "order_id": order.id,
                            "line_item_id": item.id,
                            "from_label_id": item.label_id,
                            "to_label_id": item_label,
                            **same,
                        }
                    )
                    item.label_id = writes.item_labels[item.id] = item_label
                    changed.append(item)
        if (order_changed or changed) and settings.notify_cart:
            able = capable.get(order.cart_kind)
            if able is None:
                able = capable[order.cart_kind] = can_take_status_updates(order.cart_kind)
            if not able:
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
                    extra=extras.get(order.id) if extras else None,
                    queued_by=queued_by,
                )
            )
            queued += 1
    return queued
