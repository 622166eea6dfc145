"""Fixtures for the GUI tests: offscreen Qt, a task manager, and a store full of orders.

The store is built once per session with plain bulk inserts (a few thousand orders in well under
a second) and opened afresh by each test; the GUI only reads it. One order, ``SHOWCASE_NUMBER``,
has everything the detail pane shows: several items, two tracking numbers, payments, history.
"""

from __future__ import annotations

import os

# Before anything imports Qt: no display is needed, or wanted, for these tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import random
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import insert

from ordermanager.db import location
from ordermanager.db.engine import Database
from ordermanager.db.migrate import open_database
from ordermanager.db.models import (
    Cart,
    LabelChange,
    LineItem,
    Order,
    OrderSearchTerm,
    Payment,
    Shipment,
    ShipmentItem,
    StatusLabel,
    TrackingNumber,
)
from ordermanager.orders import keys
from ui.main_window import MainWindow
from ui.tasks import TaskManager

STORE_ORDERS = 3_000
SHOWCASE_NUMBER = "#9001"
SHOWCASE_CUSTOMER = "Margarethe Quellmalz"
SHOWCASE_TRACKING = ("1Z999AA10123456784", "1Z999AA10123456785")
LABELS = ("Order Received", "Payment Received", "Backordered", "Order Shipped", "Cancelled")
CARTS = (
    ("Harbor Outfitters", "woocommerce", "USD", "WC-{n}"),
    ("Juniper & Co", "shopify", "EUR", "#{n}"),
    ("Northwind Wholesale", "magento2", "GBP", "1000{n:05d}"),
)
FIRST = ("Anna", "Ben", "Chloé", "David", "Élodie", "Farid", "Grace", "Hiro", "Ines", "Jonas")
LAST = ("Smith", "Nguyen", "Okafor", "Müller", "García", "Rossi", "Kowalski", "Lee", "Dubois")
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def build_store(path: Path, orders: int = STORE_ORDERS, seed: int = 7) -> None:
    """A store with ``orders`` orders in three carts, plus the showcase order (newest)."""
    rng = random.Random(seed)
    database = open_database(location.parse_url(str(path)))
    try:
        with database.transaction() as session:
            session.add_all(
                Cart(id=i + 1, name=name, kind=kind, created_at=T0)
                for i, (name, kind, _, _) in enumerate(CARTS)
            )
            session.add_all(
                StatusLabel(id=i + 1, name=name, position=i, created_at=T0)
                for i, name in enumerate(LABELS)
            )
            session.flush()
            rows: list[dict[str, Any]] = []
            terms: list[dict[str, Any]] = []
            for order_id in range(1, orders + 1):
                cart = rng.randrange(len(CARTS))
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                email = f"{keys.fold(name).replace(' ', '.')}{order_id}@example.com"
                number = CARTS[cart][3].format(n=1000 + order_id)
                placed = T0 + timedelta(minutes=97 * order_id + rng.randrange(60))
                total = Decimal(rng.randrange(500, 90_000)) / 100
                rows.append(_order(order_id, cart + 1, number, name, email, placed, total, rng))
                terms.extend(
                    {"term": term, "order_id": order_id}
                    for term in keys.search_terms(number, name, [email])
                )
            session.execute(insert(Order), rows)
            session.execute(insert(OrderSearchTerm), terms)
            _add_showcase(session, orders + 1, T0 + timedelta(minutes=97 * (orders + 2)))
    finally:
        database.dispose()


def _order(
    order_id: int,
    cart_id: int,
    number: str,
    name: str,
    email: str,
    placed: datetime,
    total: Decimal,
    rng: random.Random,
) -> dict[str, Any]:
    return {
        "id": order_id,
        "cart_id": cart_id,
        "remote_id": str(50_000 + order_id),
        "number": number,
        "number_key": keys.number_key(number),
        "placed_at": placed,
        "modified_at": placed,
        "imported_at": placed,
        "customer_name": name,
        "customer_sort": keys.customer_sort_key(name),
        "customer_email": email,
        "currency": CARTS[cart_id - 1][2],
        "subtotal": total,
        "shipping_total": Decimal("0"),
        "tax_total": Decimal("0"),
        "discount_total": Decimal("0"),
        "total": total,
        "payment_state": rng.choice(["paid", "paid", "unpaid", "refunded"]),
        "shipping_state": rng.choice(["shipped", "unshipped", "partially_shipped"]),
        "item_count": rng.randrange(1, 9),
        "status_label_id": rng.choice([None, 1, 2, 3, 4, 5]),
    }


