"""Sync Status window, Sync Now, Cancel and the scheduler, through real widgets on a real SQLite
store, syncing a fake WooCommerce store on 127.0.0.1 that serves 450 orders in five pages.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from ordermanager.carts.protocol import CartConfig, OrderPage
from ordermanager.carts.woocommerce import WooCommerceConnector
from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, Order
from ordermanager.sync.status import CartSyncStatus
from tests.cart_support.fake_woocommerce import FakeWooCommerce, make_order
from ui.main_window import MainWindow
from ui.sync.monitor import SyncStatusMonitor
from ui.sync.runner import SyncOutcome, SyncRunner
from ui.sync.scheduler import SyncScheduler
from ui.sync.status_model import CART, LAST, ORDERS, SyncStatusModel
from ui.sync.status_window import SyncStatusWindow, headline
from ui.sync.wiring import SYNC_NOW_SHORTCUT, SYNC_STATUS_SHORTCUT, SyncFeature
from ui.tasks import TaskManager

ORDERS_IN_STORE = 450  # five pages of at most 100
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
KINDS = frozenset({"woocommerce"})
FAST = httpx.Timeout(connect=2.0, read=5.0, write=2.0, pool=2.0)
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def woo() -> Iterator[FakeWooCommerce]:
    with FakeWooCommerce() as fake:
        fake.add(
            *(
                make_order(n, modified=T0 + timedelta(minutes=n), number=f"WC-{n}")
                for n in range(1, ORDERS_IN_STORE + 1)
            )
        )
        yield fake


class Gate:
    """Holds the download back before the page with this number, until the test opens it."""

    def __init__(self, before_page: int) -> None:
        self.before_page = before_page
        self.calls = 0
        self.reached = threading.Event()
        self.opened = threading.Event()


@dataclass
class Opener:
    woo: FakeWooCommerce
    gate: Gate | None = None

    def __call__(self, config: CartConfig) -> WooCommerceConnector:
        keys = {
            "consumer_key": self.woo.consumer_key,
            "consumer_secret": self.woo.consumer_secret,
        }
        gate = self.gate

        class GatedConnector(WooCommerceConnector):
            def list_orders(self, since: datetime, page: str | None) -> OrderPage:
                if gate is not None:
                    gate.calls += 1
                    if gate.calls == gate.before_page:
                        gate.reached.set()
                        gate.opened.wait(WAIT_MS / 1000)
                return super().list_orders(since, page)

        return GatedConnector(config, keys, timeout=FAST)


def add_cart(
    database: Database,
    name: str,
    url: str,
    *,
    last_sync_at: datetime | None = None,
    kind: str = "woocommerce",
) -> int:
    with database.transaction() as session:
        cart = Cart(
            name=name,
            kind=kind,
            base_url=url,
            created_at=datetime.now(UTC) - timedelta(minutes=5),
            sync_interval_minutes=15,
            last_sync_at=last_sync_at,
        )
        session.add(cart)
        session.flush()
        return cart.id


def orders_in(database: Database) -> int:
    with database.session() as session:
        return int(session.execute(select(func.count()).select_from(Order)).scalar_one())


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@dataclass
class Parts:
    runner: SyncRunner
    monitor: SyncStatusMonitor
    window: SyncStatusWindow
    opener: Opener


@pytest.fixture
def parts(
    qtbot: QtBot, sqlite_db: Database, tasks: TaskManager, woo: FakeWooCommerce
) -> Iterator[Parts]:
    opener = Opener(woo)
    runner = SyncRunner(sqlite_db, opener=opener)
    monitor = SyncStatusMonitor(sqlite_db, tasks, kinds=KINDS)
    window = SyncStatusWindow(runner, monitor)
    qtbot.addWidget(window)
    yield Parts(runner, monitor, window, opener)
    if opener.gate is not None:
        opener.gate.opened.set()
    runner.stop()
    monitor.stop()


def show(qtbot: QtBot, parts: Parts, rows: int) -> SyncStatusWindow:
    window = parts.window
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() == rows, timeout=WAIT_MS)
    return window


def row_text(model: SyncStatusModel, name: str, column: int) -> str:
    for row in range(model.rowCount()):
        if model.status(row).name == name:
            return model.text(row, column)
    raise AssertionError(f"no row for {name}")


def test_sync_now__progress_text_during_the_download_then_the_counts(
    qtbot: QtBot, parts: Parts, sqlite_db: Database, woo: FakeWooCommerce
) -> None:
    add_cart(sqlite_db, "Harbor Outfitters", woo.base_url)
    window = show(qtbot, parts, 1)
    seen: list[str] = []
    parts.runner.sync_progressed.connect(lambda _p: seen.append(window.progress_text.text()))

    with qtbot.waitSignal(parts.runner.sync_did_finish, timeout=WAIT_MS) as finished:
        qtbot.mouseClick(window.sync_now_button, Qt.MouseButton.LeftButton)
        assert window.cancel_button.isEnabled()

    outcome: SyncOutcome = finished.args[0]
    assert outcome.error == "" and not outcome.cancelled
    assert "Harbor Outfitters: Downloading order 100 of 450" in seen
    assert seen[-1] == "Harbor Outfitters: Downloading order 450 of 450"
    assert len(set(seen)) >= 6  # asking, then one line per page (five pages)
    assert window.message.text() == (
        "Harbor Outfitters: 450 orders downloaded — 450 new, 0 updated, 0 skipped."
    )
    assert not window.cancel_button.isEnabled()
    assert orders_in(sqlite_db) == ORDERS_IN_STORE
    qtbot.waitUntil(
        lambda: row_text(window.model, "Harbor Outfitters", ORDERS) == "450 / 0 / 0",
        timeout=WAIT_MS,
    )
    assert row_text(window.model, "Harbor Outfitters", LAST).endswith("(just now)")


def test_cancel_stops_between_pages_and_the_cursor_does_not_move(
    qtbot: QtBot, parts: Parts, sqlite_db: Database, woo: FakeWooCommerce
) -> None:
    cart_id = add_cart(sqlite_db, "Harbor Outfitters", woo.base_url)
    gate = parts.opener.gate = Gate(before_page=2)
    window = show(qtbot, parts, 1)
    asked_before = len(woo.seen("GET"))

    qtbot.mouseClick(window.sync_now_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.progress_text.text() == "Harbor Outfitters: Downloading order 100 of 450",
        timeout=WAIT_MS,
    )
    assert gate.reached.wait(WAIT_MS / 1000)  # the second page is being asked for
    assert window.progress_bar.maximum() == 450 and window.progress_bar.value() == 100
    # One cycle per cart: asking again while it runs starts nothing.
    assert parts.runner.sync(cart_id, "Harbor Outfitters") is False

    with qtbot.waitSignal(parts.runner.sync_did_finish, timeout=WAIT_MS) as finished:
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
        assert "Cancelling after the page being saved" in window.progress_text.text()
        gate.opened.set()

    outcome: SyncOutcome = finished.args[0]
    assert outcome.cancelled
    # The page in flight was saved; no third page was asked for.
    assert len(woo.seen("GET")) - asked_before == 2
    saved = outcome.result.downloaded if outcome.result is not None else 0
    assert 100 < saved < ORDERS_IN_STORE and orders_in(sqlite_db) == saved
    assert f"sync cancelled after {saved} orders" in window.message.text()
    with sqlite_db.session() as session:
        cart = session.get(Cart, cart_id)
        assert cart is not None
        assert cart.sync_cursor is None and cart.last_sync_at is None
    assert window.progress_text.text() == "No sync running."


def test_a_stale_cart_shows_a_warning_icon_and_words(
    qtbot: QtBot, qtmodeltester: object, parts: Parts, sqlite_db: Database
) -> None:
    now = datetime.now(UTC)
    add_cart(
        sqlite_db, "Juniper & Co", "https://juniper.example", last_sync_at=now - timedelta(hours=2)
    )
    add_cart(sqlite_db, "Fresh Store", "https://fresh.example", last_sync_at=now)
    window = show(qtbot, parts, 2)
    qtmodeltester.check(window.model)  # type: ignore[attr-defined]

    assert window.headline.text().startswith("1 cart has not synced for too long: Juniper & Co.")
    assert window.warning_icon.isVisibleTo(window)
    model = window.model
    stale = next(r for r in range(2) if model.status(r).name == "Juniper & Co")
    fresh = 1 - stale
    assert model.text(stale, LAST) == "Stale — 2 h ago"
    assert "every 15 min" in model.index(stale, LAST).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(stale, CART).data(Qt.ItemDataRole.DecorationRole) is not None
    assert model.index(fresh, CART).data(Qt.ItemDataRole.DecorationRole) is None
    assert not model.text(fresh, LAST).startswith("Stale")


def test_an_unreachable_cart_shows_its_error(
    qtbot: QtBot, parts: Parts, sqlite_db: Database, woo: FakeWooCommerce
) -> None:
    add_cart(sqlite_db, "Northwind", closed_port_url())
    window = show(qtbot, parts, 1)
    window.table.selectRow(0)
    assert window.sync_selected_button.isEnabled()

    with qtbot.waitSignal(parts.runner.sync_did_finish, timeout=WAIT_MS) as finished:
        qtbot.mouseClick(window.sync_selected_button, Qt.MouseButton.LeftButton)

    outcome: SyncOutcome = finished.args[0]
    assert "could not reach" in outcome.error
    assert window.message.text().startswith("Northwind: sync failed: WooCommerce cart 'Northwind'")
    assert woo.consumer_secret not in window.message.text()
    qtbot.waitUntil(
        lambda: row_text(window.model, "Northwind", 5).startswith("Could not reach http://")
    )
    assert window.headline.text() == "The last sync of Northwind did not finish; see Last error."
    assert window.warning_icon.isVisibleTo(window)
    assert row_text(window.model, "Northwind", ORDERS) == "—"


def test_scheduler_starts_the_due_carts_only(
    qtbot: QtBot, sqlite_db: Database, tasks: TaskManager, woo: FakeWooCommerce
) -> None:
    due = add_cart(sqlite_db, "Never Synced", woo.base_url)
    add_cart(sqlite_db, "Just Synced", woo.base_url, last_sync_at=datetime.now(UTC))
    add_cart(sqlite_db, "Not Installed", "https://x.example", kind="magento1")
    runner = SyncRunner(sqlite_db, opener=Opener(woo))
    scheduler = SyncScheduler(sqlite_db, tasks, runner, interval_ms=3_600_000, kinds=KINDS)
    try:
        with qtbot.waitSignal(runner.sync_did_finish, timeout=WAIT_MS) as finished:
            with qtbot.waitSignal(scheduler.check_did_finish, timeout=WAIT_MS) as checked:
                scheduler.start()
            assert checked.args == [[due]]
        assert finished.args[0].result.created == ORDERS_IN_STORE

        # Synced a moment ago: the next check starts nothing.
        with qtbot.waitSignal(scheduler.check_did_finish, timeout=WAIT_MS) as again:
            scheduler.check_now()
        assert again.args == [[]]
    finally:
        scheduler.stop()
        runner.stop()


def test_sync_feature__menus_and_unique_shortcuts_in_the_main_window(
    qtbot: QtBot, open_window: Callable[[], MainWindow], tasks: TaskManager
) -> None:
    window = open_window()
    shortcuts = [
        action.shortcut().toString()
        for action in window.findChildren(QAction)
        if not action.shortcut().isEmpty()
    ]
    # The main window's own sync actions hold the shortcuts, and nothing else does.
    assert shortcuts.count(SYNC_STATUS_SHORTCUT) == 1
    assert shortcuts.count(SYNC_NOW_SHORTCUT) == 1
    assert window.sync.status_action.shortcut().toString() == SYNC_STATUS_SHORTCUT
    assert window.sync.sync_now_action.shortcut().toString() == SYNC_NOW_SHORTCUT
    menus = {action.text().replace("&", ""): action.menu() for action in window.menuBar().actions()}
    assert window.sync.status_action in menus["View"].actions()
    assert window.sync.sync_now_action in menus["Sync"].actions()

    feature = SyncFeature(window.database, tasks, window)
    view_menu, sync_menu = QMenu(window), QMenu(window)
    feature.install_menus(view_menu, sync_menu)
    feature.status_action.trigger()

    assert feature.status_action in view_menu.actions()
    assert sync_menu.actions()[0] is feature.sync_now_action
    status = feature.status_window
    assert status is not None and status.isVisible()
    qtbot.waitUntil(lambda: status.model.rowCount() == 3, timeout=WAIT_MS)
    # Its WooCommerce cart was added in January and has never synced.
    assert "Harbor Outfitters" in status.headline.text()
    assert feature.show_status() is status  # one window, raised again
    feature.stop()


def _status(name: str, **fields: object) -> CartSyncStatus:
    values: dict[str, object] = {
        "cart_id": 1,
        "name": name,
        "kind": "woocommerce",
        "interval_minutes": 15,
        "not_scheduled_because": "",
        "last_success_at": None,
        "has_counts": False,
        "downloaded": 0,
        "created": 0,
        "updated": 0,
        "skipped": 0,
        "skip_reasons": (),
        "last_error": "",
        "last_error_at": None,
        "next_sync_at": None,
        "stale": False,
        "running_since": None,
        "stack_waiting": 0,
        "stack_held": 0,
        "last_status_sent_at": None,
    }
    values.update(fields)
    return CartSyncStatus(**values)  # type: ignore[arg-type]


def test_headline_words() -> None:
    assert headline(None) == ("Reading the sync status…", False)
    assert headline([]) == ("No carts are set up yet.", False)
    demo = _status("Demo Store", not_scheduled_because="demo cart")
    assert headline([demo]) == ("No cart here is synced on a schedule; Next sync says why.", False)
    ok = _status("Main Store")
    assert headline([ok, demo]) == ("1 cart synced on schedule, all up to date.", False)
    stale = [_status(f"Store {n}", stale=True) for n in range(5)]
    text, warning = headline(stale)
    assert warning and text.startswith(
        "5 carts have not synced for too long: Store 0, Store 1, Store 2 and 2 more."
    )
