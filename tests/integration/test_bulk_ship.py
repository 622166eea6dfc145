"""The set-based bulk ship does exactly what shipping each order by itself does."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ordermanager.db.engine import Database
from ordermanager.db.models import LabelChange, Order, Shipment, StatusUpdate
from ordermanager.orders import actions
from ordermanager.orders.bulk import run_chunked
from ordermanager.orders.bulk_ship import ship_orders
from ordermanager.settings import set_setting
from ordermanager.status.defaults import load_defaults
from ordermanager.status.events import Event, set_assignment
from tests import factories
from tests.factories import Item, Spec


def _store(session: Session) -> list[int]:
    load_defaults(session)
    set_setting(session, "UseStatusUpdates", True)
    set_assignment(session, Event.ITEM_SHIPPED, notify_cart=True)
    specs = [
        Spec(number="1", items=[Item(sku="A", quantity=2), Item(sku="B")]),
        Spec(number="2", label="Order Shipped", items=[Item(sku="A", label="Item Shipped")]),
        Spec(number="3", cart_name="Counter", cart_kind="manual"),
        Spec(number="4", shipping_state="cancelled"),
        Spec(number="5", items=[Item(sku="A", quantity=3), Item(sku="C")]),
    ]
    ids = [factories.order(session, spec).id for spec in specs]
    # Order 5 already sent one A: only the rest ships.
    five = session.get_one(Order, ids[4])
    actions.ship(session, five.id, [five.items[0].id])
    return ids


def _payload(text: str) -> dict[str, object]:
    """A record's payload without what differs between two runs (its key and queue time); the
    rest (shipment lines included) is what a cart gets, so both paths must agree on it."""
    payload = json.loads(text)
    assert payload.pop("idempotency_key") and payload.pop("queued_at")
    return payload


def _snapshot(session: Session) -> dict[str, object]:
    def label(o: Order) -> object:
        return (
            o.status_label.name if o.status_label else None,
            o.shipping_state,
            [i.status_label.name if i.status_label else None for i in o.items],
        )

    orders = session.execute(select(Order).order_by(Order.number)).scalars()
    # Per order, records keep their order; across orders the bulk path may interleave them.
    records = session.execute(
        select(StatusUpdate).order_by(StatusUpdate.order_id, StatusUpdate.id)
    ).scalars()
    history = session.execute(
        select(LabelChange.order_id, LabelChange.line_item_id, LabelChange.event)
        .where(LabelChange.event.in_(["Item Shipped", "Order Shipped"]))
        .order_by(LabelChange.order_id, LabelChange.line_item_id)
    )
    shipments = session.execute(select(Shipment).order_by(Shipment.order_id, Shipment.id))
    return {
        "orders": [label(o) for o in orders],
        "records": [
            (r.order_id, r.event, r.order_label, json.loads(r.item_changes), json.loads(r.tracking),
             _payload(r.payload))
            for r in records
            if r.event in ("item_shipped", "order_shipped")
        ],
        "history": [tuple(h) for h in history],
        "shipments": [
            (s.order_id, s.carrier, [t.number for t in s.tracking_numbers],
             sorted((i.line_item_id, i.quantity) for i in s.items))
            for s in shipments.scalars()
        ],
    }  # fmt: skip


def test_bulk_ship_equals_shipping_one_by_one(any_db: Database) -> None:
    with any_db.transaction() as session:
        ids = _store(session)
    tracking = {i: [f"1Z{i}"] for i in ids}

    class Undo(Exception):
        """Rolls the bulk path back, so the one-by-one path starts from the same store."""

    with pytest.raises(Undo), any_db.transaction() as session:
        bulk = ship_orders(session, ids, tracking=tracking, carrier="UPS", changed_by="dana")
        bulk_state = _snapshot(session)
        raise Undo
    with any_db.transaction() as session:
        one_by_one_failed: dict[int, str] = {}
        for order_id in ids:
            try:
                with session.begin_nested():
                    actions.ship(
                        session, order_id, tracking=tracking[order_id], carrier="UPS",
                        changed_by="dana",
                    )  # fmt: skip
            except Exception as exc:
                one_by_one_failed[order_id] = str(exc)
        single_state = _snapshot(session)

    assert bulk.failed == one_by_one_failed
    assert sorted(bulk.done) == sorted(set(ids) - set(one_by_one_failed))
    assert bulk_state == single_state
    # Order 1: items and order; order 5: its last item and the order. 2 is unchanged, 3 manual.
    assert bulk.queued == 4


def test_run_chunked__progress_and_failures(sqlite_db: Database) -> None:
    with sqlite_db.transaction() as session:
        ids = _store(session)
    seen: list[tuple[int, int]] = []

    def chunk(session: Session, chunk_ids: list[int]) -> tuple[list[int], dict[int, str]]:
        outcome = ship_orders(session, chunk_ids)
        return outcome.done, outcome.failed

    result = run_chunked(
        sqlite_db,
        chunk,
        ids,
        lambda d, t: seen.append((d, t)),
        chunk_size=2,  # type: ignore[arg-type]
    )
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert set(result.failed) == {ids[3]} and "cancelled" in result.failed[ids[3]]
    assert len(result.done) == 4
