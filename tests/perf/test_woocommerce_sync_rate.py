"""Benchmark: one sync cycle of 50,000 orders from a WooCommerce-style store on 127.0.0.1.

Run with ``pytest tests/perf/test_woocommerce_sync_rate.py -s -p no:cacheprovider``. The number
of orders is ORDERMANAGER_PERF_WC_ORDERS (default 50,000); the store is the fake WooCommerce of the
integration tests (signed requests, keyset pages of 100, GMT dates), in a thread of this process.
The cart is set up as a merchant would have it: Order Received and Payment Received fire, and
Order Received notifies the cart, so every new order also queues a status update.

Printed: orders per second of the cycle (run_sync: HTTP, JSON, normalising, upserting, search
terms, payments, events with their label history and stack records, cursor), and as the baseline
from the same run, parsing the very same page bodies (JSON and the connector's normalising) plus a
plain DB-API executemany of the same order and line item rows into the same tables, one
transaction per page. The ratio (target >= 0.5) says what the network, the upsert and the events
cost on top. Only correctness is asserted.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import delete, func, select

from ordermanager.carts.protocol import RemoteOrder
from ordermanager.carts.woocommerce import WooCommerceConnector
from ordermanager.carts.woocommerce_orders import normalise
from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, LineItem, Order
from ordermanager.db.types import money_to_storage
from ordermanager.settings import set_setting
from ordermanager.status.events import Event, set_assignment
from ordermanager.sync.cycle import run_sync
from ordermanager.sync.upsert import header_values
from tests import factories
from tests.cart_support.fake_woocommerce import FakeWooCommerce, make_order

pytestmark = pytest.mark.perf

ORDERS = int(os.environ.get("ORDERMANAGER_PERF_WC_ORDERS", "50000"))
T0 = datetime(2026, 1, 1, tzinfo=UTC)
TARGET = 0.5


def _add_cart(db: Database, url: str) -> int:
    with db.transaction() as session:
        row = factories.cart(session, "Bench Woo", "woocommerce")
        row.base_url = url
        factories.label(session, "New")
        factories.label(session, "Paid")
        set_setting(session, "UseStatusUpdates", True)
        set_assignment(session, Event.ORDER_RECEIVED, order_label="New", notify_cart=True)
        set_assignment(session, Event.PAYMENT_RECEIVED, order_label="Paid", notify_cart=False)
        return row.id


def _page_bodies(store: FakeWooCommerce) -> list[bytes]:
    """The bodies of the pages the cycle will get (same query, page numbers: same orders)."""
    bodies: list[bytes] = []
    page = 1
    while True:
        query = {
            "modified_after": "1970-01-01T00:00:00",
            "dates_are_gmt": "true",
            "orderby": "modified",
            "order": "asc",
            "per_page": "100",
            "page": str(page),
        }
        status, body, headers = store.list_orders(query)
        assert status == 200
        bodies.append(body.data)
        if page >= int(headers["X-WP-TotalPages"]):
            return bodies
        page += 1


def _baseline(db: Database, bodies: list[bytes]) -> tuple[float, int]:
    """Seconds to parse every body and executemany its rows (one transaction per page).

    The rows are the very order and line item rows the sync writes (all their columns, built by
    the same ``header_values``), into the same ``orders`` and ``line_items`` tables with all their
    indexes, through the bare DB-API with ids numbered here (no RETURNING). They are deleted
    again before the sync runs."""
    now = datetime.now(UTC)
    sqlite = db.engine.dialect.name == "sqlite"
    with db.transaction() as session:
        cart_id = factories.cart(session, "Baseline Woo", "woocommerce").id
        first_order = session.execute(select(func.max(Order.id))).scalar_one() or 0
        first_item = session.execute(select(func.max(LineItem.id))).scalar_one() or 0

    def stored(value: object) -> object:
        if isinstance(value, datetime):
            naive = value.astimezone(UTC).replace(tzinfo=None)
            return naive.isoformat(" ") if sqlite else value
        if isinstance(value, Decimal):
            return money_to_storage(value, db.engine.dialect.name)
        return value

    order_id, item_id = first_order, first_item
    order_sql = item_sql = ""
    raw = db.engine.raw_connection()
    try:
        done = 0
        started = time.perf_counter()
        for body in bodies:
            orders = [normalise(o) for o in json.loads(body)]
            good = [o for o in orders if isinstance(o, RemoteOrder)]
            order_rows: list[tuple[object, ...]] = []
            item_rows: list[tuple[object, ...]] = []
            for o in good:
                order_id += 1
                row = {
                    "id": order_id,
                    "cart_id": cart_id,
                    "remote_id": o.remote_id,
                    "imported_at": now,
                    "payment_state": "paid" if o.paid else "unpaid",
                    "shipping_state": "unshipped",
                    "item_count": sum(i.quantity for i in o.items),
                    "status_label_id": None,
                    "shipping_method": "",
                    "customer_note": "",
                    **header_values(o, now),
                }
                if not order_sql:
                    order_sql = _insert_sql("orders", list(row), sqlite)
                order_rows.append(tuple(stored(v) for v in row.values()))
                for position, i in enumerate(o.items):
                    item_id += 1
                    item = (item_id, order_id, position, i.remote_id, i.sku, i.name, i.quantity)
                    item_rows.append((*item, stored(i.unit_price), None))
            if not item_sql:
                item_sql = _insert_sql("line_items", _ITEM_COLUMNS, sqlite)
            cursor = raw.cursor()
            cursor.executemany(order_sql, order_rows)
            cursor.executemany(item_sql, item_rows)
            cursor.close()
            raw.commit()
            done += len(good)
        return time.perf_counter() - started, done
    finally:
        raw.close()
        with db.transaction() as session:
            mine = select(Order.id).where(Order.cart_id == cart_id)
            session.execute(delete(LineItem).where(LineItem.order_id.in_(mine)))
            session.execute(delete(Order).where(Order.cart_id == cart_id))
            session.execute(delete(Cart).where(Cart.id == cart_id))


_ITEM_COLUMNS = [
    "id", "order_id", "position", "remote_id", "sku", "name", "quantity", "unit_price",
    "status_label_id",
]  # fmt: skip


def _insert_sql(table: str, columns: list[str], sqlite: bool) -> str:
    marks = ", ".join(["?" if sqlite else "%s"] * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_woocommerce_sync_rate(backend: str, request: pytest.FixtureRequest) -> None:
    db: Database = request.getfixturevalue("sqlite_db" if backend == "sqlite" else "pg_db")
    with FakeWooCommerce() as store:
        store.add(
            *(
                make_order(n, modified=T0 + timedelta(seconds=n), first_name=f"Zoë {n}")
                for n in range(1, ORDERS + 1)
            )
        )
        bodies = _page_bodies(store)  # also warms the store's JSON cache for both runs
        base_seconds, base_orders = _baseline(db, bodies)
        assert base_orders == ORDERS

        cart_id = _add_cart(db, store.base_url)
        keys = {"consumer_key": store.consumer_key, "consumer_secret": store.consumer_secret}
        timeout = httpx.Timeout(30.0)
        started = time.perf_counter()
        result = run_sync(
            db, cart_id, opener=lambda c: WooCommerceConnector(c, keys, timeout=timeout)
        )
        sync_seconds = time.perf_counter() - started
        requests = len(store.seen())

    assert result.created == ORDERS and not result.skipped
    with db.session() as session:
        assert session.execute(select(func.count()).select_from(Order)).scalar_one() == ORDERS
        assert session.execute(select(func.count()).select_from(LineItem)).scalar_one() == ORDERS
    assert result.cursor == T0 + timedelta(seconds=ORDERS)

    sync_rate = ORDERS / sync_seconds
    base_rate = ORDERS / base_seconds
    ratio = sync_rate / base_rate
    print(
        f"\nWooCommerce sync on {backend}: {ORDERS:,} orders in {sync_seconds:.1f} s "
        f"({sync_rate:,.0f} orders/s, {requests} requests, {result.pages} pages); "
        f"baseline parse + executemany {base_seconds:.1f} s ({base_rate:,.0f} orders/s); "
        f"ratio {ratio:.2f} (target >= {TARGET})"
    )
