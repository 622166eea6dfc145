"""Sync status and schedule queries (ordermanager.sync.status / .schedule) on SQLite and
PostgreSQL: real sync cycles against a generic-protocol cart on 127.0.0.1, plus hand-made sync
runs for the time rules (stale, running, due)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import event, func, select, update

from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.generic import GenericConnector
from ordermanager.carts.protocol import CartConfig
from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, StatusUpdate, SyncRun
from ordermanager.eventlog import log_event
from ordermanager.settings import set_setting
from ordermanager.status.events import Event, set_assignment
from ordermanager.sync.cycle import run_sync
from ordermanager.sync.schedule import due_carts
from ordermanager.sync.status import CartSyncStatus, SkipReason, cart_sync_statuses
from tests import factories
from tests.cart_support.generic_cart import GenericCart, generic_cart, make_order

SECRET = "sync-status-secret-0123456789abcdef"
KINDS = frozenset({"generic", "woocommerce"})  # what counts as installed, whatever is
NOT_AN_AMOUNT = "'totals.total' is not an amount: 'lots'"


@pytest.fixture
def cart() -> Iterator[GenericCart]:
    with generic_cart(SECRET, page_size=4) as server:
        yield server


def opener(config: CartConfig) -> GenericConnector:
    timeout = httpx.Timeout(connect=2.0, read=2.0, write=2.0, pool=2.0)
    return GenericConnector(config, {"status_secret": SECRET}, timeout=timeout)


def add_cart(db: Database, name: str, url: str, mode: str = "auto-invoice", **extra: object) -> int:
    with db.transaction() as session:
        row = factories.cart(session, name, "generic")
        row.base_url, row.download_mode = url, mode
        for key, value in extra.items():
            setattr(row, key, value)
        factories.label(session, "New")
        set_setting(session, "UseStatusUpdates", True)
        set_assignment(session, Event.ORDER_RECEIVED, order_label="New", notify_cart=True)
        return row.id


def statuses(db: Database, now: datetime | None = None) -> dict[str, CartSyncStatus]:
    with db.session() as session:
        found = cart_sync_statuses(session, now or datetime.now(UTC), kinds=KINDS)
    return {s.name: s for s in found}


def at(minute: int) -> str:
    return f"2026-11-20T10:{minute:02d}:00+00:00"


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/ordermanager.php"


def test_last_run_counts_and_skip_reasons_grouped_per_cart(
    any_db: Database, cart: GenericCart
) -> None:
    broken = make_order(5, modified=at(5))
    broken["totals"]["total"] = "lots"
    cart.orders = [
        *(make_order(n, modified=at(n), paid=False) for n in range(1, 4)),
        make_order(4, modified=at(4), paid=True),
        broken,
        make_order(6, modified=at(6), paid=True),
    ]
    # Names with LIKE wildcards and a common start: each cart sees only its own skips.
    waiting = add_cart(any_db, "50% Off_Shop", cart.url, mode="wait-for-invoice")
    other = add_cart(any_db, "50% Off_Shop Outlet", cart.url)
    first = run_sync(any_db, waiting, opener=opener)
    second = run_sync(any_db, other, opener=opener)
    assert (first.created, len(first.skipped)) == (2, 4)
    assert (second.created, len(second.skipped)) == (5, 1)

    found = statuses(any_db)

    shop = found["50% Off_Shop"]
    assert (shop.downloaded, shop.created, shop.updated, shop.skipped) == (5, 2, 0, 4)
    assert shop.skip_reasons == (
        SkipReason("not invoiced yet", 3),
        SkipReason(NOT_AN_AMOUNT, 1),
    )
    assert shop.last_success_at is not None and shop.last_error == ""
    assert not shop.stale and not shop.running and shop.scheduled
    assert shop.next_sync_at is not None
    assert shop.next_sync_at >= shop.last_success_at + timedelta(minutes=15)
    assert shop.stack_waiting == 2  # Order Received notifies the cart, once per new order
    outlet = found["50% Off_Shop Outlet"]
    assert outlet.skip_reasons == (SkipReason(NOT_AN_AMOUNT, 1),)
    assert (outlet.created, outlet.skipped) == (5, 1)


def test_skip_reasons_are_those_of_the_last_successful_run(
    any_db: Database, cart: GenericCart
) -> None:
    cart.orders = [make_order(1, modified=at(1), paid=False)]
    cart_id = add_cart(any_db, "Script Store", cart.url, mode="wait-for-invoice")
    run_sync(any_db, cart_id, opener=opener)
    assert statuses(any_db)["Script Store"].skip_reasons == (SkipReason("not invoiced yet", 1),)

    cart.orders = [make_order(1, modified=at(40), paid=True)]  # paid now: imported, no skip
    run_sync(any_db, cart_id, opener=opener)

    status = statuses(any_db)["Script Store"]
    assert (status.created, status.skipped, status.skip_reasons) == (1, 0, ())


def test_failed_cycle__error_shown_counts_and_time_of_the_last_success_kept(
    any_db: Database, cart: GenericCart
) -> None:
    cart.orders = [make_order(n, modified=at(n)) for n in range(1, 4)]
    cart_id = add_cart(any_db, "Script Store", cart.url)
    run_sync(any_db, cart_id, opener=opener)
    before = statuses(any_db)["Script Store"]
    with any_db.transaction() as session:
        session.execute(update(Cart).values(base_url=closed_port_url()))

    with pytest.raises(ConnectorError):
        run_sync(any_db, cart_id, opener=opener)

    after = statuses(any_db)["Script Store"]
    assert after.last_error and SECRET not in after.last_error
    assert after.last_error_at is not None and before.last_success_at is not None
    assert after.last_error_at > before.last_success_at
    assert after.last_success_at == before.last_success_at
    assert (after.created, after.downloaded) == (3, 3)
    assert not after.running

    # A later success clears the error.
    with any_db.transaction() as session:
        session.execute(update(Cart).values(base_url=cart.url))
    run_sync(any_db, cart_id, opener=opener)
    assert statuses(any_db)["Script Store"].last_error == ""


def _cart(db: Database, name: str, now: datetime, **fields: object) -> int:
    with db.transaction() as session:
        row = Cart(
            name=name,
            kind=str(fields.pop("kind", "generic")),
            base_url="https://shop.example/ordermanager.php",
            created_at=now - timedelta(days=30),
            sync_interval_minutes=15,
            **fields,
        )
        session.add(row)
        session.flush()
        return row.id


def _run(
    db: Database, cart_id: int, started: datetime, finished: datetime | None, error: str = ""
) -> None:
    with db.transaction() as session:
        session.add(
            SyncRun(
                cart_id=cart_id,
                started_at=started,
                finished_at=finished,
                downloaded=0,
                created=0,
                updated=0,
                skipped=0,
                error=error,
            )
        )


NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LIMIT = timedelta(minutes=2 * 15 + 1)  # twice the interval plus the grace minute


def test_stale_running_and_not_scheduled(any_db: Database) -> None:
    fresh = _cart(any_db, "Fresh", NOW, last_sync_at=NOW - LIMIT + timedelta(seconds=1))
    _cart(any_db, "Stale", NOW, last_sync_at=NOW - LIMIT - timedelta(seconds=1))
    _cart(any_db, "Never", NOW)  # added 30 days ago, never synced
    _cart(any_db, "Demo", NOW, demo=True)
    _cart(any_db, "Off", NOW, enabled=False)
    _cart(any_db, "Shopify", NOW, kind="shopify")
    running = _cart(any_db, "Running", NOW, last_sync_at=NOW - timedelta(minutes=5))
    crashed = _cart(any_db, "Crashed", NOW, last_sync_at=NOW - timedelta(minutes=5))
    _run(any_db, running, NOW - timedelta(minutes=3), None)
    _run(any_db, crashed, NOW - timedelta(hours=2), None)
    _run(any_db, fresh, NOW - timedelta(minutes=40), NOW - timedelta(minutes=30), "timed out")

    found = statuses(any_db, NOW)

    assert {name for name, s in found.items() if s.stale} == {"Stale", "Never"}
    assert found["Running"].running and found["Running"].running_since is not None
    assert not found["Crashed"].running  # unfinished for over an hour: taken for a crash
    assert found["Demo"].not_scheduled_because == "demo cart"
    assert found["Off"].not_scheduled_because == "disabled"
    assert found["Shopify"].not_scheduled_because == "no connector for shopify carts yet"
    assert found["Never"].next_sync_at is None  # due at once
    assert found["Fresh"].last_error == "timed out"


def test_due_carts__interval_attempts_running_and_unscheduled(any_db: Database) -> None:
    interval = timedelta(minutes=15)
    never = _cart(any_db, "Never", NOW)
    due = _cart(any_db, "Due", NOW, last_sync_at=NOW - interval)
    _cart(any_db, "Recent", NOW, last_sync_at=NOW - interval + timedelta(seconds=1))
    tried = _cart(any_db, "Tried", NOW, last_sync_at=NOW - timedelta(hours=3))
    _run(any_db, tried, NOW - timedelta(minutes=5), NOW - timedelta(minutes=4), "refused")
    busy = _cart(any_db, "Busy", NOW, last_sync_at=NOW - timedelta(hours=3))
    _run(any_db, busy, NOW - timedelta(minutes=30), None)
    crashed = _cart(any_db, "Crashed", NOW, last_sync_at=NOW - timedelta(hours=3))
    _run(any_db, crashed, NOW - timedelta(hours=2), None)
    _cart(any_db, "Demo", NOW, demo=True)
    _cart(any_db, "Off", NOW, enabled=False)
    _cart(any_db, "Shopify", NOW, kind="shopify")

    with any_db.session() as session:
        assert due_carts(session, NOW, kinds=KINDS) == [crashed, due, never]
        # Once the failed attempt is an interval old, it is tried again.
        later = NOW + timedelta(minutes=11)
        assert tried in due_carts(session, later, kinds=KINDS)
        assert busy not in due_carts(session, later, kinds=KINDS)


def test_stack_counts_per_cart(any_db: Database, cart: GenericCart) -> None:
    cart.orders = [make_order(n, modified=at(n)) for n in range(1, 4)]
    cart_id = add_cart(any_db, "Script Store", cart.url)
    run_sync(any_db, cart_id, opener=opener)
    with any_db.transaction() as session:
        first = session.execute(select(func.min(StatusUpdate.id))).scalar_one()
        session.execute(update(StatusUpdate).where(StatusUpdate.id == first).values(state="held"))

    status = statuses(any_db)["Script Store"]

    assert (status.stack_waiting, status.stack_held) == (3, 1)
    assert status.last_status_sent_at is None  # not recorded per cart by the stack (yet)


def test_one_statement_per_concern_whatever_the_number_of_carts(
    any_db: Database, cart: GenericCart
) -> None:
    def statements(carts: int) -> int:
        for n in range(carts):
            cart_id = add_cart(any_db, f"Store {carts}-{n}", cart.url, mode="wait-for-invoice")
            run_sync(any_db, cart_id, opener=opener)
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(any_db.engine, "before_cursor_execute", count)
        try:
            found = statuses(any_db)
        finally:
            event.remove(any_db.engine, "before_cursor_execute", count)
        assert all(s.skip_reasons for s in found.values())
        return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])

    cart.orders = [make_order(n, modified=at(n), paid=n % 2 == 0) for n in range(1, 6)]
    assert statements(1) == statements(4)


def test_skip_reasons_group_past_a_connectors_own_skipped_prefix(any_db: Database) -> None:
    # WooCommerce words its reasons "WooCommerce order 7 skipped: <why>"; the cycle adds its own
    # "Cart '...': order 7 skipped: " in front. Grouping is by <why>, not per order number.
    cart_id = _cart(any_db, "Juniper & Co", NOW, kind="woocommerce")
    started, finished = NOW - timedelta(minutes=2), NOW - timedelta(minutes=1)
    with any_db.transaction() as session:
        session.add(
            SyncRun(
                cart_id=cart_id,
                started_at=started,
                finished_at=finished,
                downloaded=3,
                created=0,
                updated=0,
                skipped=3,
                error="",
            )
        )
        for number in ("7", "8", "9"):
            why = "not invoiced yet" if number == "9" else "its total 'tbd' is not an amount"
            reason = why if number == "9" else f"WooCommerce order {number} skipped: {why}"
            log_event(
                session,
                "sync",
                "warning",
                f"Cart 'Juniper & Co': order {number} skipped: {reason}",
                now=started + timedelta(seconds=int(number)),
            )
        # Outside the run's window: an older run's skip, not counted.
        log_event(
            session,
            "sync",
            "warning",
            "Cart 'Juniper & Co': order 1 skipped: not invoiced yet",
            now=started - timedelta(minutes=30),
        )

    status = statuses(any_db, NOW)["Juniper & Co"]

    assert status.skip_reasons == (
        SkipReason("its total 'tbd' is not an amount", 2),
        SkipReason("not invoiced yet", 1),
    )
