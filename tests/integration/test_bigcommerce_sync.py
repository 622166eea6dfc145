"""The real sync cycle (run_sync) against the BigCommerce-like server on a real SQLite store:
skips, the cursor, repeat runs, changed orders and both download modes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from ordermanager.carts.bigcommerce import BigCommerceConnector
from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import CartConfig, OrderPage
from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, LineItem, Order
from ordermanager.eventlog import recent_events
from ordermanager.sync.cycle import OVERLAP, run_sync
from tests import factories
from tests.cart_support.fake_bigcommerce import (
    FakeBigCommerce,
    Fault,
    make_address,
    make_order,
    make_product,
    rfc2822,
)

T0 = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
FAST = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)
PAGE = 3  # small pages, so a handful of orders spans several


@pytest.fixture
def store() -> Iterator[FakeBigCommerce]:
    with FakeBigCommerce() as fake:
        yield fake


def opener_for(store: FakeBigCommerce) -> Callable[[CartConfig], BigCommerceConnector]:
    def opener(config: CartConfig) -> BigCommerceConnector:
        conn = BigCommerceConnector(config, {"access_token": store.access_token}, timeout=FAST)
        conn.page_size = PAGE
        return conn

    return opener


def add_cart(db: Database, url: str, mode: str = "auto-invoice") -> int:
    with db.transaction() as session:
        row = factories.cart(session, "BC Störe", "bigcommerce")
        row.base_url, row.download_mode = url, mode
        return row.id


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def cursor(db: Database, cart_id: int) -> datetime | None:
    with db.session() as session:
        row = session.get(Cart, cart_id)
        assert row is not None
        return row.sync_cursor


def test_sync__pages_skip_bad_order_rest_import_and_twice_imports_nothing_twice(
    sqlite_db: Database, store: FakeBigCommerce
) -> None:
    for n in range(1, 8):
        store.add(make_order(n, modified=at(n)))
    store.orders[2]["billing_address"]["first_name"] = "Zoë"
    store.orders[2]["billing_address"]["last_name"] = "Ångström 🌸"
    store.addresses[2] = [make_address(2, 2, state="東京都", city="渋谷区", country_iso2="JP")]
    store.products[2] = [make_product(20, 2, name="抹茶 🍵", sku="MATCHA-東京", quantity=3)]
    store.orders[4]["total_inc_tax"] = "lots"  # a bad order in the middle of page 2
    cart_id = add_cart(sqlite_db, store.base_url)

    first = run_sync(sqlite_db, cart_id, opener=opener_for(store))

    assert (first.created, first.updated) == (6, 0)
    assert [(s.number, s.reason) for s in first.skipped] == [
        ("4", "BigCommerce order 4 skipped: its total_inc_tax 'lots' is not an amount")
    ]
    # Pages of 3, each from the last change seen (inclusive): [1 2 3] [3 4 5] [5 6 7] [7].
    assert first.pages == 4
    with sqlite_db.session() as session:
        numbers = session.execute(select(Order.number).order_by(Order.id)).scalars().all()
        assert numbers == ["1", "2", "3", "5", "6", "7"]
        two = session.execute(select(Order).where(Order.remote_id == "2")).scalar_one()
        assert two.customer_name == "Zoë Ångström 🌸"
        assert (two.shipping_region, two.shipping_city, two.shipping_country) == (
            "東京都",
            "渋谷区",
            "JP",
        )
        assert [(i.sku, i.name, i.quantity, i.remote_id) for i in two.items] == [
            ("MATCHA-東京", "抹茶 🍵", 3, "20")
        ]
        assert two.total == Decimal("43.98")
        messages = [e.message for e in recent_events(session, source="sync")]
    assert messages == [
        "Cart 'BC Störe': order 4 skipped: BigCommerce order 4 skipped: its total_inc_tax "
        "'lots' is not an amount"
    ]
    assert cursor(sqlite_db, cart_id) == at(7)

    # The same sync again: the overlap re-reads the newest orders; nothing is imported twice.
    before = len(store.seen())
    second = run_sync(sqlite_db, cart_id, opener=opener_for(store))
    assert (second.created, second.updated) == (0, 0) and second.unchanged >= 1
    assert count(sqlite_db, Order) == 6 and count(sqlite_db, LineItem) == 6
    first_list = store.seen()[before]
    assert first_list.path == "orders"
    assert first_list.query["min_date_modified"] == rfc2822(at(7) - OVERLAP)
    assert cursor(sqlite_db, cart_id) == at(7)


def test_sync__changed_order_is_updated_and_cursor_moves(
    sqlite_db: Database, store: FakeBigCommerce
) -> None:
    store.add(make_order(1, modified=at(1), payment_status="pending", status_id=7))
    cart_id = add_cart(sqlite_db, store.base_url)
    run_sync(sqlite_db, cart_id, opener=opener_for(store))

    changed = make_order(1, modified=at(30), first_name="Renamed", status_id=11)
    store.add(
        changed,
        [make_product(10, 1), make_product(11, 1, name="Cup", sku="CUP", quantity=1)],
    )
    result = run_sync(sqlite_db, cart_id, opener=opener_for(store))

    assert (result.created, result.updated) == (0, 1)
    with sqlite_db.session() as session:
        order = session.execute(select(Order)).scalar_one()
        assert order.customer_name == "Renamed Lovelace"
        assert order.payment_state == "paid"
        assert [i.sku for i in order.items] == ["ENG-1", "CUP"]
    assert cursor(sqlite_db, cart_id) == at(30)


def test_sync__cursor_never_passes_an_order_changed_during_the_download(
    sqlite_db: Database, store: FakeBigCommerce
) -> None:
    for n in range(1, 8):
        store.add(make_order(n, modified=at(n)))
    cart_id = add_cart(sqlite_db, store.base_url)
    opener = opener_for(store)
    moved = False

    def open_and_watch(config: CartConfig) -> BigCommerceConnector:
        conn = opener(config)
        real = conn.list_orders

        def list_orders(since: datetime, page: str | None) -> OrderPage:
            nonlocal moved
            result = real(since, page)
            if not moved:  # after page 1: order 2 changes in the cart, order 8 is new
                moved = True
                store.add(make_order(2, modified=at(50), first_name="Later"))
                store.add(make_order(8, modified=at(8)))
            return result

        conn.list_orders = list_orders  # type: ignore[method-assign]
        return conn

    result = run_sync(sqlite_db, cart_id, opener=open_and_watch)
    assert result.created == 8  # order 8 arrived mid-download and was still seen
    with sqlite_db.session() as session:
        two = session.execute(select(Order).where(Order.remote_id == "2")).scalar_one()
        assert two.customer_name == "Later Lovelace"  # its change was read in the same cycle
    assert cursor(sqlite_db, cart_id) == at(50)


def test_wait_for_invoice__skips_unpaid_until_paid_auto_invoice_imports(
    sqlite_db: Database, store: FakeBigCommerce
) -> None:
    store.add(make_order(1, modified=at(1), payment_status="pending", status_id=7))
    store.add(make_order(2, modified=at(2), payment_status="captured", status_id=11))
    store.add(make_order(3, modified=at(3), payment_status="", status_id=10))  # Completed
    cart_id = add_cart(sqlite_db, store.base_url, mode="wait-for-invoice")

    result = run_sync(sqlite_db, cart_id, opener=opener_for(store))
    assert result.created == 2
    assert [(s.number, s.reason) for s in result.skipped] == [("1", "not invoiced yet")]

    store.add(make_order(1, modified=at(40), payment_status="captured", status_id=11))
    assert run_sync(sqlite_db, cart_id, opener=opener_for(store)).created == 1
    assert count(sqlite_db, Order) == 3

    with sqlite_db.transaction() as session:
        row = session.get(Cart, cart_id)
        assert row is not None
        row.download_mode = "auto-invoice"
    store.add(make_order(4, modified=at(45), payment_status="pending", status_id=1))
    auto = run_sync(sqlite_db, cart_id, opener=opener_for(store))
    assert auto.created == 1 and auto.skipped == []
    with sqlite_db.session() as session:
        four = session.execute(select(Order).where(Order.remote_id == "4")).scalar_one()
        assert four.payment_state == "unpaid"


@pytest.mark.parametrize(
    "fault",
    [
        Fault(429, headers={"X-Rate-Limit-Time-Reset-Ms": "60000"}),
        Fault(502),
        Fault(200, body="[{not json"),
        Fault(hang=True),
    ],
    ids=["429", "5xx", "malformed-json", "timeout"],
)
def test_cart_failure_mid_cycle__clear_error_cursor_stays(
    sqlite_db: Database, store: FakeBigCommerce, fault: Fault
) -> None:
    for n in range(1, 4):
        store.add(make_order(n, modified=at(n)))
    cart_id = add_cart(sqlite_db, store.base_url)
    run_sync(sqlite_db, cart_id, opener=opener_for(store))
    before = cursor(sqlite_db, cart_id)
    for n in range(4, 10):
        store.add(make_order(n, modified=at(20 + n)))
    store.fail("orders", Fault(passthrough=True), fault)  # page 1 answers, page 2 fails
    with pytest.raises(ConnectorError) as caught:
        run_sync(sqlite_db, cart_id, opener=opener_for(store))
    assert str(caught.value).startswith("BigCommerce cart 'BC Störe'")
    assert store.access_token not in str(caught.value)
    assert cursor(sqlite_db, cart_id) == before
    assert count(sqlite_db, Order) == 3  # page 1 (the overlap) committed; nothing lost
    assert run_sync(sqlite_db, cart_id, opener=opener_for(store)).created == 6
    assert cursor(sqlite_db, cart_id) == at(29)
