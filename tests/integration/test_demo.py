"""The demo store generator, on real SQLite files and a real PostgreSQL database.

Every store it makes is checked whole: each order's items add up to its totals to the cent, its
payments, shipments and labels agree with its states, and its search terms are the core's own.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ordermanager.db.engine import Database
from ordermanager.db.location import parse_url
from ordermanager.db.migrate import open_database
from ordermanager.db.models import (
    Cart,
    LabelChange,
    LineItem,
    Order,
    OrderSearchTerm,
    Payment,
    Shipment,
    ShipmentItem,
    StatusLabel,
    TrackingNumber,
)
from ordermanager.demo import MAX_ORDERS, DemoResult, generate_demo_store, generator
from ordermanager.demo.data import CARTS, LABELS, ODD_ORDER_EVERY, ODD_ORDERS
from ordermanager.errors import InvalidInputError
from ordermanager.orders.keys import customer_sort_key, number_key, search_terms
from ordermanager.orders.query import OrderFilter, count_orders, fetch_orders
from ordermanager.settings import get_setting
from ordermanager.status.defaults import DEFAULT_LABELS
from ordermanager.status.events import Event, get_assignment
from tests import factories

NUMBER_STYLES = {
    "woocommerce": r"\d{4,}",
    "shopify": r"#\d{4,}",
    "magento2": r"\d{9}",
    "bigcommerce": r"\d{3,}",
    "generic": r"WEB-\d{4,}",
}
SHIPPED_STATES = {"shipped", "returned", "partially_shipped"}


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> int:
    """Batches of 100, so batch-by-batch behaviour shows on a store of a few hundred orders."""
    monkeypatch.setattr(generator, "BATCH_SIZE", 100)
    return 100


@pytest.fixture
def open_sqlite(tmp_path: Path) -> Iterator[Callable[[str], Database]]:
    """Open more migrated SQLite files in the test's folder; all are closed afterwards."""
    opened: list[Database] = []

    def open_file(name: str) -> Database:
        opened.append(open_database(parse_url(f"sqlite:///{tmp_path / name}")))
        return opened[-1]

    yield open_file
    for database in opened:
        database.dispose()


def assert_store_is_consistent(database: Database) -> int:
    """Check every order of the store against its rows; return how many orders there are."""
    with database.session() as session:
        return _check_orders(session)


