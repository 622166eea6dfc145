"""The firing rule (DESIGN.md section 3) as a table of cases, on real SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ordermanager.db.engine import Database
from ordermanager.db.models import LabelChange, LineItem, Order, StatusUpdate
from ordermanager.settings import set_setting
from ordermanager.status.events import Event, event_info, set_assignment
from ordermanager.status.firing import fire_event, status_update_row
from tests import factories
from tests.factories import Item, Spec


@dataclass(frozen=True)
class Case:
    updates_on: bool
    notify_cart: bool
    label_changes: bool  # False: the event's label is already current
    cart_capable: bool
    level: str  # "order" (Order Shipped) or "item" (Item Shipped)
    changes: int  # labels changed (order and items)
    history: int
    queued: int

    @property
    def id(self) -> str:
        return (
            f"{'on' if self.updates_on else 'off'}-"
            f"{'notify' if self.notify_cart else 'silent'}-"
            f"{'change' if self.label_changes else 'same'}-"
            f"{'capable' if self.cart_capable else 'incapable'}-{self.level}"
        )


CASES = [
    #    updates notify change capable level    changes history queued
    Case(False, True, True, True, "order", 0, 0, 0),
    Case(False, True, True, True, "item", 0, 0, 0),
    Case(False, False, False, False, "item", 0, 0, 0),
    Case(False, True, False, True, "order", 0, 0, 0),
    Case(True, True, True, True, "order", 1, 1, 1),
    Case(True, True, True, True, "item", 2, 2, 1),
    Case(True, False, True, True, "order", 1, 1, 0),
    Case(True, False, True, True, "item", 2, 2, 0),
    Case(True, True, False, True, "order", 0, 0, 0),
    Case(True, True, False, True, "item", 0, 0, 0),
    Case(True, True, True, False, "order", 1, 1, 0),
    Case(True, True, True, False, "item", 2, 2, 0),
    Case(True, False, False, False, "order", 0, 0, 0),
    Case(True, False, True, False, "item", 2, 2, 0),
]


def _make_order(session: Session, case: Case) -> int:
    start = "New" if not case.label_changes else "Old"
    factories.label(session, "Old")
    factories.label(session, "New")
    order = factories.order(
        session,
        Spec(
            number="1001",
            cart_name="Store",
            cart_kind="woocommerce" if case.cart_capable else "manual",
            label=start,
            items=[Item(sku="A", label=start), Item(sku="B", label=start)],
        ),
    )
    set_setting(session, "UseStatusUpdates", case.updates_on)
    event = Event.ORDER_SHIPPED if case.level == "order" else Event.ITEM_SHIPPED
    labels = {"order_label": "New"} if case.level == "order" else {"item_label": "New"}
    set_assignment(session, event, notify_cart=case.notify_cart, **labels)  # type: ignore[arg-type]
    return order.id


def _count(session: Session, model: type, *where: object) -> int:
    return int(session.execute(select(func.count()).select_from(model).where(*where)).scalar_one())  # type: ignore[arg-type]


def _new_labels(session: Session, order_id: int) -> int:
    new_id = factories.label(session, "New").id
    orders = _count(session, Order, Order.id == order_id, Order.status_label_id == new_id)
    items = _count(
        session, LineItem, LineItem.order_id == order_id, LineItem.status_label_id == new_id
    )
    return orders + items


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fire_event__rule_table(any_db: Database, case: Case) -> None:
    with any_db.transaction() as session:
        order_id = _make_order(session, case)
    with any_db.session() as session:
        before_new = _new_labels(session, order_id)
        before_history = _count(session, LabelChange)

    event = Event.ORDER_SHIPPED if case.level == "order" else Event.ITEM_SHIPPED
    with any_db.transaction() as session:
        result = fire_event(session, event, order_id, tracking=["1Z999"], carrier="UPS")

    with any_db.session() as session:
        assert _new_labels(session, order_id) - before_new == case.changes
        assert _count(session, LabelChange) - before_history == case.history
        assert _count(session, StatusUpdate) == case.queued
    assert (result.update_id is not None) == bool(case.queued)
    assert result.history_rows == case.history


def _ready(session: Session, *, notify: bool = True) -> int:
    factories.label(session, "Old")
    factories.label(session, "Item Shipped")
    factories.label(session, "Order Shipped")
    order = factories.order(
        session,
        Spec(number="2001", label="Old", items=[Item(sku="A", label="Old"), Item(sku="B")]),
    )
    set_setting(session, "UseStatusUpdates", True)
    set_assignment(session, Event.ITEM_SHIPPED, item_label="Item Shipped", notify_cart=notify)
    set_assignment(session, Event.ORDER_SHIPPED, order_label="Order Shipped", notify_cart=notify)
    return order.id


def test_fire_event__same_label_queues_nothing_the_second_time(any_db: Database) -> None:
    with any_db.transaction() as session:
        order_id = _ready(session)
    for _ in range(2):
        with any_db.transaction() as session:
            fire_event(session, Event.ORDER_SHIPPED, order_id)
    with any_db.session() as session:
        assert _count(session, StatusUpdate) == 1
        assert _count(session, LabelChange, LabelChange.event == "Order Shipped") == 1


def test_fire_event__record_carries_what_the_cart_needs(any_db: Database) -> None:
    with any_db.transaction() as session:
        order_id = _ready(session)
    with any_db.transaction() as session:
        result = fire_event(
            session, Event.ITEM_SHIPPED, order_id, tracking=["1Z999", "1Z998"], carrier="UPS"
        )
    with any_db.session() as session:
        record = session.get_one(StatusUpdate, result.update_id)
        assert record.event == "item_shipped" and record.state == "queued"
        assert record.attempts == 0 and record.next_attempt_at == record.queued_at
        assert len(record.idempotency_key) == 32
        items = json.loads(record.item_changes)
        assert [(i["sku"], i["label"]) for i in items] == [
            ("A", "Item Shipped"),
            ("B", "Item Shipped"),
        ]
        assert json.loads(record.tracking) == {"numbers": ["1Z999", "1Z998"], "carrier": "UPS"}
        payload = json.loads(record.payload)
        assert payload["idempotency_key"] == record.idempotency_key
        assert payload["order"]["number"] == "2001" and payload["order_label"] == "Old"


def test_fire_event__only_the_given_items(any_db: Database) -> None:
    with any_db.transaction() as session:
        order_id = _ready(session)
        first = (
            session.execute(
                select(LineItem.id).where(LineItem.order_id == order_id).order_by(LineItem.position)
            )
            .scalars()
            .first()
        )
        assert first is not None
        result = fire_event(session, Event.ITEM_SHIPPED, order_id, [first])
    assert result.items_changed == [first] and result.history_rows == 1


def test_fire_event__disabled_event_does_nothing(any_db: Database) -> None:
    with any_db.transaction() as session:
        order_id = _ready(session)
        set_assignment(session, Event.ORDER_SHIPPED, enabled=False)
    with any_db.transaction() as session:
        result = fire_event(session, Event.ORDER_SHIPPED, order_id)
    assert not result.applied and not result.changed
    with any_db.session() as session:
        assert _count(session, StatusUpdate) == 0


def test_fire_event__failure_mid_transaction_leaves_nothing(any_db: Database) -> None:
    with any_db.transaction() as session:
        order_id = _ready(session)
        history_before = _count(session, LabelChange)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), any_db.transaction() as session:
        result = fire_event(session, Event.ORDER_SHIPPED, order_id)
        assert result.update_id is not None and result.order_changed
        raise Boom

    with any_db.session() as session:
        order = session.get_one(Order, order_id)
        assert order.status_label is not None and order.status_label.name == "Old"
        assert _count(session, StatusUpdate) == 0
        assert _count(session, LabelChange) == history_before


@pytest.mark.parametrize(
    "extra",
    [
        None,
        {
            "shipment_lines": [{"remote_id": "7", "sku": "Ä-1", "quantity": 2}],
            "shipment_complete": True,
        },
        {"order_label": "Overridden", "note": "ü"},  # a key of its own replaced in place
    ],
)
def test_status_update_row__payload_text_is_the_payload_as_json_dumps_writes_it(
    extra: dict[str, object] | None,
) -> None:
    """The row builder assembles the payload text from pieces it encodes once; the text must be
    exactly what json.dumps writes for the payload (key order, separators, non-ASCII kept)."""
    items = [{"line_item_id": 1, "remote_id": "7", "sku": 'Ä"1', "label": "Item Shipped"}]
    row = status_update_row(
        event_info(Event.ORDER_SHIPPED),
        order_id=5,
        order_remote_id="r-5",
        order_number="№5",
        cart_id=2,
        cart_kind="generic",
        order_label="Shipped",
        order_changed=True,
        item_changes=items,
        tracking=["1Z999"],
        carrier="UPS",
        now=datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
        extra=extra,
        queued_by="ws-1",
    )
    expected = {
        "idempotency_key": row["idempotency_key"],
        "event": "order_shipped",
        "event_name": event_info(Event.ORDER_SHIPPED).name,
        "cart": {"id": 2, "kind": "generic"},
        "order": {"id": 5, "remote_id": "r-5", "number": "№5"},
        "order_label": "Shipped",
        "order_label_changed": True,
        "items": items,
        "tracking": {"numbers": ["1Z999"], "carrier": "UPS"},
        "queued_at": "2026-11-23T12:00:00+00:00",
        **(extra or {}),
    }
    assert row["payload"] == json.dumps(expected, ensure_ascii=False)
    assert row["item_changes"] == json.dumps(items, ensure_ascii=False)
    assert row["tracking"] == json.dumps(expected["tracking"], ensure_ascii=False)
    assert row["queued_by"] == "ws-1"
