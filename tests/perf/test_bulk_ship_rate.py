"""Benchmark: ship 10,000 selected orders in one bulk action on SQLite (labels, history, records).

Run with ``pytest tests/perf/test_bulk_ship_rate.py -s -p no:cacheprovider``. The number of orders
is ORDERMANAGER_PERF_SHIP_ORDERS (default 10,000). Every order starts unshipped with the label
"Order Received", so every order changes label and queues a status update. Printed: orders per
second of the set-based bulk path (target >= 5,000/s) and, as the baseline from the same run, of
shipping the same kind of orders one at a time through ordermanager.orders.actions.ship. Only
correctness is asserted; timings depend on the machine.

The second benchmark does the same from the GUI: the Ship… action on all 10,000 orders of the
list (Ctrl+A, with rows never scrolled into view), on the write thread with its progress dialog,
while a 10 ms heartbeat on the GUI thread records the longest stall. Printed: orders per second
end to end (selection, ship, refresh) against the core bulk path on the same orders in the same
run, and the longest GUI stall against the longest one of an idle second.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import delete, func, select, update

from ordermanager.db.engine import Database
from ordermanager.db.location import parse_url
from ordermanager.db.migrate import open_database
from ordermanager.db.models import (
    Cart,
    LabelChange,
    LineItem,
    Order,
    Shipment,
    ShipmentItem,
    StatusUpdate,
    TrackingNumber,
)
from ordermanager.demo.generator import generate_demo_store
from ordermanager.orders import actions
from ordermanager.orders.bulk import run_bulk, run_chunked
from ordermanager.orders.bulk_ship import bulk_ship, ship_orders
from ordermanager.settings import set_setting
from ordermanager.status.capabilities import can_take_status_updates
from ordermanager.status.defaults import load_defaults
from ordermanager.status.labels import label_by_name
from tests.perf.test_order_list_perf import Heartbeat
from ui.main_window import MainWindow
from ui.orders.action_dialogs import ShipDialog
from ui.tasks import TaskManager

pytestmark = pytest.mark.perf

ORDERS = int(os.environ.get("ORDERMANAGER_PERF_SHIP_ORDERS", "10000"))
BASELINE_ORDERS = max(ORDERS // 10, 100)
TARGET_PER_SECOND = 5_000


def test_bulk_ship_rate(tmp_path: Path) -> None:
    database = open_database(parse_url(f"sqlite:///{tmp_path / 'ship.sqlite3'}"))
    try:
        generate_demo_store(database, ORDERS + BASELINE_ORDERS, seed=11)
        with database.transaction() as session:
            load_defaults(session)
            set_setting(session, "UseStatusUpdates", True)
            received = label_by_name(session, "Order Received").id
            session.execute(delete(ShipmentItem))
            session.execute(
                update(Order).values(shipping_state="unshipped", status_label_id=received)
            )
            ids = list(session.execute(select(Order.id).order_by(Order.id)).scalars())
            capable = {
                cart_id
                for cart_id, kind in session.execute(select(Cart.id, Cart.kind))
                if can_take_status_updates(kind)
            }
            history_before = session.execute(
                select(func.count()).select_from(LabelChange)
            ).scalar_one()
            expected_records = session.execute(
                select(func.count())
                .select_from(Order)
                .where(Order.id.in_(ids[:ORDERS]), Order.cart_id.in_(capable))
            ).scalar_one()
        bulk_ids, baseline_ids = ids[:ORDERS], ids[ORDERS:]

        def ship_chunk(session, chunk):  # type: ignore[no-untyped-def]
            outcome = ship_orders(
                session, chunk, tracking={i: [f"1Z{i:012d}"] for i in chunk}, carrier="UPS"
            )
            return outcome.done, outcome.failed

        started = time.perf_counter()
        bulk = run_chunked(database, ship_chunk, bulk_ids)
        bulk_seconds = time.perf_counter() - started

        started = time.perf_counter()
        single = run_bulk(
            database,
            lambda s, i: actions.ship(s, i, tracking=[f"1Z{i:012d}"], carrier="UPS"),
            baseline_ids,
        )
        single_seconds = time.perf_counter() - started

        assert not bulk.failed and len(bulk.done) == ORDERS
        assert not single.failed
        with database.session() as session:
            records = session.execute(
                select(func.count())
                .select_from(StatusUpdate)
                .where(StatusUpdate.order_id.in_(bulk_ids), StatusUpdate.event == "order_shipped")
            ).scalar_one()
            history = session.execute(
                select(func.count())
                .select_from(LabelChange)
                .where(LabelChange.event == "Order Shipped")
            ).scalar_one()
            history_after = session.execute(
                select(func.count()).select_from(LabelChange)
            ).scalar_one()
        assert records == expected_records
        # Every order's label changed (Order Shipped); items changed too (Item Shipped).
        assert history_after - history_before > ORDERS + len(baseline_ids)
        assert history >= ORDERS + len(baseline_ids)
    finally:
        database.dispose()

    bulk_rate = ORDERS / bulk_seconds
    single_rate = len(baseline_ids) / single_seconds
    print(
        f"\nbulk ship: {ORDERS:,} orders in {bulk_seconds:.2f} s = {bulk_rate:,.0f} orders/s "
        f"(target >= {TARGET_PER_SECOND:,}/s: "
        f"{'met' if bulk_rate >= TARGET_PER_SECOND else 'MISSED'})"
        f"\none at a time (baseline, {len(baseline_ids):,} orders): {single_rate:,.0f} orders/s; "
        f"bulk / baseline = {bulk_rate / single_rate:.1f}x; {records:,} status updates queued"
    )


def _unship_everything(database: Database) -> list[int]:
    """Every order unshipped, labelled "Order Received", items unlabelled, no history or
    records: the same starting point for each run. Returns the order ids."""
    with database.transaction() as session:
        received = label_by_name(session, "Order Received").id
        for table in (TrackingNumber, ShipmentItem, Shipment, StatusUpdate, LabelChange):
            session.execute(delete(table))
        session.execute(update(Order).values(shipping_state="unshipped", status_label_id=received))
        session.execute(update(LineItem).values(status_label_id=None))
        return list(session.execute(select(Order.id).order_by(Order.id)).scalars())


def test_bulk_ship_from_the_gui__keeps_the_gui_responsive(qtbot: QtBot, tmp_path: Path) -> None:
    database = open_database(parse_url(f"sqlite:///{tmp_path / 'gui-ship.sqlite3'}"))
    tasks = TaskManager()
    try:
        generate_demo_store(database, ORDERS, seed=12)
        with database.transaction() as session:
            load_defaults(session)
            set_setting(session, "UseStatusUpdates", True)

        # Baseline, same run, same orders: the core bulk path with no GUI at all.
        ids = _unship_everything(database)
        started = time.perf_counter()
        core_result, _ = bulk_ship(database, ids)
        core_seconds = time.perf_counter() - started
        assert len(core_result.done) == ORDERS
        _unship_everything(database)

        window = MainWindow(database, tasks)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.model.count == ORDERS and window.model.is_row_loaded(0))
        heartbeat = Heartbeat()
        heartbeat.start()
        qtbot.wait(1_000)  # an idle second: the heartbeat's own jitter on this machine
        idle_gap = heartbeat.max_gap_ms

        heartbeat.reset()
        window.table.selectAll()
        with qtbot.waitSignal(window.order_actions.dialog_did_open, timeout=60_000) as opened:
            window.order_actions.ship_action.trigger()
        open_gap = heartbeat.max_gap_ms  # Ctrl+A, then the selection read to open Ship…
        dialog = opened.args[0]
        assert isinstance(dialog, ShipDialog)
        dialog.carrier_combo.setCurrentText("UPS")
        heartbeat.reset()
        started = time.perf_counter()
        with qtbot.waitSignal(window.order_actions.action_did_finish, timeout=300_000) as finished:
            dialog.ok_button.click()
        qtbot.waitUntil(lambda: window.model.is_row_loaded(0), timeout=60_000)
        gui_seconds = time.perf_counter() - started
        ship_gap = heartbeat.max_gap_ms
        outcome = finished.args[0]
        assert (outcome.done, outcome.failed, outcome.cancelled) == (ORDERS, [], False)
        with database.session() as session:
            shipped = session.execute(
                select(func.count()).where(Order.shipping_state == "shipped")
            ).scalar_one()
            history = session.execute(
                select(func.count())
                .select_from(LabelChange)
                .where(LabelChange.event == "Order Shipped")
            ).scalar_one()
        assert shipped == history == ORDERS
        window.close()
    finally:
        tasks.shutdown(wait=True)
        tasks.deleteLater()
        database.dispose()

    core_rate = ORDERS / core_seconds
    gui_rate = ORDERS / gui_seconds
    print(
        f"\nGUI bulk ship: {ORDERS:,} selected orders in {gui_seconds:.2f} s = "
        f"{gui_rate:,.0f} orders/s end to end (target >= {TARGET_PER_SECOND:,}/s: "
        f"{'met' if gui_rate >= TARGET_PER_SECOND else 'MISSED'}); core bulk path on the same "
        f"orders (baseline): {core_rate:,.0f} orders/s; GUI / core = {gui_rate / core_rate:.2f}"
        f"\nlongest GUI-thread stall selecting all and opening Ship…: {open_gap} ms"
        f"\nlongest GUI-thread stall while shipping: {ship_gap} ms (idle baseline {idle_gap} ms, "
        f"ratio {ship_gap / max(idle_gap, 1):.1f}x; target < 100 ms: "
        f"{'met' if ship_gap < 100 else 'MISSED'})"
    )
