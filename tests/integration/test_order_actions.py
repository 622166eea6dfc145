"""Operator actions change the order and fire their events in one transaction; bulk runs report
each failure and keep going."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ordermanager.db.engine import Database
from ordermanager.db.models import LabelChange, Order, Shipment, StatusUpdate, TrackingNumber
from ordermanager.errors import InvalidInputError
from ordermanager.orders import actions, payments
from ordermanager.orders.bulk import run_bulk
from ordermanager.settings import set_setting
from ordermanager.status.defaults import load_defaults
from tests import factories
from tests.factories import Item, Spec


def _store(session: Session, count: int = 1, kind: str = "woocommerce") -> list[int]:
    load_defaults(session)
    set_setting(session, "UseStatusUpdates", True)
    return [
        factories.order(
            session,
            Spec(
                number=str(1001 + n),
                cart_kind=kind,
                label="Order Received",
                items=[Item(sku="A", quantity=2), Item(sku="B")],
            ),
        ).id
        for n in range(count)
    ]


def _labels(session: Session, order_id: int) -> tuple[str | None, list[str | None]]:
    order = session.get_one(Order, order_id)
    return (
        order.status_label.name if order.status_label else None,
        [i.status_label.name if i.status_label else None for i in order.items],
    )


def _records(session: Session) -> list[StatusUpdate]:
    return list(session.execute(select(StatusUpdate).order_by(StatusUpdate.id)).scalars())


def test_ship_whole_order__item_and_order_events_one_record(any_db: Database) -> None:
    with any_db.transaction() as session:
        (order_id,) = _store(session)
    with any_db.transaction() as session:
        result = actions.ship(session, order_id, tracking=["1Z999", " "], carrier="UPS")
    assert [f.event for f in result.fired] == ["item_shipped", "order_shipped"]
    with any_db.session() as session:
        assert _labels(session, order_id) == ("Order Shipped", ["Item Shipped", "Item Shipped"])
        order = session.get_one(Order, order_id)
        assert order.shipping_state == "shipped"
        (shipment,) = order.shipments
        assert shipment.carrier == "UPS" and [t.number for t in shipment.tracking_numbers] == [
            "1Z999"
        ]
        assert sorted(i.quantity for i in shipment.items) == [1, 2]
        (record,) = _records(session)  # Item Shipped has Notify Cart off by default
        assert record.event == "order_shipped" and record.order_label == "Order Shipped"
        assert json.loads(record.tracking) == {"numbers": ["1Z999"], "carrier": "UPS"}
    with pytest.raises(InvalidInputError, match="nothing left to ship"), any_db.transaction() as s:
        actions.ship(s, order_id)


def test_ship_some_items__partially_shipped(any_db: Database) -> None:
    with any_db.transaction() as session:
        (order_id,) = _store(session)
        first = session.get_one(Order, order_id).items[0].id
    with any_db.transaction() as session:
        actions.ship(session, order_id, [first])
    with any_db.session() as session:
        assert _labels(session, order_id) == (
            "Partially Shipped",
            ["Item Shipped", None],
        )
        assert session.get_one(Order, order_id).shipping_state == "partially_shipped"
        assert [r.event for r in _records(session)] == ["order_partially_shipped"]


def test_cancel_order_then_refused_actions(any_db: Database) -> None:
    with any_db.transaction() as session:
        (order_id,) = _store(session)
    with any_db.transaction() as session:
        actions.cancel(session, order_id)
    with any_db.session() as session:
        assert _labels(session, order_id) == ("Order Cancelled", [None, None])
        assert session.get_one(Order, order_id).shipping_state == "cancelled"
        assert [r.event for r in _records(session)] == ["order_cancel"]
    for action in (actions.ship, actions.approve, actions.cancel):
        with pytest.raises(InvalidInputError, match="cancelled"), any_db.transaction() as s:
            action(s, order_id)


def test_approve_hold_release_and_label_by_hand(any_db: Database) -> None:
    with any_db.transaction() as session:
        (order_id,) = _store(session)
        factories.label(session, "Call Customer")
    with any_db.transaction() as session:
        actions.approve(session, order_id)
        actions.hold(session, order_id, note="address?")
        actions.set_label(session, order_id, "Call Customer", changed_by="dana")
        actions.release_hold(session, order_id)
    with any_db.session() as session:
        events = session.execute(
            select(LabelChange.event, LabelChange.changed_by)
            .where(LabelChange.order_id == order_id)
            .order_by(LabelChange.id)
        ).all()
        assert [tuple(e) for e in events][1:] == [
            ("Order Approved", ""),
            ("Order On Hold", ""),
            ("Label Set By Hand", "dana"),
            ("Order Released From Hold", ""),
        ]
        # Only Label Set By Hand has Notify Cart on in the defaults among these.
        assert [r.event for r in _records(session)] == ["label_set_by_hand"]


def test_label_by_hand__applies_even_with_status_updates_off(any_db: Database) -> None:
    with any_db.transaction() as session:
        (order_id,) = _store(session)
        set_setting(session, "UseStatusUpdates", False)
    with any_db.transaction() as session:
        actions.set_label(session, order_id, "On Hold", changed_by="dana")
        actions.approve(session, order_id)  # an event: off means no label
    with any_db.session() as session:
        assert _labels(session, order_id)[0] == "On Hold"
        assert _records(session) == []


def test_enter_tracking_payment_and_refund(any_db: Database) -> None:
    with any_db.transaction() as session:
        (order_id,) = _store(session)
    with any_db.transaction() as session:
        actions.enter_tracking(session, order_id, ["1Z1", "1Z1", "1Z2"], "UPS")
        payments.log_payment(session, order_id, Decimal("10"), "card")
    with any_db.session() as session:
        numbers = session.execute(select(TrackingNumber.number).order_by(TrackingNumber.id))
        assert list(numbers.scalars()) == ["1Z1", "1Z2"]
        order = session.get_one(Order, order_id)
        assert order.payment_state == "partially_paid"
        assert _labels(session, order_id)[0] == "Payment Received"
        assert [r.event for r in _records(session)] == ["tracking_number_entered"]
    with any_db.transaction() as session:
        payments.log_payment(session, order_id, Decimal("25"))
        payments.refund(session, order_id, Decimal("5"))
    with any_db.session() as session:
        order = session.get_one(Order, order_id)
        assert order.payment_state == "partially_refunded"
        assert _labels(session, order_id)[0] == "Partially Refunded"
    with pytest.raises(InvalidInputError, match="left to refund"), any_db.transaction() as s:
        payments.refund(s, order_id, Decimal("100"))


def test_add_item_updates_totals(sqlite_db: Database) -> None:
    with sqlite_db.transaction() as session:
        (order_id,) = _store(session)
    with sqlite_db.transaction() as session:
        actions.add_item(
            session, order_id, sku="C", name="Extra", quantity=2, unit_price=Decimal("1.50")
        )
    with sqlite_db.session() as session:
        order = session.get_one(Order, order_id)
        assert order.item_count == 5 and order.total == Decimal("38.00")
        assert _labels(session, order_id)[1] == [None, None, "Item Added"]


def test_run_bulk__failures_reported_the_rest_done(any_db: Database) -> None:
    with any_db.transaction() as session:
        ids = _store(session, count=7)
    with any_db.transaction() as session:
        actions.cancel(session, ids[2])
    progress: list[tuple[int, int]] = []
    result = run_bulk(
        any_db,
        lambda s, i: actions.ship(s, i, tracking=[f"T{i}"], carrier="UPS"),
        ids,
        lambda done, total: progress.append((done, total)),
        chunk_size=3,
    )
    assert result.done == [i for i in ids if i != ids[2]]
    assert list(result.failed) == [ids[2]] and "cancelled" in result.failed[ids[2]]
    assert progress == [(3, 7), (6, 7), (7, 7)]
    with any_db.session() as session:
        shipments = session.execute(select(func.count()).select_from(Shipment)).scalar_one()
        assert shipments == 6
        assert len([r for r in _records(session) if r.event == "order_shipped"]) == 6


def test_run_bulk__cancel_keeps_what_is_done(sqlite_db: Database) -> None:
    with sqlite_db.transaction() as session:
        ids = _store(session, count=5)
    calls = iter([False, True])
    result = run_bulk(
        sqlite_db, actions.approve, ids, is_cancelled=lambda: next(calls), chunk_size=2
    )
    assert result.cancelled and result.done == ids[:2]
