"""The real sync cycle (``run_sync``) on a real SQLite store (and PostgreSQL for the main flow)
against the Magento-like server on 127.0.0.1: skips, cursor, re-runs, changes, and both Order
Download Modes with Magento's real invoices."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from ordermanager.carts.magento2 import Magento2Connector
from ordermanager.carts.protocol import CartConfig
from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, LineItem, Order
from ordermanager.eventlog import recent_events
from ordermanager.sync.cycle import OVERLAP, SyncResult, run_sync
from ordermanager.sync.invoicing import INVOICED_ELSEWHERE, NOT_INVOICED
from tests import factories
from tests.cart_support.fake_magento2 import FakeMagento2, Fault, make_item, make_order

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
FAST = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)
FIRST_VALUE = "searchCriteria[filter_groups][0][filters][0][value]"


def at(minute: int, second: int = 0) -> datetime:
    return T0 + timedelta(minutes=minute, seconds=second)


@pytest.fixture
def store() -> Iterator[FakeMagento2]:
    with FakeMagento2(now=at(600)) as fake:  # changes made in the cart are stamped 20:00
        yield fake


def add_cart(db: Database, url: str, mode: str) -> int:
    with db.transaction() as session:
        row = factories.cart(session, "Magento Märkte", "magento2")
        row.base_url, row.download_mode = url, mode
        return row.id


def sync(db: Database, cart_id: int, store: FakeMagento2) -> SyncResult:
    def opener(config: CartConfig) -> Magento2Connector:
        return Magento2Connector(config, {"access_token": store.token}, timeout=FAST)

    return run_sync(db, cart_id, opener=opener)


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def cursor(db: Database, cart_id: int) -> datetime | None:
    with db.session() as session:
        row = session.get(Cart, cart_id)
        assert row is not None
        return row.sync_cursor


def order_row(db: Database, number: str) -> Order:
    with db.session() as session:
        row = session.execute(select(Order).where(Order.number == number)).scalar_one()
        session.expunge(row)
        return row


def test_sync__pages_skip_a_bad_order_import_once_and_update_changes(
    any_db: Database, store: FakeMagento2
) -> None:
    orders = [make_order(n, updated=at(n), invoiced=True) for n in range(1, 231)]
    orders[149]["grand_total"] = None  # order 150 cannot be read
    orders[6] = make_order(
        7,
        updated=at(7),
        invoiced=True,
        firstname="Zoë",
        lastname="Ångström",
        city="東京都",
        items=[make_item(70, sku="SKU-🚀-東", name="Raumschiff 🚀 «Ærø»", qty=3, price=1.1)],
    )
    store.add(*orders)
    cart_id = add_cart(any_db, store.base_url, "wait-for-invoice")

    first = sync(any_db, cart_id, store)

    assert (first.created, first.updated, first.pages) == (229, 0, 3)
    assert [(s.number, s.reason) for s in first.skipped] == [
        ("000000150", "Magento order 000000150 skipped: it has no grand_total")
    ]
    assert count(any_db, Order) == 229
    assert cursor(any_db, cart_id) == at(230)
    zoe = order_row(any_db, "000000007")
    assert (zoe.customer_name, zoe.billing_city, zoe.shipping_city) == (
        "Zoë Ångström",
        "東京都",
        "東京都",
    )
    with any_db.session() as session:
        item = session.execute(select(LineItem).where(LineItem.order_id == zoe.id)).scalar_one()
        assert (item.sku, item.name, item.quantity, item.unit_price) == (
            "SKU-🚀-東",
            "Raumschiff 🚀 «Ærø»",
            3,
            Decimal("1.1"),
        )
        messages = [e.message for e in recent_events(session, source="sync")]
    assert any("order 000000150 skipped: Magento order 000000150 skipped" in m for m in messages)

    # The same sync again: only the overlap window is asked for; nothing is imported twice.
    before = len(store.seen())
    second = sync(any_db, cart_id, store)
    assert (second.created, second.updated) == (0, 0)
    assert count(any_db, Order) == 229
    asked = store.seen()[before].query[FIRST_VALUE]
    assert asked == (at(230) - OVERLAP).strftime("%Y-%m-%d %H:%M:%S")

    # Order 7 changes in the cart: the next cycle updates it.
    changed = make_order(
        7, updated=at(300), invoiced=True, firstname="Zoë", lastname="Ångström-Ørsted"
    )
    store.add(changed)
    third = sync(any_db, cart_id, store)
    assert (third.created, third.updated) == (0, 1)
    assert order_row(any_db, "000000007").customer_name == "Zoë Ångström-Ørsted"
    assert cursor(any_db, cart_id) == at(300)


def test_cursor_never_skips_a_good_order(sqlite_db: Database, store: FakeMagento2) -> None:
    # 150 orders saved in the same second: keyset pages on the entity id inside that second.
    store.add(*(make_order(n, updated=at(5, 30), invoiced=True) for n in range(1, 151)))
    cart_id = add_cart(sqlite_db, store.base_url, "wait-for-invoice")
    assert sync(sqlite_db, cart_id, store).created == 150
    assert cursor(sqlite_db, cart_id) == at(5, 30)
    # Another order saved later in that very second, after our download, and one a bit later.
    store.add(make_order(151, updated=at(5, 30), invoiced=True))
    store.add(make_order(152, updated=at(6), invoiced=True))
    again = sync(sqlite_db, cart_id, store)
    assert (again.created, again.updated) == (2, 0)
    assert count(sqlite_db, Order) == 152


def test_wait_for_invoice__skips_until_magento_invoiced(
    sqlite_db: Database, store: FakeMagento2
) -> None:
    store.add(make_order(1, updated=at(1)), make_order(2, updated=at(2), invoiced=True))
    cart_id = add_cart(sqlite_db, store.base_url, "wait-for-invoice")

    first = sync(sqlite_db, cart_id, store)

    assert first.created == 1
    assert [(s.number, s.reason) for s in first.skipped] == [("000000001", NOT_INVOICED)]
    assert [r.path for r in store.seen("POST")] == []  # Wait-For-Invoice never invoices
    # Invoiced in the Magento admin later: the order changed and arrives.
    with store._lock:
        store.invoice(store.orders[1], {"capture": True})
    second = sync(sqlite_db, cart_id, store)
    assert second.created == 1 and second.skipped == []
    assert order_row(sqlite_db, "000000001").payment_state == "paid"


def test_auto_invoice__invoices_in_magento_and_skips_orders_invoiced_elsewhere(
    sqlite_db: Database, store: FakeMagento2
) -> None:
    store.add(make_order(3, updated=at(3)), make_order(4, updated=at(4), invoiced=True))
    cart_id = add_cart(sqlite_db, store.base_url, "auto-invoice")

    first = sync(sqlite_db, cart_id, store)

    assert first.created == 1
    assert [(s.number, s.reason) for s in first.skipped] == [("000000004", INVOICED_ELSEWHERE)]
    (post,) = store.seen("POST")
    assert (post.path, post.body) == ("order/3/invoice", {"capture": True, "notify": False})
    assert post.headers["Authorization"] == f"Bearer {store.token}"
    assert list(store.invoices) == [500]
    assert store.orders[3]["total_invoiced"] == store.orders[3]["grand_total"]
    with sqlite_db.session() as session:
        messages = [e.message for e in recent_events(session, source="sync")]
    assert any("000000003 invoiced in the cart (Magento invoice 500 created" in m for m in messages)

    # Invoicing changed the order in Magento: the next cycle updates it, and does not invoice again.
    second = sync(sqlite_db, cart_id, store)
    assert (second.created, second.updated) == (0, 1)
    assert len(store.seen("POST")) == 1
    assert order_row(sqlite_db, "000000003").payment_state == "paid"
    assert count(sqlite_db, Order) == 1


def test_auto_invoice__a_refused_invoice_is_logged_and_tried_again(
    sqlite_db: Database, store: FakeMagento2
) -> None:
    store.add(make_order(5, updated=at(5)))
    cart_id = add_cart(sqlite_db, store.base_url, "auto-invoice")
    store.fail("invoice", Fault(503))

    first = sync(sqlite_db, cart_id, store)

    assert first.created == 1 and store.invoices == {}
    with sqlite_db.session() as session:
        messages = [e.message for e in recent_events(session, source="sync")]
    assert any("000000005 could not be invoiced in the cart" in m for m in messages)
    assert all(store.token not in m for m in messages)
    second = sync(sqlite_db, cart_id, store)
    assert [r.path for r in store.seen("POST")] == ["order/5/invoice", "order/5/invoice"]
    assert list(store.invoices) == [500] and second.created == 0
