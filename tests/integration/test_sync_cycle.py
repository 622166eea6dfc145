"""The sync cycle against a generic-protocol cart on 127.0.0.1, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.generic import GenericConnector
from ordermanager.carts.protocol import CartConfig
from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, LineItem, Order, OrderSearchTerm, StatusUpdate, SyncRun
from ordermanager.eventlog import recent_events
from ordermanager.settings import set_setting
from ordermanager.status.events import Event, set_assignment
from ordermanager.sync.cycle import OVERLAP, run_sync
from tests import factories
from tests.cart_support.generic_cart import Fault, GenericCart, generic_cart, make_order

SECRET = "sync-cycle-secret-0123456789abcdef"


@pytest.fixture
def cart() -> Iterator[GenericCart]:
    with generic_cart(SECRET, page_size=3) as server:
        yield server


def opener(config: CartConfig) -> GenericConnector:
    timeout = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)
    return GenericConnector(config, {"status_secret": SECRET}, timeout=timeout)


def add_cart(db: Database, url: str, mode: str = "auto-invoice") -> int:
    with db.transaction() as session:
        row = factories.cart(session, "Script Store", "generic")
        row.base_url, row.download_mode = url, mode
        factories.label(session, "New")
        factories.label(session, "Paid")
        set_setting(session, "UseStatusUpdates", True)
        set_assignment(session, Event.ORDER_RECEIVED, order_label="New", notify_cart=True)
        set_assignment(session, Event.PAYMENT_RECEIVED, order_label="Paid", notify_cart=False)
        return row.id


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def cursor(db: Database, cart_id: int) -> datetime | None:
    with db.session() as session:
        row = session.get(Cart, cart_id)
        assert row is not None
        return row.sync_cursor


def at(minute: int) -> str:
    return f"2026-11-20T10:{minute:02d}:00+00:00"


def test_multi_page_download__imports_once_fires_and_moves_cursor(
    any_db: Database, cart: GenericCart
) -> None:
    cart.orders = [make_order(n, modified=at(n), paid=n % 2 == 0) for n in range(7)]
    cart.orders[3]["customer"]["name"] = "Łukasz Żółć"
    cart_id = add_cart(any_db, cart.url)
    seen: list[tuple[int, int | None]] = []

    first = run_sync(any_db, cart_id, opener=opener, progress=lambda d, t: seen.append((d, t)))

    assert (first.created, first.updated, first.pages) == (7, 0, 3)
    assert seen == [(3, 7), (6, 7), (7, 7)]
    assert count(any_db, Order) == 7 and count(any_db, LineItem) == 7
    assert cursor(any_db, cart_id) == datetime(2026, 11, 20, 10, 6, tzinfo=UTC)
    with any_db.session() as session:
        order = session.execute(select(Order).where(Order.number == "G-1003")).scalar_one()
        assert order.customer_name == "Łukasz Żółć"
        assert order.status_label is not None and order.status_label.name == "New"
        assert order.payment_state == "unpaid" and order.total == Decimal("28.70")
        paid = session.execute(select(Order).where(Order.number == "G-1002")).scalar_one()
        assert paid.payment_state == "paid" and paid.status_label.name == "Paid"  # type: ignore[union-attr]
        terms = session.execute(
            select(OrderSearchTerm.term).where(OrderSearchTerm.order_id == order.id)
        ).scalars()
        assert {"lukasz", "zolc", "g-1003", "1003"} <= set(terms)
    assert count(any_db, StatusUpdate) == 7  # Order Received notifies the cart

    # The same sync again: the overlap window re-downloads the newest orders; nothing changes.
    second = run_sync(any_db, cart_id, opener=opener)
    assert (second.created, second.updated) == (0, 0) and second.unchanged >= 1
    assert count(any_db, Order) == 7 and count(any_db, StatusUpdate) == 7
    since = cart.requests[-1].since
    assert since == (datetime(2026, 11, 20, 10, 6, tzinfo=UTC) - OVERLAP).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    with any_db.session() as session:
        runs = session.execute(select(SyncRun).order_by(SyncRun.id)).scalars().all()
        assert [(r.created, r.error) for r in runs] == [(7, ""), (0, "")]
        assert all(r.finished_at is not None for r in runs)


def test_changed_order__header_and_new_items_update_labels_kept(
    sqlite_db: Database, cart: GenericCart
) -> None:
    cart.orders = [make_order(1, modified=at(1), paid=False)]
    cart_id = add_cart(sqlite_db, cart.url)
    run_sync(sqlite_db, cart_id, opener=opener)
    with sqlite_db.transaction() as session:
        item = session.execute(select(LineItem)).scalar_one()
        item.status_label_id = factories.label(session, "Picked").id

    changed = make_order(1, modified=at(30), paid=True)
    changed["customer"]["name"] = "Renamed Customer"
    changed["items"].append(
        {"id": "li-1-2", "sku": "CUP", "name": "Cup", "quantity": 1, "unit_price": "5.00"}
    )
    cart.orders = [changed]
    result = run_sync(sqlite_db, cart_id, opener=opener)

    assert (result.created, result.updated) == (0, 1)
    with sqlite_db.session() as session:
        order = session.execute(select(Order)).scalar_one()
        assert order.customer_name == "Renamed Customer"
        assert order.payment_state == "paid" and order.status_label.name == "Paid"  # type: ignore[union-attr]
        assert [(i.sku, i.status_label.name if i.status_label else None) for i in order.items] == [
            ("MUG", "Picked"),
            ("CUP", None),
        ]
        assert order.item_count == 3
    assert cursor(sqlite_db, cart_id) == datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


def test_malformed_order__skipped_and_logged_rest_import(
    any_db: Database, cart: GenericCart
) -> None:
    broken = make_order(2, modified=at(2))
    broken["totals"]["total"] = "lots"
    cart.orders = [make_order(1, modified=at(1)), broken, make_order(3, modified=at(3))]
    cart_id = add_cart(any_db, cart.url)

    result = run_sync(any_db, cart_id, opener=opener)

    assert result.created == 2
    assert [(s.number, s.reason) for s in result.skipped] == [
        ("G-1002", "'totals.total' is not an amount: 'lots'")
    ]
    with any_db.session() as session:
        messages = [e.message for e in recent_events(session, source="sync")]
    assert messages == [
        "Cart 'Script Store': order G-1002 skipped: 'totals.total' is not an amount: 'lots'"
    ]
    assert cursor(any_db, cart_id) == datetime(2026, 11, 20, 10, 3, tzinfo=UTC)


def test_order_the_database_refuses__cursor_stays_before_it(
    sqlite_db: Database, cart: GenericCart
) -> None:
    # Valid JSON the database cannot store: a quantity beyond any database integer.
    bad = make_order(2, modified=at(2))
    bad["items"][0]["quantity"] = 2**63  # larger than any database integer
    cart.orders = [make_order(1, modified=at(1)), bad, make_order(3, modified=at(3))]
    cart_id = add_cart(sqlite_db, cart.url)

    result = run_sync(sqlite_db, cart_id, opener=opener)

    assert result.created == 2
    assert [s.number for s in result.skipped] == ["G-1002"]
    assert "the database refused it" in result.skipped[0].reason
    # Never past the order that failed: the next cycle asks for it again.
    assert cursor(sqlite_db, cart_id) == datetime(2026, 11, 20, 10, 2, tzinfo=UTC)


def test_wait_for_invoice__skips_until_invoiced_auto_invoice_imports(
    sqlite_db: Database, cart: GenericCart
) -> None:
    cart.orders = [
        make_order(1, modified=at(1), paid=False),
        make_order(2, modified=at(2), paid=True),
    ]
    cart_id = add_cart(sqlite_db, cart.url, mode="wait-for-invoice")
    result = run_sync(sqlite_db, cart_id, opener=opener)
    assert result.created == 1
    assert [(s.number, s.reason) for s in result.skipped] == [("G-1001", "not invoiced yet")]
    with sqlite_db.session() as session:
        assert (
            "G-1001 skipped: not invoiced yet" in recent_events(session, source="sync")[0].message
        )

    cart.orders[0] = make_order(1, modified=at(40), paid=True)  # paid later: it changed
    assert run_sync(sqlite_db, cart_id, opener=opener).created == 1
    assert count(sqlite_db, Order) == 2

    with sqlite_db.transaction() as session:
        row = session.get(Cart, cart_id)
        assert row is not None
        row.download_mode = "auto-invoice"
    cart.orders.append(make_order(3, modified=at(45), paid=False))
    auto = run_sync(sqlite_db, cart_id, opener=opener)
    assert auto.created == 1 and auto.skipped == []


@pytest.mark.parametrize(
    "fault",
    [
        Fault(429, "Too many", retry_after="30"),
        Fault(502, "Bad gateway"),
        Fault(200, "{not json", content_type="application/json"),
        Fault(hang=True),
        Fault(401, "Bad signature"),
    ],
    ids=["429", "5xx", "malformed-json", "timeout", "refused"],
)
def test_cart_failure_mid_cycle__clear_error_cursor_stays(
    sqlite_db: Database, cart: GenericCart, fault: Fault
) -> None:
    cart.orders = [make_order(n, modified=at(n)) for n in range(3)]
    cart_id = add_cart(sqlite_db, cart.url)
    run_sync(sqlite_db, cart_id, opener=opener)
    before = cursor(sqlite_db, cart_id)
    cart.orders += [make_order(n, modified=at(20 + n)) for n in range(3, 9)]
    cart.page_size = 4  # the overlap re-reads orders 0-2, so page 1 holds one new order
    cart.faults = [None, fault]  # the first page answers, the second one fails
    with pytest.raises(ConnectorError) as caught:
        run_sync(sqlite_db, cart_id, opener=opener)
    assert str(caught.value).startswith("Cart 'Script Store'")
    assert cursor(sqlite_db, cart_id) == before
    assert count(sqlite_db, Order) == 4  # the first page committed; it is re-read next time
    with sqlite_db.session() as session:
        last = session.execute(select(SyncRun).order_by(SyncRun.id.desc())).scalars().first()
        assert last is not None and last.error == str(caught.value)
    assert run_sync(sqlite_db, cart_id, opener=opener).created == 5
    assert cursor(sqlite_db, cart_id) == datetime(2026, 11, 20, 10, 28, tzinfo=UTC)


def test_unknown_cart__not_found(sqlite_db: Database) -> None:
    from ordermanager.errors import NotFoundError

    with pytest.raises(NotFoundError):
        run_sync(sqlite_db, 999, opener=opener)
