"""The order list's queries on real SQLite and PostgreSQL: filter, sort, page, search, find."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from ordermanager.db.engine import Database
from ordermanager.errors import NotFoundError
from ordermanager.orders.detail import AmbiguousOrderNumberError, find_order, load_order_detail
from ordermanager.orders.query import (
    OrderFilter,
    OrderSort,
    SortColumn,
    count_orders,
    fetch_orders,
    label_id_by_name,
    list_carts,
    list_labels,
)
from tests import factories
from tests.factories import NOW, Item, Spec

CUSTOMERS = ["Ann Smith", "bob Smithers", "Élodie Durand", "Zoë Ångström", "李小龙", "Carl O'Brien"]


@pytest.fixture
def store(any_db: Database) -> Database:
    with any_db.transaction() as session:
        for i in range(60):
            factories.order(
                session,
                Spec(
                    number=f"#{1000 + i}" if i % 2 else str(1000 + i),
                    customer=CUSTOMERS[i % len(CUSTOMERS)],
                    email=f"customer{i}@example.com",
                    placed_at=NOW - timedelta(hours=i * 7),
                    cart_name="Shopify" if i % 2 else "Woo",
                    cart_kind="shopify" if i % 2 else "woocommerce",
                    label=["Order Received", "Order Shipped", None][i % 3],
                    payment_state="paid" if i % 4 else "unpaid",
                    items=[Item(quantity=1 + i % 5, unit_price=Decimal("3.30") * (i % 7))],
                    tracking=["1Z999AA10123456784"] if i == 4 else [],
                ),
            )
    return any_db


def test_count_and_default_order_newest_first(store: Database) -> None:
    with store.session() as session:
        assert count_orders(session) == 60
        rows = fetch_orders(session, limit=1000)
    assert [r.placed_at for r in rows] == sorted((r.placed_at for r in rows), reverse=True)
    assert len({r.id for r in rows}) == 60


@pytest.mark.parametrize("column", list(SortColumn))
@pytest.mark.parametrize("descending", [False, True])
def test_pages_concatenate_to_the_full_sorted_list(
    store: Database, column: SortColumn, descending: bool
) -> None:
    sort = OrderSort(column, descending)
    with store.session() as session:
        whole = fetch_orders(session, sort=sort, limit=1000)
        pages = [fetch_orders(session, sort=sort, offset=o, limit=7) for o in range(0, 60, 7)]
    assert [r.id for page in pages for r in page] == [r.id for r in whole]


def test_sort_by_number_is_natural_and_by_customer_ignores_case(store: Database) -> None:
    with store.session() as session:
        by_number = fetch_orders(session, sort=OrderSort(SortColumn.NUMBER, False), limit=1000)
        by_customer = fetch_orders(session, sort=OrderSort(SortColumn.CUSTOMER, False), limit=1000)
        by_total = fetch_orders(session, sort=OrderSort(SortColumn.TOTAL, True), limit=1000)
    assert [int(r.number.lstrip("#")) for r in by_number] == list(range(1000, 1060))
    firsts = [r.customer_name for r in by_customer]
    assert firsts.index("bob Smithers") > firsts.index("Ann Smith")
    assert firsts.index("Élodie Durand") < firsts.index("Zoë Ångström")
    totals = [r.total for r in by_total]
    assert totals == sorted(totals, reverse=True) and isinstance(totals[0], Decimal)


def test_filter_by_label_cart_and_dates(store: Database) -> None:
    with store.session() as session:
        shipped = label_id_by_name(session, "Order Shipped")
        carts = dict((name, cart_id) for cart_id, name in list_carts(session))
        assert [name for _, name in list_labels(session)] == ["Order Received", "Order Shipped"]
        by_label = OrderFilter(label_id=shipped)
        assert count_orders(session, by_label) == 20
        assert {r.label for r in fetch_orders(session, by_label, limit=100)} == {"Order Shipped"}
        both = OrderFilter(label_id=shipped, cart_id=carts["Woo"])
        assert count_orders(session, both) == 10
        window = OrderFilter(placed_from=NOW - timedelta(hours=70), placed_before=NOW)
        # Hours 7..70 back: orders 1..10.
        assert count_orders(session, window) == 10


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("smith", 20),  # "Smith" and "Smithers"
        ("SMITHERS", 10),
        ("ann smi", 10),
        ("elodie", 10),
        ("ÅNGSTRÖM", 10),
        ("李", 10),
        ("o'brien", 10),
        ("1001", 1),
        ("#1001", 1),
        ("customer7@example.com", 1),
        ("customer1", 11),  # customer1, customer10..19 e-mails
        ("nobody", 0),
    ],
)
def test_quick_search(store: Database, text: str, expected: int) -> None:
    with store.session() as session:
        flt = OrderFilter(search=text)
        assert count_orders(session, flt) == expected
        assert len(fetch_orders(session, flt, limit=1000)) == expected


def test_find_order_by_number_and_cart(store: Database) -> None:
    with store.transaction() as session:
        # Another cart reuses 1000: now the bare number is ambiguous.
        factories.order(session, Spec(number="1000", cart_name="Magento", cart_kind="magento2"))
    with store.session() as session:
        assert load_order_detail(session, find_order(session, "1001")).number == "#1001"
        assert load_order_detail(session, find_order(session, "#1001")).number == "#1001"
        with pytest.raises(AmbiguousOrderNumberError, match="Magento:1000"):
            find_order(session, "1000")
        assert (
            load_order_detail(session, find_order(session, "Magento:1000")).cart_name == "Magento"
        )
        with pytest.raises(NotFoundError, match="No order has the number 5"):
            find_order(session, "5")
        with pytest.raises(NotFoundError, match="cart named 'Nope'"):
            find_order(session, "Nope:1000")


def test_detail_has_items_shipments_and_history(store: Database) -> None:
    with store.session() as session:
        detail = load_order_detail(session, find_order(session, "1004"))
    assert detail.customer_name == CUSTOMERS[4]
    assert detail.shipments[0].tracking_numbers == ["1Z999AA10123456784"]
    assert detail.shipments[0].items[0][1] == detail.items[0].quantity
    assert detail.items[0].shipped_quantity == detail.items[0].quantity
    assert detail.history[0].to_label == "Order Shipped"
    assert detail.history[0].reason == "Order Received"
    assert detail.total == detail.subtotal + detail.shipping_total
    document = detail.as_json()
    assert document["shipments"][0]["tracking_numbers"] == ["1Z999AA10123456784"]
    assert document["total"] == f"{detail.total:.2f}"
