"""The real sync cycle against the fake Shopify store, on a real SQLite file: pages read to the
end, bad orders skipped while the rest import, a cursor that never passes a good order, nothing
imported twice, changed orders updated, and both order download modes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import CartConfig, Connector
from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, LineItem, Order, StatusUpdate
from ordermanager.eventlog import recent_events
from ordermanager.settings import set_setting
from ordermanager.status.events import Event, set_assignment
from ordermanager.sync.cycle import OVERLAP, run_sync
from tests import factories
from tests.cart_support.fake_shopify import FakeShopify, Fault, connect, make_order

T0 = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def store() -> Iterator[FakeShopify]:
    with FakeShopify() as fake:
        yield fake


def opener_for(store: FakeShopify) -> Callable[[CartConfig], Connector]:
    def opener(config: CartConfig) -> Connector:
        return connect(store, url=config.base_url, name=config.name, mode=config.download_mode)

    return opener


def add_cart(db: Database, url: str, mode: str = "auto-invoice") -> int:
    with db.transaction() as session:
        row = factories.cart(session, "Zoë's Shop", "shopify")
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


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def test_sync__pages_to_the_end_skips_the_bad_order_and_imports_nothing_twice(
    sqlite_db: Database, store: FakeShopify
) -> None:
    orders = [make_order(n, modified=at(n), financial="PENDING") for n in range(1, 46)]
    del orders[9]["totalPriceSet"]  # order #1010 cannot be read
    orders[4].update(make_order(5, modified=at(5), first_name="Zoë", last_name="Ångström"))
    orders[4]["shippingAddress"].update(
        {"city": "渋谷区", "province": "東京都", "provinceCode": ""}
    )
    orders[4]["lineItems"]["nodes"][0].update({"sku": "TEE-🍵-東京", "name": "Teekanne 🍵"})
    store.add(*orders)
    cart_id = add_cart(sqlite_db, store.base_url)

    first = run_sync(sqlite_db, cart_id, opener=opener_for(store))

    assert (first.created, first.updated, first.pages) == (44, 0, 3)
    assert [(s.number, s.reason) for s in first.skipped] == [
        ("#1010", "Shopify order #1010 skipped: it has no total")
    ]
    with sqlite_db.session() as session:
        messages = [e.message for e in recent_events(session, source="sync")]
        assert messages == [
            "Cart 'Zoë's Shop': order #1010 skipped: Shopify order #1010 skipped: it has no total"
        ]
        zoe = session.execute(select(Order).where(Order.number == "#1005")).scalar_one()
        assert zoe.customer_name == "Zoë Ångström" and zoe.remote_id == "5"
        assert (zoe.shipping_city, zoe.shipping_region) == ("渋谷区", "東京都")
        assert zoe.total == Decimal("43.98") and zoe.currency == "EUR"
        assert [(i.sku, i.name, i.remote_id) for i in zoe.items] == [
            ("TEE-🍵-東京", "Teekanne 🍵", "501")
        ]
    assert count(sqlite_db, Order) == 44 and count(sqlite_db, LineItem) == 44
    # The cursor: the newest change seen (the skipped order's time is known, so it may pass it).
    assert cursor(sqlite_db, cart_id) == at(45)
    updates = count(sqlite_db, StatusUpdate)
    assert updates == 44  # Order Received notifies the cart

    second = run_sync(sqlite_db, cart_id, opener=opener_for(store))
    assert (second.created, second.updated) == (0, 0)
    assert count(sqlite_db, Order) == 44 and count(sqlite_db, StatusUpdate) == updates
    since = (at(45) - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert store.seen("Orders")[-1].variables["query"] == f"updated_at:>'{since}'"


def test_sync__order_changed_in_the_cart_is_updated(
    sqlite_db: Database, store: FakeShopify
) -> None:
    store.add(make_order(1, modified=at(1), financial="PENDING"))
    cart_id = add_cart(sqlite_db, store.base_url)
    run_sync(sqlite_db, cart_id, opener=opener_for(store))

    store.touch(1, at(30), displayFinancialStatus="PAID", email="zoe@example.jp")
    result = run_sync(sqlite_db, cart_id, opener=opener_for(store))

    assert (result.created, result.updated) == (0, 1)
    with sqlite_db.session() as session:
        order = session.execute(select(Order)).scalar_one()
        assert order.customer_email == "zoe@example.jp"
        assert order.payment_state == "paid"
        assert order.status_label is not None and order.status_label.name == "Paid"
    assert cursor(sqlite_db, cart_id) == at(30)


def test_sync__a_failed_page_leaves_the_cursor_and_the_next_cycle_gets_everything(
    sqlite_db: Database, store: FakeShopify
) -> None:
    store.add(*(make_order(n, modified=at(n)) for n in range(1, 4)))
    cart_id = add_cart(sqlite_db, store.base_url)
    run_sync(sqlite_db, cart_id, opener=opener_for(store))
    before = cursor(sqlite_db, cart_id)
    assert before == at(3)

    store.add(*(make_order(n, modified=at(20 + n)) for n in range(4, 50)))
    store.fail("Orders", None, Fault(503))  # the first page answers, the second one fails
    with pytest.raises(ConnectorError) as caught:
        run_sync(sqlite_db, cart_id, opener=opener_for(store))
    assert caught.value.transient is True and "HTTP 503" in str(caught.value)
    assert cursor(sqlite_db, cart_id) == before  # never past an order not yet read
    assert count(sqlite_db, Order) == 3 + 17  # the first page (3 re-read, 17 new) committed

    result = run_sync(sqlite_db, cart_id, opener=opener_for(store))
    assert result.created == 29
    assert count(sqlite_db, Order) == 49
    assert cursor(sqlite_db, cart_id) == at(69)


def test_wait_for_invoice__unpaid_skipped_until_paid_auto_invoice_imports(
    sqlite_db: Database, store: FakeShopify
) -> None:
    store.add(
        make_order(1, modified=at(1), financial="PENDING"),
        make_order(2, modified=at(2), financial="PAID"),
        make_order(3, modified=at(3), financial="AUTHORIZED"),
    )
    cart_id = add_cart(sqlite_db, store.base_url, mode="wait-for-invoice")
    result = run_sync(sqlite_db, cart_id, opener=opener_for(store))
    assert result.created == 1
    assert [(s.number, s.reason) for s in result.skipped] == [
        ("#1001", "not invoiced yet"),
        ("#1003", "not invoiced yet"),
    ]
    with sqlite_db.session() as session:
        assert [o.number for o in session.execute(select(Order)).scalars()] == ["#1002"]

    store.touch(1, at(40), displayFinancialStatus="PAID")  # paid later: it changed
    assert run_sync(sqlite_db, cart_id, opener=opener_for(store)).created == 1
    assert count(sqlite_db, Order) == 2

    with sqlite_db.transaction() as session:
        row = session.get(Cart, cart_id)
        assert row is not None
        row.download_mode = "auto-invoice"
    store.add(make_order(4, modified=at(45), financial="PENDING"))
    auto = run_sync(sqlite_db, cart_id, opener=opener_for(store))
    assert auto.created == 1 and auto.skipped == []
    with sqlite_db.session() as session:
        unpaid = session.execute(select(Order).where(Order.number == "#1004")).scalar_one()
        assert unpaid.payment_state == "unpaid"
