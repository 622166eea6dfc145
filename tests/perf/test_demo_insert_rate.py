"""Benchmark: the demo generator's insert rate against plain sqlite3 executemany of the same rows.

Run with ``pytest tests/perf/test_demo_insert_rate.py -s -p no:cacheprovider``. The store size is
ORDERMANAGER_PERF_ORDERS (default 100,000). The baseline inserts exactly the rows the generator
wrote (read back with SELECT *), in the same batches and pragmas, with no Python work per row, so
the ratio says what our row building and SQLAlchemy cost on top of SQLite itself. Target: >= 0.3.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections import defaultdict
from pathlib import Path

import pytest

from ordermanager.db.engine import SQLITE_BUSY_TIMEOUT_MS
from ordermanager.db.location import parse_url
from ordermanager.db.migrate import open_database
from ordermanager.demo.generator import BATCH_SIZE, generate_demo_store

pytestmark = pytest.mark.perf

ORDERS = int(os.environ.get("ORDERMANAGER_PERF_ORDERS", "100000"))
SETUP_TABLES = ("carts", "status_labels")
# Each table, parents first, with a query whose first column is the order a row belongs to.
_BY_ORDER_ID = "SELECT order_id, * FROM {0} ORDER BY rowid"
_BY_SHIPMENT = (
    "SELECT s.order_id, x.* FROM {0} x JOIN shipments s ON s.id = x.shipment_id ORDER BY x.rowid"
)
ORDER_TABLES = {
    "orders": "SELECT id, * FROM orders ORDER BY rowid",
    **{
        table: _BY_ORDER_ID.format(table)
        for table in ("line_items", "order_search_terms", "payments", "shipments", "label_history")
    },
    **{table: _BY_SHIPMENT.format(table) for table in ("tracking_numbers", "shipment_items")},
}


def _migrated_file(path: Path) -> Path:
    open_database(parse_url(f"sqlite:///{path}")).dispose()
    return path


def _connect(path: Path) -> sqlite3.Connection:
    """Plain sqlite3 with the pragmas ordermanager.db.engine sets."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def _insert_sql(connection: sqlite3.Connection, table: str) -> str:
    columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


def test_demo_insert_rate_against_plain_executemany(tmp_path: Path) -> None:
    generated = _migrated_file(tmp_path / "generated.sqlite3")
    database = open_database(parse_url(f"sqlite:///{generated}"))
    try:
        result = generate_demo_store(database, ORDERS, seed=7)
    finally:
        database.dispose()
    assert result.orders == ORDERS

    # Read every row back and group it by the generator's batch (ids start at 1 in a new file).
    source = _connect(generated)
    setup = {table: source.execute(f"SELECT * FROM {table}").fetchall() for table in SETUP_TABLES}
    batches: defaultdict[int, dict[str, list[tuple[object, ...]]]] = defaultdict(
        lambda: {table: [] for table in ORDER_TABLES}
    )
    counts: dict[str, int] = {}
    for table, query in ORDER_TABLES.items():
        rows = source.execute(query).fetchall()
        counts[table] = len(rows)
        for row in rows:
            batches[(int(row[0]) - 1) // BATCH_SIZE][table].append(row[1:])
    source.close()

    baseline_path = _migrated_file(tmp_path / "baseline.sqlite3")
    target = _connect(baseline_path)
    sql = {table: _insert_sql(target, table) for table in (*SETUP_TABLES, *ORDER_TABLES)}
    for table, rows in setup.items():
        target.executemany(sql[table], rows)
    started = time.perf_counter()
    for batch in (batches[key] for key in sorted(batches)):
        target.execute("BEGIN IMMEDIATE")
        for table, rows in batch.items():
            if rows:
                target.executemany(sql[table], rows)
        target.execute("COMMIT")
    baseline_seconds = time.perf_counter() - started
    for table, count in counts.items():
        assert target.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == count, table
    target.close()

    ours = ORDERS / result.seconds
    baseline = ORDERS / baseline_seconds
    rows_per_order = sum(counts.values()) / ORDERS
    print(
        f"\n\ndemo store, {ORDERS:,} orders ({rows_per_order:.1f} rows per order, "
        f"batches of {BATCH_SIZE:,})\n"
        f"  generate_demo_store:        {result.seconds:8.2f} s  {ours:10,.0f} orders/s\n"
        f"  sqlite3 executemany (same): {baseline_seconds:8.2f} s  {baseline:10,.0f} orders/s\n"
        f"  ratio: {ours / baseline:.2f}  (target >= 0.3)\n"
    )
