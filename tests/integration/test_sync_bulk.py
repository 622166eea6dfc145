"""The sync's page-at-once write (ordermanager.sync.bulk) against its order-by-order path, on
SQLite and PostgreSQL, through real cycles against a generic-protocol cart on 127.0.0.1.

Two carts download the very same orders from one server: one cycle writes pages in bulk, the
other is forced order by order (the path a refused page falls back to). Every row either path
writes must come out the same: orders, items and their labels, search terms, payments, label
history and stack records.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select, text

from ordermanager.carts.generic import GenericConnector
from ordermanager.carts.protocol import CartConfig
from ordermanager.db.engine import Database
from ordermanager.db.models import (
    Cart,
    LabelChange,
    LineItem,
    Order,
    OrderSearchTerm,
    Payment,
    StatusLabel,
    StatusUpdate,
)
from ordermanager.db.types import Money, UTCDateTime
from ordermanager.eventlog import recent_events
from ordermanager.settings import set_setting
from ordermanager.status.events import Event, set_assignment
from ordermanager.sync import cycle
from ordermanager.sync.bulk import insert_rows
from ordermanager.sync.cycle import SyncResult, run_sync
from tests import factories
from tests.cart_support.generic_cart import GenericCart, generic_cart, make_order

SECRET = "sync-bulk-secret-0123456789abcdef"
ORDER_SKIP = {"id", "cart_id", "imported_at", "modified_at"}  # differ by nature between runs


@pytest.fixture
def cart() -> Iterator[GenericCart]:
    with generic_cart(SECRET, page_size=4) as server:
        yield server


def opener(config: CartConfig) -> GenericConnector:
    return GenericConnector(config, {"status_secret": SECRET}, timeout=httpx.Timeout(5.0))


def at(minute: int) -> str:
    return f"2026-11-20T10:{minute:02d}:00+00:00"


def two_items(n: int, minute: int, **over: Any) -> dict[str, Any]:
    order = make_order(n, modified=at(minute), **over)
    order["items"].append(
        {"id": f"li-{n}-2", "sku": "CUP", "name": "Cup", "quantity": 1, "unit_price": "4.50"}
    )
    return order


def first_orders() -> list[dict[str, Any]]:
    orders = [make_order(n, modified=at(n), paid=n % 3 != 0) for n in range(1, 7)]
    orders[1]["customer"]["name"] = "Łukasz Żółć-Smith"
    orders[2] = two_items(3, 3, paid=False)
    orders[3]["number"] = "#000123"
    orders[4]["items"][0]["name"] = "Mug «Édition spéciale»"
    return orders


def changed_orders(orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The next cycle: some orders changed, one became paid, one claims it is unpaid again."""
    changed = [dict(o) for o in orders]
    changed[0] = make_order(1, modified=at(40), paid=False)  # paid before: payment stays
    changed[0]["customer"] = {"name": "Renamed Customer", "email": "new@example.com"}
    changed[2] = two_items(3, 41, paid=True)  # became paid
    changed[2]["items"][0]["quantity"] = 5
    changed[2]["items"].append(
        {"id": "li-3-3", "sku": "PLATE", "name": "Plate", "quantity": 2, "unit_price": "7.00"}
    )
    changed[4] = dict(changed[4], modified_at=at(42))  # saved again, nothing else changed
    changed.append(two_items(7, 43, paid=True))  # a new order in the same page
    return changed


def configure(db: Database, setup: str) -> tuple[int, int]:
    with db.transaction() as session:
        ids = []
        for name in ("Bulk Store", "One By One Store"):
            row = factories.cart(session, name, "generic")
            ids.append(row.id)
        for name in ("New", "Paid", "Item New"):
            factories.label(session, name)
        set_setting(session, "UseStatusUpdates", setup != "status-updates-off")
        set_assignment(
            session,
            Event.ORDER_RECEIVED,
            order_label="New",
            item_label="Item New",
            notify_cart=True,
        )
        set_assignment(session, Event.PAYMENT_RECEIVED, order_label="Paid", notify_cart=True)
        if setup == "payment-without-label":
            set_assignment(session, Event.PAYMENT_RECEIVED, order_label=None)
        if setup == "received-disabled":
            set_assignment(session, Event.ORDER_RECEIVED, enabled=False)
        return ids[0], ids[1]


