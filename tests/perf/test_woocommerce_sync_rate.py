"""Benchmark: one sync cycle of 50,000 orders from a WooCommerce-style store on 127.0.0.1.

Run with ``pytest tests/perf/test_woocommerce_sync_rate.py -s -p no:cacheprovider``. The number
of orders is ORDERMANAGER_PERF_WC_ORDERS (default 50,000); the store is the fake WooCommerce of the
integration tests (signed requests, keyset pages of 100, GMT dates), in a thread of this process.
The cart is set up as a merchant would have it: Order Received and Payment Received fire, and
Order Received notifies the cart, so every new order also queues a status update.

Printed: orders per second of the cycle (run_sync: HTTP, JSON, normalising, upserting, search
terms, payments, events with their label history and stack records, cursor), and the ratio to a
baseline from the same run: parsing the very same page bodies (JSON and the connector's
normalising) plus a plain DB-API executemany of the same rows into the same tables (orders, line
items, search terms, payments, label history, stack records; one write transaction per page, as
the sync). The ratio (target >= 0.5) says what the network, the upsert, the firing rule and the
database layer cost on top of the rows themselves; the test checks the baseline wrote exactly as
many rows per table as the sync. For scale, a second figure compares with parsing plus the order
and line item rows only. Only correctness is asserted.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Table, delete, func, select

from ordermanager.carts.protocol import RemoteOrder
from ordermanager.carts.woocommerce import WooCommerceConnector
from ordermanager.carts.woocommerce_orders import normalise
from ordermanager.db.engine import Database
from ordermanager.db.models import (
    Cart,
    LabelChange,
    LineItem,
    Order,
    OrderSearchTerm,
    Payment,
    StatusLabel,
    StatusUpdate,
    table_of,
)
from ordermanager.db.types import money_to_storage
from ordermanager.settings import set_setting
from ordermanager.status.events import Event, event_info, set_assignment
from ordermanager.status.firing import status_update_row
from ordermanager.sync.cycle import run_sync
from ordermanager.sync.upsert import header_values, order_terms, payment_values
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


# Every table the sync writes for a new order, parents first.
TABLES: tuple[Table, ...] = tuple(
    table_of(model)
    for model in (Order, LineItem, OrderSearchTerm, Payment, LabelChange, StatusUpdate)
)
RECEIVED, PAID = event_info(Event.ORDER_RECEIVED), event_info(Event.PAYMENT_RECEIVED)


@dataclass(frozen=True)
class Baseline:
    seconds: float
    orders: int
    rows: dict[str, int]  # rows written, per table


def _baseline(db: Database, bodies: list[bytes], *, every_row: bool) -> Baseline:
    """Parse every body and executemany its rows, one write transaction per page.

    The rows are those the sync writes for these orders (built with the same ``header_values``,
    ``order_terms``, ``payment_values`` and ``status_update_row``, labels as the events leave
    them), through the bare DB-API with order and item ids numbered here. ``every_row`` False:
    orders and line items only. The rows are deleted again before the sync runs."""
    now = datetime.now(UTC)
    dialect = db.engine.dialect.name
    with db.transaction() as session:
        cart = factories.cart(session, "Baseline Woo", "woocommerce")
        cart_id, kind = cart.id, cart.kind
        labels = {
            name: id_ for name, id_ in session.execute(select(StatusLabel.name, StatusLabel.id))
        }
        order_id = session.execute(select(func.max(Order.id))).scalar_one() or 0
        item_id = session.execute(select(func.max(LineItem.id))).scalar_one() or 0

    def stored(value: object) -> object:
        if isinstance(value, datetime):
            naive = value.astimezone(UTC).replace(tzinfo=None)
            return naive.isoformat(" ") if dialect == "sqlite" else value
        if isinstance(value, Decimal):
            return money_to_storage(value, dialect)
        return value

    try:
        done = 0
        started = time.perf_counter()
        for body in bodies:
            rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for o in (o for o in map(normalise, json.loads(body)) if isinstance(o, RemoteOrder)):
                order_id += 1
                label = labels["Paid" if o.paid else "New"]
                rows["orders"].append(
                    {
                        "id": order_id,
                        "cart_id": cart_id,
                        "remote_id": o.remote_id,
                        "imported_at": now,
                        "payment_state": "paid" if o.paid else "unpaid",
                        "shipping_state": "unshipped",
                        "item_count": sum(i.quantity for i in o.items),
                        "status_label_id": label,
                        "shipping_method": "",
                        "customer_note": "",
                        **header_values(o, now),
                    }
                )
                for position, i in enumerate(o.items):
                    item_id += 1
                    rows["line_items"].append(
                        {
                            "id": item_id,
                            "order_id": order_id,
                            "position": position,
                            "remote_id": i.remote_id,
                            "sku": i.sku,
                            "name": i.name,
                            "quantity": i.quantity,
                            "unit_price": i.unit_price,
                            "status_label_id": None,
                        }
                    )
                done += 1
                if every_row:
                    _event_rows(rows, o, order_id, cart_id, kind, labels, now)
            # The store's write transaction (BEGIN IMMEDIATE on SQLite) as the sync's pages: the
            # bare driver connection alone would commit every row on its own on SQLite.
            with db.transaction() as session:
                cursor = session.connection().connection.cursor()
                for table in TABLES:
                    if rows[table.name]:
                        columns = list(rows[table.name][0])
                        cursor.executemany(
                            _insert_sql(table.name, columns, dialect),
                            [tuple(stored(v) for v in row.values()) for row in rows[table.name]],
                        )
                cursor.close()
        seconds = time.perf_counter() - started
        return Baseline(seconds, done, _rows_per_table(db, cart_id))
    finally:
        with db.transaction() as session:
            mine = select(Order.id).where(Order.cart_id == cart_id)
            for table in reversed(TABLES[1:]):
                session.execute(delete(table).where(table.c.order_id.in_(mine)))
            session.execute(delete(Order).where(Order.cart_id == cart_id))
            session.execute(delete(Cart).where(Cart.id == cart_id))


def _event_rows(
    rows: dict[str, list[dict[str, Any]]],
    o: RemoteOrder,
    order_id: int,
    cart_id: int,
    kind: str,
    labels: dict[str, int],
    now: datetime,
) -> None:
    """Search terms, payment, label history and the stack record, as the sync writes them."""
    rows["order_search_terms"].extend(
        {"term": term, "order_id": order_id} for term in order_terms(o)
    )
    history = {"order_id": order_id, "line_item_id": None, "changed_at": now}
    history |= {"changed_by": "sync", "note": ""}
    rows["label_history"].append(
        {**history, "from_label_id": None, "to_label_id": labels["New"], "event": RECEIVED.name}
    )
    rows["stack"].append(
        status_update_row(
            RECEIVED,
            order_id=order_id,
            order_remote_id=o.remote_id,
            order_number=o.number,
            cart_id=cart_id,
            cart_kind=kind,
            order_label="New",
            order_changed=True,
            item_changes=[],
            tracking=[],
            carrier="",
            now=now,
        )
    )
    if o.paid:
        rows["payments"].append(payment_values(order_id, o))
        paid = {"from_label_id": labels["New"], "to_label_id": labels["Paid"], "event": PAID.name}
        rows["label_history"].append({**history, **paid})


def _settle(db: Database) -> None:
    """Let PostgreSQL clear away the baselines' deleted rows and learn the tables' sizes before
    the sync runs, so it does not pay for the baselines' garbage (SQLite reuses the freed pages)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