def _add_showcase(session: Any, order_id: int, placed: datetime) -> None:
    number = SHOWCASE_NUMBER
    email = "m.quellmalz@example.com"
    order = Order(
        id=order_id,
        cart_id=2,
        remote_id="880001",
        number=number,
        number_key=keys.number_key(number),
        placed_at=placed,
        modified_at=placed + timedelta(days=1),
        imported_at=placed,
        customer_name=SHOWCASE_CUSTOMER,
        customer_sort=keys.customer_sort_key(SHOWCASE_CUSTOMER),
        customer_email=email,
        customer_phone="+49 30 1234567",
        billing_name=SHOWCASE_CUSTOMER,
        billing_street1="Karl-Marx-Allee 90",
        billing_city="Berlin",
        billing_postcode="10243",
        billing_country="DE",
        shipping_name=SHOWCASE_CUSTOMER,
        shipping_company="Quellmalz Keramik",
        shipping_street1="Oranienstraße 25",
        shipping_city="Berlin",
        shipping_postcode="10999",
        shipping_country="DE",
        shipping_method="DHL Paket",
        currency="EUR",
        subtotal=Decimal("184.70"),
        shipping_total=Decimal("6.90"),
        tax_total=Decimal("36.40"),
        discount_total=Decimal("10.00"),
        total=Decimal("218.00"),
        payment_state="paid",
        shipping_state="partially_shipped",
        item_count=4,
        status_label_id=3,
        ship_date=date(2026, 11, 20),
        customer_note="Please leave the parcel with the neighbour at no. 27.",
    )
    items = [
        LineItem(
            id=900_001,
            position=1,
            sku="MUG-STONE-GRY",
            name="Stoneware mug, grey",
            quantity=2,
            unit_price=Decimal("24.90"),
            status_label_id=4,
        ),
        LineItem(
            id=900_002,
            position=2,
            sku="BOWL-LRG-OAT",
            name="Large serving bowl, oat",
            quantity=1,
            unit_price=Decimal("79.00"),
            status_label_id=4,
        ),
        LineItem(
            id=900_003,
            position=3,
            sku="PLATE-SET-4",
            name="Dinner plates, set of 4",
            quantity=1,
            unit_price=Decimal("55.90"),
            status_label_id=3,
        ),
    ]
    order.items = items
    order.payments = [
        Payment(
            kind="payment",
            method="PayPal",
            reference="PAYID-MX7Q2",
            amount=Decimal("218"),
            paid_at=placed + timedelta(minutes=2),
        ),
    ]
    session.add(order)
    session.flush()
    shipment = Shipment(
        order_id=order_id, carrier="DHL", service="Paket", shipped_at=placed + timedelta(days=1)
    )
    shipment.tracking_numbers = [TrackingNumber(number=n) for n in SHOWCASE_TRACKING]
    shipment.items = [
        ShipmentItem(line_item_id=900_001, quantity=2),
        ShipmentItem(line_item_id=900_002, quantity=1),
    ]
    session.add(shipment)
    changes = [
        (None, None, 1, 0, "Order Received"),
        (None, 1, 2, 2, "Payment Received"),
        (900_003, 1, 3, 60, "Item Backordered"),
        (900_001, 1, 4, 1440, "Item Shipped"),
    ]
    for item, before, after, minutes, event in changes:
        session.add(
            LabelChange(
                order_id=order_id,
                line_item_id=item,
                from_label_id=before,
                to_label_id=after,
                changed_at=placed + timedelta(minutes=minutes),
                event=event,
            )
        )
    for term in keys.search_terms(number, SHOWCASE_CUSTOMER, [email]):
        session.add(OrderSearchTerm(term=term, order_id=order_id))


@pytest.fixture(scope="session")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ui-store") / "store.sqlite3"
    build_store(path)
    return path


@pytest.fixture
def store(store_path: Path) -> Iterator[Database]:
    database = open_database(location.parse_url(str(store_path)))
    yield database
    database.dispose()


@pytest.fixture
def tasks(qapp: Any) -> Iterator[TaskManager]:
    manager = TaskManager()
    yield manager
    manager.shutdown(wait=True)
    manager.deleteLater()


@contextmanager
def _window_opener(
    qtbot: QtBot, database: Database, tasks: TaskManager
) -> Iterator[Callable[[], MainWindow]]:
    """Opens main windows on ``database``, each shown once its first rows are in."""
    windows: list[MainWindow] = []

    def open_one() -> MainWindow:
        window = MainWindow(database, tasks)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.model.count > 0 and window.model.is_row_loaded(0))
        windows.append(window)
        return window

    yield open_one
    for window in windows:
        if window.isVisible():
            window.close()


@pytest.fixture
def open_window(
    qtbot: QtBot, store: Database, tasks: TaskManager
) -> Iterator[Callable[[], MainWindow]]:
    """Opens a main window on the shared store and waits for its first rows."""
    with _window_opener(qtbot, store, tasks) as open_one:
        yield open_one


@pytest.fixture
def writable_store(store_path: Path, tmp_path: Path) -> Iterator[Database]:
    """A private copy of the store, for a test that changes it (the shared one stays as built)."""
    copy = tmp_path / store_path.name
    for suffix in ("", "-wal", "-shm"):
        source = store_path.with_name(store_path.name + suffix)
        if source.exists():
            shutil.copyfile(source, copy.with_name(copy.name + suffix))
    database = open_database(location.parse_url(str(copy)))
    yield database
    database.dispose()


@pytest.fixture
def open_writable_window(
    qtbot: QtBot, writable_store: Database, tasks: TaskManager
) -> Iterator[Callable[[], MainWindow]]:
    """Like ``open_window``, on the private copy of the store."""
    with _window_opener(qtbot, writable_store, tasks) as open_one:
        yield open_one