def _check_orders(session: Session) -> int:
    orders = session.execute(select(Order)).scalars().all()
    labels = dict(session.execute(select(StatusLabel.id, StatusLabel.name)).all())
    kinds = dict(session.execute(select(Cart.id, Cart.kind)).all())
    items: defaultdict[int, list[LineItem]] = defaultdict(list)
    for item in session.execute(select(LineItem).order_by(LineItem.position)).scalars():
        items[item.order_id].append(item)
    terms: defaultdict[int, set[str]] = defaultdict(set)
    for term, order_id in session.execute(select(OrderSearchTerm.term, OrderSearchTerm.order_id)):
        terms[order_id].add(term)
    money: defaultdict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for payment in session.execute(select(Payment)).scalars():
        money[payment.order_id, payment.kind] += payment.amount
    shipped: defaultdict[int, dict[int, int]] = defaultdict(dict)
    tracked: set[int] = set()
    shipment_items = select(Shipment.order_id, ShipmentItem.line_item_id, ShipmentItem.quantity)
    for order_id, line_id, quantity in session.execute(shipment_items.join(ShipmentItem)):
        shipped[order_id][line_id] = quantity
    tracking = select(Shipment.order_id).join(TrackingNumber)
    tracked.update(session.execute(tracking).scalars())
    last_label: dict[int, int | None] = {}
    history = select(LabelChange).order_by(LabelChange.changed_at, LabelChange.id)
    for change in session.execute(history).scalars():
        assert change.order_id not in last_label or change.from_label_id is not None
        last_label[change.order_id] = change.to_label_id
        assert bool(change.event) != bool(change.changed_by)

    now = datetime.now(UTC)
    for order in orders:
        lines = items[order.id]
        assert 1 <= len(lines) <= 7, order.number
        assert sum(line.quantity * line.unit_price for line in lines) == order.subtotal
        assert order.total == (
            order.subtotal + order.shipping_total + order.tax_total - order.discount_total
        )
        assert order.total == order.total.quantize(Decimal("0.01"))
        assert order.item_count == sum(line.quantity for line in lines)
        assert re.fullmatch(NUMBER_STYLES[kinds[order.cart_id]], order.number), order.number
        assert order.number_key == number_key(order.number)
        assert order.customer_sort == customer_sort_key(order.customer_name)
        emails = [order.customer_email, order.billing_email]
        assert terms[order.id] == search_terms(order.number, order.customer_name, emails)
        assert now - timedelta(days=731) < order.placed_at <= order.modified_at <= now
        assert order.placed_at.tzinfo is not None and order.imported_at >= order.placed_at
        assert len(order.billing_country) == 2 and order.billing_postcode

        paid, refunded = money[order.id, "payment"], money[order.id, "refund"]
        expected_net = {"unpaid": Decimal(0), "paid": order.total, "refunded": Decimal(0)}
        if order.payment_state in expected_net:
            assert paid - refunded == expected_net[order.payment_state], order.number
        else:  # partly paid, or partly refunded
            assert Decimal(0) < paid - refunded < order.total, order.number

        assert order.status_label_id is not None
        assert last_label[order.id] == order.status_label_id
        item_labels = {labels[line.status_label_id] for line in lines if line.status_label_id}
        sent = shipped[order.id]
        if order.shipping_state in SHIPPED_STATES:
            assert order.id in tracked and order.ship_date is not None
            assert all(0 < sent[line.id] <= line.quantity for line in lines if line.id in sent)
        else:
            assert not sent and order.ship_date is None
        if order.shipping_state in ("shipped", "returned"):
            assert sum(sent.values()) == order.item_count
            label = "Item Shipped" if order.shipping_state == "shipped" else "Item Returned"
            assert item_labels == {label}
        elif order.shipping_state == "partially_shipped":
            assert 0 < sum(sent.values()) < order.item_count
            assert item_labels <= {"Item Shipped", "Backordered"}
        elif order.shipping_state == "cancelled":
            assert item_labels == {"Item Cancelled"}
        else:
            assert item_labels == {labels[order.status_label_id]}
    return len(orders)


def test_demo_store__is_consistent_order_by_order(any_db: Database) -> None:
    result = generate_demo_store(any_db, 2_500, seed=3)

    assert result.orders == 2_500 and result.carts == len(CARTS) and result.seconds > 0
    assert assert_store_is_consistent(any_db) == 2_500
    with any_db.session() as session:
        carts = session.execute(select(Cart.name, Cart.kind)).all()
        assert sorted(carts) == sorted((cart.name, cart.kind) for cart in CARTS)
        by_position = select(StatusLabel.name).order_by(StatusLabel.position)
        # The demo's own labels first, then the rest of the default status events' labels.
        names = session.execute(by_position).scalars().all()
        assert names[: len(LABELS)] == list(LABELS)
        assert set(names) == set(LABELS) | set(DEFAULT_LABELS)
        # The whole loop is on: Order Shipped sets "Order Shipped" and notifies the cart.
        assert get_setting(session, "UseStatusUpdates") is True
        shipped = get_assignment(session, Event.ORDER_SHIPPED)
        assert (shipped.order_label, shipped.notify_cart) == ("Order Shipped", True)
        newest = session.execute(select(func.max(Order.placed_at))).scalar_one()
        assert datetime.now(UTC) - newest < timedelta(minutes=5)
        states = set(session.execute(select(Order.payment_state, Order.shipping_state)).all())
        assert {("paid", "shipped"), ("unpaid", "unshipped"), ("refunded", "returned")} <= states
        assert session.execute(select(func.count()).select_from(Payment)).scalar_one() > 2_000


def test_demo_store__same_seed_gives_the_same_store(
    any_db: Database, open_sqlite: Callable[[str], Database]
) -> None:
    same, different = open_sqlite("same.sqlite3"), open_sqlite("different.sqlite3")
    for database, seed in [(any_db, 42), (same, 42), (different, 43)]:
        generate_demo_store(database, 300, seed=seed)
    columns = (Order.number, Order.customer_name, Order.customer_email, Order.total)

    def store(database: Database) -> list[tuple[object, ...]]:
        with database.session() as session:
            return [tuple(row) for row in session.execute(select(*columns).order_by(Order.id))]

    assert store(any_db) == store(same)
    assert store(any_db) != store(different)