def _rows_per_table(db: Database, cart_id: int) -> dict[str, int]:
    with db.session() as session:
        mine = select(Order.id).where(Order.cart_id == cart_id)
        counts = {"orders": len(session.execute(mine).all())}
        for table in TABLES[1:]:
            query = select(func.count()).select_from(table).where(table.c.order_id.in_(mine))
            counts[table.name] = int(session.execute(query).scalar_one())
        return counts


def _insert_sql(table: str, columns: list[str], dialect: str) -> str:
    marks = ", ".join(["?" if dialect == "sqlite" else "%s"] * len(columns))
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
        cart_id = _add_cart(db, store.base_url)  # the labels and events, for the baselines too
        base = _baseline(db, bodies, every_row=True)
        narrow = _baseline(db, bodies, every_row=False)
        assert base.orders == narrow.orders == ORDERS
        _settle(db)

        keys = {"consumer_key": store.consumer_key, "consumer_secret": store.consumer_secret}
        timeout = httpx.Timeout(30.0)
        started = time.perf_counter()
        result = run_sync(
            db, cart_id, opener=lambda c: WooCommerceConnector(c, keys, timeout=timeout)
        )
        sync_seconds = time.perf_counter() - started
        requests = len(store.seen())

    assert result.created == ORDERS and not result.skipped
    assert result.cursor == T0 + timedelta(seconds=ORDERS)
    written = _rows_per_table(db, cart_id)
    assert written["orders"] == written["line_items"] == ORDERS
    assert written == base.rows, "the baseline must write the same rows as the sync"

    sync_rate = ORDERS / sync_seconds
    base_rate, narrow_rate = ORDERS / base.seconds, ORDERS / narrow.seconds
    print(
        f"\nWooCommerce sync on {backend}: {ORDERS:,} orders in {sync_seconds:.1f} s "
        f"({sync_rate:,.0f} orders/s, {requests} requests, {result.pages} pages, "
        f"{sum(written.values()):,} rows); baseline parse + executemany of the same rows "
        f"{base.seconds:.1f} s ({base_rate:,.0f} orders/s); ratio {sync_rate / base_rate:.2f} "
        f"(target >= {TARGET}); parse + order and item rows only {narrow.seconds:.1f} s "
        f"({narrow_rate:,.0f} orders/s, ratio {sync_rate / narrow_rate:.2f})"
    )
