"""Benchmark: the stack's own overhead per record on a SQLite file (claim + fenced delete).

Run with ``pytest tests/perf/test_stack_queue_overhead.py -s -p no:cacheprovider``. 10,000 records
(ORDERMANAGER_PERF_STACK_RECORDS) spread over 1,000 orders are drained one at a time through
ordermanager.stack.queue.claim and delete_delivered, each in its own write transaction, exactly as a
controller with concurrency 1 does. Printed: the median and p99 per record (target: median <= 1 ms)
and, as the baseline from the same run, the same two steps as raw sqlite3 statements without the
per-order FIFO rule, the join for the sender's data or SQLAlchemy. Only correctness is asserted.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from ordermanager.db.location import parse_url
from ordermanager.db.migrate import open_database
from ordermanager.db.models import Cart, Order, StatusUpdate
from ordermanager.stack import queue
from ordermanager.status.events import Event, event_info
from ordermanager.status.firing import status_update_row
from tests.integration.test_stack_queue import T0, make_orders, make_orders_bulk

pytestmark = pytest.mark.perf

RECORDS = int(os.environ.get("ORDERMANAGER_PERF_STACK_RECORDS", "10000"))
ORDERS = max(RECORDS // 10, 1)
TARGET_MEDIAN_MS = 1.0


def _fill(path: Path) -> None:
    database = open_database(parse_url(f"sqlite:///{path}"))
    try:
        make_orders(database, 1)
        make_orders_bulk(database, ORDERS - 1)
        with database.transaction() as session:
            order_ids = list(session.execute(select(Order.id).order_by(Order.id)).scalars())
            cart_id = session.execute(select(Cart.id)).scalar_one()
            rows = [
                status_update_row(
                    event_info(Event.ORDER_SHIPPED),
                    order_id=order_ids[n % len(order_ids)],
                    order_remote_id="r",
                    order_number=str(n),
                    cart_id=cart_id,
                    cart_kind="woocommerce",
                    order_label="Shipped",
                    order_changed=True,
                    item_changes=[
                        {"line_item_id": 1, "remote_id": "7", "sku": "SKU", "label": "x"}
                    ],
                    tracking=["1Z999AA10123456784"],
                    carrier="UPS",
                    now=T0,
                )
                for n in range(RECORDS)
            ]
            session.execute(insert(StatusUpdate), rows)
    finally:
        database.dispose()


def _drain_with_queue(path: Path) -> list[float]:
    database = open_database(parse_url(f"sqlite:///{path}"))
    times = []
    try:
        while True:
            start = time.perf_counter()
            claimed = queue.claim(database, "bench", limit=1, lease=timedelta(seconds=60))
            if not claimed:
                break
            (record,) = claimed
            assert queue.delete_delivered(database, record.id, record.claim_token)
            times.append(time.perf_counter() - start)
        with database.session() as session:
            assert session.execute(select(func.count()).select_from(StatusUpdate)).scalar() == 0
    finally:
        database.dispose()
    return times


def _drain_raw(path: Path) -> list[float]:
    """The baseline: two raw statements, as in the queue research calibration."""
    connection = sqlite3.connect(path, isolation_level=None, timeout=15)
    connection.execute("PRAGMA synchronous = NORMAL")
    times = []
    try:
        while True:
            start = time.perf_counter()
            token = uuid.uuid4().hex
            connection.execute("BEGIN IMMEDIATE")
            row = connection.execute(
                "UPDATE stack SET claim_token = ?, claimed_by = 'raw' WHERE id = "
                "(SELECT id FROM stack WHERE state = 'queued' AND claim_token IS NULL "
                "ORDER BY id LIMIT 1) RETURNING id, payload",
                (token,),
            ).fetchone()
            connection.execute("COMMIT")
            if row is None:
                break
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                "DELETE FROM stack WHERE id = ? AND claim_token = ?", (row[0], token)
            )
            connection.execute("COMMIT")
            times.append(time.perf_counter() - start)
    finally:
        connection.close()
    return times


def test_stack_queue_overhead(tmp_path: Path) -> None:
    queue_db, raw_db = tmp_path / "queue.sqlite3", tmp_path / "raw.sqlite3"
    _fill(queue_db)
    _fill(raw_db)
    raw = _drain_raw(raw_db)
    ours = _drain_with_queue(queue_db)
    assert len(ours) == len(raw) == RECORDS

    def ms(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if q < 100 else 0.0

    median, raw_median = statistics.median(ours) * 1000, statistics.median(raw) * 1000
    print(
        f"\nstack queue overhead, {RECORDS:,} records on SQLite (claim + fenced delete):"
        f"\n  ordermanager.stack.queue: median {median:.3f} ms, p99 {ms(ours, 99):.3f} ms"
        f"  (target median <= {TARGET_MEDIAN_MS} ms)"
        f"\n  raw sqlite3 baseline:     median {raw_median:.3f} ms, p99 {ms(raw, 99):.3f} ms"
        f"\n  ratio (ours / raw):       {median / raw_median:.2f}x"
    )