def sync_both(
    db: Database, url: str, carts: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> tuple[SyncResult, SyncResult]:
    with db.transaction() as session:
        for cart_id in carts:
            row = session.get(Cart, cart_id)
            assert row is not None
            row.base_url = url
    with monkeypatch.context() as patched:
        written = spy_on_bulk(patched)
        bulk = run_sync(db, carts[0], opener=opener)
    assert written == ["written"] * bulk.pages  # really the bulk path, every page
    with monkeypatch.context() as patched:
        patched.setattr(cycle, "_write_in_bulk", lambda *args, **kwargs: False)
        one_by_one = run_sync(db, carts[1], opener=opener)
    return bulk, one_by_one


def spy_on_bulk(patched: pytest.MonkeyPatch) -> list[str]:
    """What became of each page's bulk write: 'written' or 'refused'."""
    outcomes: list[str] = []
    real = cycle.write_orders

    def spy(*args: Any, **kwargs: Any) -> Any:
        try:
            counts = real(*args, **kwargs)
        except Exception:
            outcomes.append("refused")
            raise
        outcomes.append("written")
        return counts

    patched.setattr(cycle, "write_orders", spy)
    return outcomes


def store_of(db: Database, cart_id: int) -> dict[str, Any]:
    """Everything the sync wrote for one cart, keyed by order number, ids replaced by meaning."""
    with db.session() as session:
        names = dict(session.execute(select(StatusLabel.id, StatusLabel.name)).all())
        orders = session.execute(select(Order).where(Order.cart_id == cart_id)).scalars().all()
        found: dict[str, Any] = {}
        for order in orders:
            columns = {
                c.key: getattr(order, c.key)
                for c in Order.__table__.columns
                if c.key not in ORDER_SKIP
            }
            columns["status_label_id"] = names.get(order.status_label_id)
            position = {item.id: item.position for item in order.items}
            items = [
                (i.position, i.remote_id, i.sku, i.name, i.quantity, i.unit_price, label)
                for i in order.items
                for label in [names.get(i.status_label_id)]
            ]
            terms = session.execute(
                select(OrderSearchTerm.term).where(OrderSearchTerm.order_id == order.id)
            ).scalars()
            payments = session.execute(
                select(Payment.kind, Payment.method, Payment.reference, Payment.amount)
                .add_columns(Payment.paid_at)
                .where(Payment.order_id == order.id)
                .order_by(Payment.id)
            ).all()
            history = session.execute(
                select(LabelChange).where(LabelChange.order_id == order.id).order_by(LabelChange.id)
            ).scalars()
            records = session.execute(
                select(StatusUpdate)
                .where(StatusUpdate.order_id == order.id)
                .order_by(StatusUpdate.id)
            ).scalars()
            found[order.number] = {
                "order": columns,
                "items": items,
                "terms": sorted(terms),
                "payments": [tuple(p) for p in payments],
                "history": [
                    (
                        h.event,
                        position.get(h.line_item_id) if h.line_item_id else None,
                        names.get(h.from_label_id),
                        names.get(h.to_label_id),
                        h.changed_by,
                    )
                    for h in history
                ],
                "records": [_record(r, position) for r in records],
            }
        return found


def _record(record: StatusUpdate, position: dict[int, int]) -> dict[str, Any]:
    payload = json.loads(record.payload)
    for key in ("idempotency_key", "queued_at"):
        assert payload.pop(key)
    assert payload.pop("order")["id"] == record.order_id
    assert payload.pop("cart")["id"] == record.cart_id
    for item in payload["items"]:
        item["line_item_id"] = position[item["line_item_id"]]
    return {
        "event": record.event,
        "order_label": record.order_label,
        "state": record.state,
        "attempts": record.attempts,
        "payload": payload,
    }


@pytest.mark.parametrize(
    "setup",
    ["labels-and-notify", "payment-without-label", "received-disabled", "status-updates-off"],
)
def test_bulk_and_one_by_one__write_the_same_rows(
    any_db: Database, cart: GenericCart, setup: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    carts = configure(any_db, setup)
    cart.orders = first_orders()

    bulk, one_by_one = sync_both(any_db, cart.url, carts, monkeypatch)

    assert bulk.skipped == one_by_one.skipped == []
    assert (bulk.created, bulk.pages) == (one_by_one.created, one_by_one.pages) == (6, 2)
    assert bulk.cursor == one_by_one.cursor
    first = store_of(any_db, carts[0])
    assert first == store_of(any_db, carts[1])
    assert len(first) == 6
    if setup == "labels-and-notify":
        paid = first["G-1002"]
        assert paid["order"]["status_label_id"] == "Paid"
        assert [h[0] for h in paid["history"]] == [
            "Order Received",
            "Order Received",
            "Payment Received",
        ]
        assert [r["event"] for r in paid["records"]] == ["order_received", "payment_received"]
        assert first["G-1003"]["items"][1][-1] == "Item New"

    cart.orders = changed_orders(cart.orders)
    bulk, one_by_one = sync_both(any_db, cart.url, carts, monkeypatch)

    counts = [(r.created, r.updated, r.unchanged) for r in (bulk, one_by_one)]
    assert counts[0] == counts[1] and counts[0][:2] == (1, 3)
    second = store_of(any_db, carts[0])
    assert second == store_of(any_db, carts[1])
    renamed = second["G-1001"]
    assert renamed["order"]["customer_name"] == "Renamed Customer"
    assert renamed["order"]["payment_state"] == "paid" and len(renamed["payments"]) == 1
    became_paid = second["G-1003"]
    assert became_paid["order"]["payment_state"] == "paid"
    assert [(i[2], i[4]) for i in became_paid["items"]] == [("MUG", 5), ("CUP", 1), ("PLATE", 2)]
    assert became_paid["order"]["item_count"] == 8
    assert "new@example.com" in renamed["terms"]


def test_refused_order_in_a_bulk_page__nothing_of_the_attempt_stays(
    any_db: Database, cart: GenericCart
) -> None:
    carts = configure(any_db, "labels-and-notify")
    bad = make_order(2, modified=at(2))
    bad["items"][0]["quantity"] = 2**63  # beyond any database integer: the bulk insert fails
    cart.orders = [make_order(1, modified=at(1)), bad, make_order(3, modified=at(3))]
    with any_db.transaction() as session:
        row = session.get(Cart, carts[0])
        assert row is not None
        row.base_url = cart.url

    with pytest.MonkeyPatch.context() as patched:
        outcomes = spy_on_bulk(patched)
        result = run_sync(any_db, carts[0], opener=opener)

    assert outcomes == ["refused"]
    assert result.created == 2 and [s.number for s in result.skipped] == ["G-1002"]
    with any_db.session() as session:

        def count(model: type) -> int:
            return int(session.execute(select(func.count()).select_from(model)).scalar_one())

        # Exactly the two good orders' rows: the failed bulk attempt left nothing behind.
        assert (count(Order), count(LineItem), count(Payment)) == (2, 2, 2)
        assert count(StatusUpdate) == 4  # Order Received and Payment Received, each order
        assert count(LabelChange) == 6  # order label twice and item label once, each order
        skips = [e.message for e in recent_events(session, source="sync")]
    assert len(skips) == 1 and "G-1002 skipped: the database refused it" in skips[0]


def test_same_order_twice_in_one_page__imported_once_newest_wins(
    sqlite_db: Database, cart: GenericCart
) -> None:
    carts = configure(sqlite_db, "labels-and-notify")
    newer = make_order(1, modified=at(5))
    newer["customer"]["name"] = "Newest Name"
    cart.orders = [make_order(1, modified=at(1)), newer, make_order(2, modified=at(2))]
    with sqlite_db.transaction() as session:
        row = session.get(Cart, carts[0])
        assert row is not None
        row.base_url = cart.url

    result = run_sync(sqlite_db, carts[0], opener=opener)

    assert (result.created, result.updated) == (2, 1)
    found = store_of(sqlite_db, carts[0])
    assert sorted(found) == ["G-1001", "G-1002"]
    assert found["G-1001"]["order"]["customer_name"] == "Newest Name"
    assert [r["event"] for r in found["G-1001"]["records"]] == [
        "order_received",
        "payment_received",
    ]


def test_insert_rows__stores_as_the_orm_fills_plain_defaults_refuses_others(
    sqlite_db: Database,
) -> None:
    meta = MetaData()
    probe = Table(
        "bulk_probe",
        meta,
        Column("id", Integer, primary_key=True),
        Column("note", String(10), default="-"),
        Column("amount", Money),
        Column("made", UTCDateTime, default=lambda: datetime.now(UTC)),
    )
    meta.create_all(sqlite_db.engine)
    made = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with sqlite_db.transaction() as session:
        with pytest.raises(TypeError, match=r"bulk_probe\.made"):
            insert_rows(session, probe, [{"id": 1, "amount": Decimal("1.50")}])
        insert_rows(session, probe, [{"id": 2, "amount": Decimal("12.345"), "made": made}])
    with sqlite_db.session() as session:
        row = session.execute(select(probe.c.note, probe.c.amount, probe.c.made)).one()
        stored = session.execute(text("SELECT amount, made FROM bulk_probe")).one()
    assert tuple(row) == ("-", Decimal("12.3450"), made)
    assert tuple(stored) == (123450, "2026-01-02 03:04:05.000000")  # as the ORM stores them
