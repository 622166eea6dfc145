"""Fill a store with generic carts, orders and stack records for controller tests.

Records are inserted as the firing rule writes them (same columns, fresh idempotency keys), many at
a time, interleaved across orders (record n belongs to order n % orders) so that per-order FIFO is
actually exercised. Each payload carries ``seq``: the record's place within its order.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, EventLogRow, Order, StatusUpdate
from tests import factories


@dataclass(frozen=True)
class Seeded:
    cart_ids: list[int]
    order_ids: list[int]
    keys: list[str]  # idempotency keys, in record id order
    key_order: dict[str, tuple[int, int]]  # key -> (order id, seq within the order)


def generic_cart(database: Database, name: str, url: str, *, demo: bool = False) -> int:
    with database.transaction() as session:
        cart = factories.cart(session, name, "generic")
        cart.base_url = url
        cart.demo = demo
        session.flush()
        return cart.id


def orders(database: Database, cart_name: str, count: int, prefix: str = "G") -> list[int]:
    ids = []
    with database.transaction() as session:
        for n in range(count):
            spec = factories.Spec(
                number=f"{prefix}{n:05d}", cart_name=cart_name, cart_kind="generic"
            )
            ids.append(factories.order(session, spec).id)
    return ids


def records(
    database: Database,
    order_ids: list[int],
    count: int,
    *,
    queued_by: str = "",
    due_in: float = 0.0,
) -> Seeded:
    """``count`` records over ``order_ids`` (round robin), all due after ``due_in`` seconds."""
    now = datetime.now(UTC)
    with database.transaction() as session:
        carts = dict(
            session.execute(select(Order.id, Order.cart_id).where(Order.id.in_(order_ids))).all()
        )
        seq_start = dict(
            session.execute(
                select(StatusUpdate.order_id, func.count())
                .where(StatusUpdate.order_id.in_(order_ids))
                .group_by(StatusUpdate.order_id)
            ).all()
        )
        rows = []
        key_order: dict[str, tuple[int, int]] = {}
        seqs = {oid: int(seq_start.get(oid, 0)) for oid in order_ids}
        for n in range(count):
            order_id = order_ids[n % len(order_ids)]
            seq = seqs[order_id]
            seqs[order_id] += 1
            key = uuid.uuid4().hex
            key_order[key] = (order_id, seq)
            payload = {
                "idempotency_key": key,
                "event": "order_shipped",
                "event_name": "Order Shipped",
                "cart": {"id": carts[order_id], "kind": "generic"},
                "order": {"id": order_id, "remote_id": f"r-{order_id}", "number": str(order_id)},
                "order_label": "Shipped",
                "order_label_changed": True,
                "items": [],
                "tracking": {"numbers": [f"1Z{n:010d}"], "carrier": "UPS"},
                "queued_at": now.isoformat(),
                "seq": seq,
            }
            rows.append(
                {
                    "order_id": order_id,
                    "cart_id": carts[order_id],
                    "event": "order_shipped",
                    "order_label": "Shipped",
                    "item_changes": "[]",
                    "tracking": json.dumps(payload["tracking"]),
                    "payload": json.dumps(payload),
                    "idempotency_key": key,
                    "queued_at": now,
                    "state": "queued",
                    "attempts": 0,
                    "next_attempt_at": now + timedelta(seconds=due_in),
                    "last_error": "",
                    "claimed_by": "",
                    "queued_by": queued_by,
                }
            )
        for start in range(0, len(rows), 1000):
            session.execute(insert(StatusUpdate), rows[start : start + 1000])
        cart_ids = sorted(set(carts.values()))
    return Seeded(cart_ids, list(order_ids), [r["idempotency_key"] for r in rows], key_order)


def stack_rows(database: Database) -> list[StatusUpdate]:
    with database.session() as session:
        rows = list(session.execute(select(StatusUpdate).order_by(StatusUpdate.id)).scalars())
        session.expunge_all()  # plain objects for the test: the read session rolls back on exit
        return rows


def stack_count(database: Database) -> int:
    with database.session() as session:
        return int(session.execute(select(func.count()).select_from(StatusUpdate)).scalar_one())


def cart_by_name(database: Database, name: str) -> Cart:
    with database.session() as session:
        return session.execute(select(Cart).where(Cart.name == name)).scalar_one()


def event_log(database: Database) -> list[EventLogRow]:
    """Every event_log row, oldest first, as plain objects."""
    with database.session() as session:
        rows = list(session.execute(select(EventLogRow).order_by(EventLogRow.id)).scalars())
        session.expunge_all()
        return rows