def test_demo_store__generating_twice_appends_after_each_carts_numbers(
    any_db: Database, small_batches: int
) -> None:
    generate_demo_store(any_db, 250, seed=5)
    with any_db.session() as session:
        last_id = session.execute(select(func.max(Order.id))).scalar_one()
        first_run = {cart: number for cart, number in session.execute(_numbers(func.max))}

    generate_demo_store(any_db, 250, seed=5)

    assert assert_store_is_consistent(any_db) == 500
    with any_db.session() as session:
        assert session.execute(select(func.count()).select_from(Cart)).scalar_one() == len(CARTS)
        every_label = len(set(LABELS) | set(DEFAULT_LABELS))
        assert session.execute(select(func.count(StatusLabel.id))).scalar_one() == every_label
        second_run = session.execute(_numbers(func.min).where(Order.id > last_id)).all()
        assert len(second_run) == len(CARTS)
        for cart_id, first_number in second_run:
            assert first_number > first_run[cart_id]
    # Ordinary inserts still get fresh ids afterwards (PostgreSQL's sequences were moved on).
    with any_db.transaction() as session:
        spec = factories.Spec("MANUAL-1", label="Order Received", payment_state="paid")
        spec.tracking.append("1Z999AA10123456784")
        factories.order(session, spec)
    with any_db.session() as session:
        assert count_orders(session) == 501


def _numbers(aggregate: Any) -> Select[int, str]:
    """Per cart, the lowest or highest number (by its natural-sort key)."""
    return select(Order.cart_id, aggregate(Order.number_key)).group_by(Order.cart_id)


def test_demo_store__odd_orders_are_there_and_findable(any_db: Database) -> None:
    size = generator.ODD_ORDER_AT + 1 + ODD_ORDER_EVERY * (len(ODD_ORDERS) - 1)
    generate_demo_store(any_db, size)

    with any_db.session() as session:
        for search, name in [
            ("Ångström", "Zoë Ångström"),
            ("zoe angstrom", "Zoë Ångström"),
            ("O'Brien", "Seán O'Brien"),
            ("Kierkegård", "Søren Kierkegård"),
            ("李小龙", "李小龙"),
            ("мария", "Мария Иванова"),
            ("Annie", 'Anna "Annie" Lee'),
        ]:
            found = fetch_orders(session, OrderFilter(search=search))
            assert name in {row.customer_name for row in found}, search
        longest = session.execute(select(func.max(func.length(Order.billing_street1))))
        assert longest.scalar_one() >= 300
        gifts = select(LineItem.unit_price).where(LineItem.sku == "GIFT-TOTE")
        assert session.execute(gifts).scalars().all() == [Decimal("0.00")]
    assert assert_store_is_consistent(any_db) == size


def test_demo_store__reports_progress_after_each_batch(
    sqlite_db: Database, small_batches: int
) -> None:
    calls: list[tuple[int, int]] = []

    generate_demo_store(sqlite_db, 350, progress=lambda done, total: calls.append((done, total)))

    assert calls == [(100, 350), (200, 350), (300, 350), (350, 350)]


def test_demo_store__cancel_stops_after_a_committed_batch(
    any_db: Database, small_batches: int
) -> None:
    calls: list[int] = []

    result = generate_demo_store(
        any_db,
        1_000,
        progress=lambda done, _total: calls.append(done),
        is_cancelled=lambda: len(calls) >= 2,
    )

    assert result == DemoResult(200, len(CARTS), result.seconds)
    assert assert_store_is_consistent(any_db) == 200


def test_demo_store__cancelled_before_the_first_batch_adds_no_orders(sqlite_db: Database) -> None:
    result = generate_demo_store(sqlite_db, 10, is_cancelled=lambda: True)

    assert result.orders == 0
    assert assert_store_is_consistent(sqlite_db) == 0


@pytest.mark.parametrize("orders", [0, -5, MAX_ORDERS + 1])
def test_demo_store__refuses_an_impossible_size(sqlite_db: Database, orders: int) -> None:
    with pytest.raises(InvalidInputError, match="from 1 to 5,000,000 orders"):
        generate_demo_store(sqlite_db, orders)
    with sqlite_db.session() as session:
        assert session.execute(select(func.count()).select_from(Cart)).scalar_one() == 0
