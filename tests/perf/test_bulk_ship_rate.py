"""Benchmark: ship 10,000 selected orders in one bulk action on SQLite (labels, history, records).

Run with ``pytest tests/perf/test_bulk_ship_rate.py -s -p no:cacheprovider``. The number of orders
is ORDERMANAGER_PERF_SHIP_ORDERS (default 10,000). Every order starts unshipped with the label
"Order Received", so every order changes label and queues a status update. Printed: orders per
second of the set-based bulk path (target >= 5,000/s) and, as the baseline from the same run, of
shipping the same kind of orders one at a time through ordermanager.orders.actions.ship. Only
correctness is asserted; timings depend on the machine.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from ordermanager.db.location import parse_url
from ordermanager.db.migrate import open_database
from ordermanager.db.models import Cart, LabelChange, Order, ShipmentItem, StatusUpdate
from ordermanager.demo.generator import generate_demo_store
from ordermanager.orders import actions
from ordermanager.orders.bulk import run_bulk, run_chunked
from ordermanager.orders.bulk_ship import ship_orders
from ordermanager.settings import set_setting
from ordermanager.status.capabilities import can_take_status_updates
from ordermanager.status.defaults import load_defaults
from ordermanager.status.labels import label_by_name

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
