"""The real sync cycle with the Vendure connector against the fake Admin API, on a real SQLite
store: skips, the cursor, repeat runs, changed orders and both download modes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import CartConfig
from ordermanager.carts.vendure import VendureConnector
from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, LineItem, Order, StatusUpdate
from ordermanager.eventlog import recent_events
from ordermanager.settings import set_setting
from ordermanager.status.events import Event, set_assignment
from ordermanager.sync.cycle import run_sync
from tests import factories
from tests.cart_support.fake_vendure import FakeVendure, Fault, make_line, make_order, stamp

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
FAST = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)


@pytest.fixture
def store() -> Iterator[FakeVendure]:
    with FakeVendure() as fake:
        yield fake


def opener_for(store: FakeVendure):  # type: ignore[no-untyped-def]
    def opener(config: CartConfig) -> VendureConnector:
        return VendureConnector(config, {"api_key": store.api_key}, timeout=FAST)

    return opener


def add_cart(db: Database, store: FakeVendure, mode: str = "auto-invoice") -> int:
    with db.transaction() as session:
        row = factories.cart(session, "Vendure Store", "vendure")
        row.base_url, row.download_mode = store.api_url, mode
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


def test_bad_order_skipped_and_logged__the_rest_import_with_unicode(
    sqlite_db: Database, store: FakeVendure
) -> None:
    broken = make_order(2, modified=at(2), code="V-BROKEN")
    broken["lines"][0]["unitPriceWithTax"] = "19.49"  # a string where Vendure has an Int
    zoe = make_order(
        3,
        modified=at(3),
        first_name="Zoë",
        last_name="Ångström",
        lines=[make_line("31", sku="ÉTÉ-東京-🌸", name="Sakura 🌸 東京都", quantity=1, unit=4200)],
    )
    store.add(make_order(1, modified=at(1)), broken, zoe)
    cart_id = add_cart(sqlite_db, store)

    result = run_sync(sqlite_db, cart_id, opener=opener_for(store))

    assert result.created == 2
    assert [(s.number, s.reason) for s in result.skipped] == [
        (
            "V-BROKEN",
            "its line 1 unitPriceWithTax '19.49' is not an amount in minor units",
        )
    ]
    with sqlite_db.session() as session:
        messages = [e.message for e in recent_events(session, source="sync")]
        order = session.execute(select(Order).where(Order.number == "VND000003")).scalar_one()
        assert order.customer_name == "Zoë Ångström"
        assert [(i.sku, i.name) for i in order.items] == [("ÉTÉ-東京-🌸", "Sakura 🌸 東京都")]
        assert order.remote_id == "3"
    assert messages == [
        "Cart 'Vendure Store': order V-BROKEN skipped: its line 1 unitPriceWithTax '19.49' is "
        "not an amount in minor units"
    ]
    assert cursor(sqlite_db, cart_id) == at(3)


def test_multi_page_cycle_twice__imports_nothing_twice(
    sqlite_db: Database, store: FakeVendure
) -> None:
    store.add(*(make_order(i, modified=at(i)) for i in range(1, 231)))
    cart_id = add_cart(sqlite_db, store)
    seen: list[tuple[int, int | None]] = []

    first = run_sync(
        sqlite_db, cart_id, opener=opener_for(store), progress=lambda d, t: seen.append((d, t))
    )
    assert (first.created, first.updated, first.pages) == (230, 0, 3)
    assert seen == [(100, 230), (199, 230), (230, 230)]  # page 2 re-read order 100 (dropped)
    assert count(sqlite_db, Order) == 230 and count(sqlite_db, LineItem) == 230
    assert count(sqlite_db, StatusUpdate) == 230
    assert cursor(sqlite_db, cart_id) == at(230)

    second = run_sync(sqlite_db, cart_id, opener=opener_for(store))
    assert (second.created, second.updated) == (0, 0) and second.unchanged >= 1
    assert count(sqlite_db, Order) == 230 and count(sqlite_db, StatusUpdate) == 230
    # The second cycle asked from the cursor minus the overlap window, not from the start.
    after = store.seen("orders")[-1].variables["options"]["filter"]["updatedAt"]["after"]
    assert after == "2026-11-20T13:40:00.000Z"


def test_order_changed_in_the_cart_between_cycles_is_updated(
    sqlite_db: Database, store: FakeVendure
) -> None:
    store.add(make_order(1, modified=at(1), state="PaymentAuthorized"))
    cart_id = add_cart(sqlite_db, store)
    run_sync(sqlite_db, cart_id, opener=opener_for(store))
    with sqlite_db.session() as session:
        order = session.execute(select(Order)).scalar_one()
        assert order.payment_state == "unpaid"

    changed = make_order(1, modified=at(30), state="PaymentSettled", first_name="Zoë")
    changed["lines"].append(make_line("12", sku="CUP", name="Cup", quantity=1, unit=500))
    store.add(changed)
    result = run_sync(sqlite_db, cart_id, opener=opener_for(store))

    assert (result.created, result.updated) == (0, 1)
    with sqlite_db.session() as session:
        order = session.execute(select(Order)).scalar_one()
        assert order.customer_name == "Zoë Lovelace"
        assert order.payment_state == "paid" and order.status_label is not None
        assert order.status_label.name == "Paid"
        assert sorted(i.sku for i in order.items) == ["CUP", "ENG-1"]
    assert cursor(sqlite_db, cart_id) == at(30)


def test_order_changed_during_the_cycle__no_good_order_skipped_by_the_cursor(
    sqlite_db: Database, store: FakeVendure
) -> None:
    store.add(*(make_order(i, modified=at(i)) for i in range(1, 151)))
    cart_id = add_cart(sqlite_db, store)
    moved: list[bool] = []

    def change_one_after_the_first_page(done: int, total: int | None) -> None:
        if not moved:  # order 7 is edited in the cart while we download
            store.orders["7"]["updatedAt"] = stamp(at(500))
            moved.append(True)

    result = run_sync(
        sqlite_db, cart_id, opener=opener_for(store), progress=change_one_after_the_first_page
    )
    assert result.created == 150  # order 101 (first of page 2 before the move) arrived
    assert count(sqlite_db, Order) == 150
    assert cursor(sqlite_db, cart_id) == at(500)


def test_cart_failure_mid_cycle__clear_error_cursor_stays_next_cycle_catches_up(
    sqlite_db: Database, store: FakeVendure
) -> None:
    store.add(*(make_order(i, modified=at(i)) for i in range(1, 4)))
    cart_id = add_cart(sqlite_db, store)
    run_sync(sqlite_db, cart_id, opener=opener_for(store))
    before = cursor(sqlite_db, cart_id)
    store.add(*(make_order(i, modified=at(20 + i)) for i in range(4, 205)))
    # The second page fails (a proxy's 502): the first page's orders stay, the cursor does not
    # move, and the next cycle imports the rest.
    calls = {"n": 0}

    def fail_second_page(done: int, total: int | None) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            store.fail("orders", Fault(502, retry_after="5"))

    with pytest.raises(ConnectorError) as caught:
        run_sync(sqlite_db, cart_id, opener=opener_for(store), progress=fail_second_page)
    assert str(caught.value).startswith("Vendure cart 'Vendure Store'")
    assert caught.value.retry_after == 5.0
    assert cursor(sqlite_db, cart_id) == before
    imported = count(sqlite_db, Order)
    assert 3 < imported < 204  # the first page committed
    assert run_sync(sqlite_db, cart_id, opener=opener_for(store)).created == 204 - imported
    assert count(sqlite_db, Order) == 204
    assert cursor(sqlite_db, cart_id) == at(224)


def test_wait_for_invoice__skips_until_paid__auto_invoice_imports(
    sqlite_db: Database, store: FakeVendure
) -> None:
    store.add(
        make_order(1, modified=at(1), state="PaymentAuthorized"),
        make_order(2, modified=at(2), state="PaymentSettled"),
    )
    cart_id = add_cart(sqlite_db, store, mode="wait-for-invoice")
    result = run_sync(sqlite_db, cart_id, opener=opener_for(store))
    assert result.created == 1
    assert [(s.number, s.reason) for s in result.skipped] == [("VND000001", "not invoiced yet")]

    store.add(make_order(1, modified=at(40), state="PaymentSettled"))  # settled later
    assert run_sync(sqlite_db, cart_id, opener=opener_for(store)).created == 1
    assert count(sqlite_db, Order) == 2

    with sqlite_db.transaction() as session:
        row = session.get(Cart, cart_id)
        assert row is not None
        row.download_mode = "auto-invoice"
    store.add(make_order(3, modified=at(45), state="PaymentAuthorized"))
    auto = run_sync(sqlite_db, cart_id, opener=opener_for(store))
    assert auto.created == 1 and auto.skipped == []
    with sqlite_db.session() as session:
        unpaid = session.execute(select(Order).where(Order.number == "VND000003")).scalar_one()
        assert unpaid.payment_state == "unpaid"
