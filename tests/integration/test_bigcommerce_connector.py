"""The BigCommerce connector's order download against a BigCommerce-like REST v2 server on
127.0.0.1: paging, the 204 pitfall, RFC 2822 dates, sub-resources, quota headers and errors.

Each test asserts what the fake store received as well as what the connector made of it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest

from ordermanager.carts import registry
from ordermanager.carts.bigcommerce import BigCommerceConnector
from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import CartConfig, RemoteOrder
from ordermanager.carts.status_map import ActionKind, StatusMap
from tests.cart_support.fake_bigcommerce import (
    FakeBigCommerce,
    Fault,
    make_address,
    make_order,
    make_product,
)

T0 = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)
FAST = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)


@pytest.fixture
def store() -> Iterator[FakeBigCommerce]:
    with FakeBigCommerce() as fake:
        yield fake


def connect(
    store: FakeBigCommerce, *, url: str | None = None, token: str | None = None
) -> BigCommerceConnector:
    cart = CartConfig(id=4, name="Bïg Störe", kind="bigcommerce", base_url=url or store.base_url)
    secret = token if token is not None else store.access_token
    return BigCommerceConnector(cart, {"access_token": secret}, timeout=FAST)


@pytest.fixture
def conn(store: FakeBigCommerce) -> Iterator[BigCommerceConnector]:
    connector = connect(store)
    yield connector
    connector.close()


def assert_no_secret(store: FakeBigCommerce, text: str) -> None:
    assert store.access_token not in text


def download_all(conn: BigCommerceConnector, since: datetime) -> tuple[list[RemoteOrder], int]:
    got: list[RemoteOrder] = []
    page: str | None = None
    pages = 0
    while True:
        result = conn.list_orders(since, page)
        pages += 1
        got.extend(result.orders)
        page = result.next_page
        if page is None:
            return got, pages


# -- identity and registry ------------------------------------------------------------------


def test_registered_with_its_matrix_row_and_default_mapping() -> None:
    cls = registry.connector_class("BigCommerce")
    assert cls is BigCommerceConnector
    assert cls.secret_fields == ("access_token",)
    caps = cls.capabilities
    assert (caps.order_download, caps.status_updates, caps.tracking_numbers, caps.cancel) == (
        True,
        True,
        True,
        True,
    )
    assert (caps.partial_shipment, caps.inventory, caps.invoices) == (True, False, False)
    assert [s.code for s in cls.cart_statuses] == [str(n) for n in range(15)]
    mapping = StatusMap(defaults=cls.default_status_map)
    for label in ("Order Shipped", "Partially Shipped"):
        action = mapping.action_for(label)
        assert action is not None and action.kind is ActionKind.SHIP and action.notify_customer
    cancel = mapping.action_for("Order Cancelled")
    assert cancel is not None and cancel.kind is ActionKind.CANCEL
    for label in (
        "Tracking Entered",
        "Tracking Imported",
        "Backordered",
        "Item Cancelled",
        "Item Returned",
        "Order Returned",
        "Refunded",
        "Partially Refunded",
        "Completed",
        "On Hold",
    ):
        action = mapping.action_for(label)
        assert action is not None, label
        assert action.kind in (ActionKind.SET_STATUS, ActionKind.COMMENT), label
        if action.kind is ActionKind.SET_STATUS:
            assert action.cart_status in {s.code for s in cls.cart_statuses}, label


# -- listing orders -------------------------------------------------------------------------


def test_multi_page_download_reads_to_the_end(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    # 500 orders: each later page asks again from the last change seen (inclusive) and drops
    # the order it already returned, so the third page holds orders 499 (dropped) and 500.
    for i in range(1, 501):
        store.add(make_order(i, modified=T0 + timedelta(minutes=i), digital=True))
    got, pages = download_all(conn, T0)
    assert pages == 3
    assert [o.remote_id for o in got] == [str(i) for i in range(1, 501)]  # each once, in order
    lists = [r for r in store.seen("GET") if r.path == "orders"]
    assert [(q.query["min_date_modified"], q.query["page"]) for q in lists] == [
        ("Fri, 20 Nov 2026 08:00:00 +0000", "1"),
        ("Fri, 20 Nov 2026 12:10:00 +0000", "1"),  # the 250th order's change, inclusive
        ("Fri, 20 Nov 2026 16:19:00 +0000", "1"),
    ]
    for r in lists:
        assert r.query["sort"] == "date_modified:asc" and r.query["limit"] == "250"
        assert r.headers["Accept"] == "application/json"
        assert r.headers["X-Auth-Token"] == store.access_token and r.auth_ok
    # Digital orders (no shipping address) cost one products request each, not two.
    assert sum(1 for r in store.seen() if r.path.endswith("/products")) == 500
    assert not any(r.path.endswith("/shipping_addresses") for r in store.seen())


def test_empty_result_is_204_without_a_body(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    store.add(make_order(1, modified=T0 - timedelta(days=1)))
    page = conn.list_orders(T0, None)
    assert page.orders == [] and page.skipped == [] and page.next_page is None
    (req,) = store.seen()
    assert req.path == "orders"


def test_a_full_last_page_ends_with_the_204_of_the_next(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    for i in range(1, 251):
        store.add(make_order(i, modified=T0, digital=True))
    first = conn.list_orders(T0, None)
    assert len(first.orders) == 250 and first.next_page is not None
    second = conn.list_orders(T0, first.next_page)  # page 2 of that second: 204, no body
    assert (second.orders, second.skipped, second.next_page) == ([], [], None)
    assert [r.query["page"] for r in store.seen() if r.path == "orders"] == ["1", "2"]


def test_a_whole_page_in_one_second_pages_within_that_second(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    # A bulk edit: 260 orders changed in the same second; keyset cannot move past it.
    for i in range(1, 261):
        store.add(make_order(i, modified=T0, digital=True))
    store.add(make_order(999, modified=T0 + timedelta(seconds=1), digital=True))
    got, pages = download_all(conn, T0)
    assert pages == 2
    assert sorted(int(o.remote_id) for o in got) == [*range(1, 261), 999]
    assert len(got) == 261  # none twice
    lists = [r.query for r in store.seen("GET") if r.path == "orders"]
    assert [(q["min_date_modified"], q["page"]) for q in lists] == [
        ("Fri, 20 Nov 2026 08:00:00 +0000", "1"),
        ("Fri, 20 Nov 2026 08:00:00 +0000", "2"),
    ]


def test_an_order_changed_mid_download_is_not_lost(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    for i in range(1, 301):
        store.add(make_order(i, modified=T0 + timedelta(seconds=i), digital=True))
    first = conn.list_orders(T0, None)
    assert len(first.orders) == 250 and first.next_page is not None
    # Order 5 (already seen) changes now: with page numbers every later order would move up one
    # place and order 251 would fall between the pages.
    store.add(make_order(5, modified=T0 + timedelta(hours=2), digital=True))
    rest: list[RemoteOrder] = []
    page: str | None = first.next_page
    while page is not None:
        result = conn.list_orders(T0, page)
        rest.extend(result.orders)
        page = result.next_page
    assert [o.remote_id for o in rest] == [*(str(i) for i in range(251, 301)), "5"]


def test_order_fields_normalised_with_unicode_dates_and_money(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    order = make_order(
        9,
        modified=T0 + timedelta(minutes=1),
        first_name="Zoë",
        last_name="Ångström 🚀",
        total="21.2950",
        status_id=7,
        payment_status="pending",
    )
    order["discount_amount"] = "1.5000"
    order["coupon_discount"] = "0.2500"
    order["subtotal_ex_tax"] = "16.2950"
    order["total_tax"] = "1.7500"
    products = [
        make_product(
            71, 9, name="Café crème – 東京 ☕", sku="CAFÉ-東京-1", quantity=3, price="2.1000"
        ),
        make_product(72, 9, name="Zubehör", sku="", quantity=1, price="9.9950"),
    ]
    ship_to = make_address(
        5,
        9,
        first_name="山田",
        last_name="太郎",
        city="千代田区",
        state="東京都",
        country_iso2="jp",
    )
    store.add(order, products, [ship_to])
    store.add(make_order(10, modified=T0 + timedelta(minutes=2), payment_status="", status_id=9))
    first, second = conn.list_orders(T0, None).orders
    assert first.remote_id == first.number == "9"
    assert first.placed_at == T0 + timedelta(minutes=1) - timedelta(hours=1)
    assert first.modified_at == T0 + timedelta(minutes=1)
    assert first.modified_at.utcoffset() == timedelta(0)
    assert first.customer_name == "Zoë Ångström 🚀" and first.billing.country == "GB"
    assert first.customer_email == "ada@example.org"
    assert (first.shipping.name, first.shipping.city, first.shipping.region) == (
        "山田 太郎",
        "千代田区",
        "東京都",
    )
    assert first.shipping.country == "JP"
    assert [(i.remote_id, i.name, i.sku, i.quantity, i.unit_price) for i in first.items] == [
        ("71", "Café crème – 東京 ☕", "CAFÉ-東京-1", 3, Decimal("2.1000")),
        ("72", "Zubehör", "", 1, Decimal("9.9950")),
    ]
    assert first.total == Decimal("21.2950") and isinstance(first.total, Decimal)
    assert (first.subtotal, first.shipping_total, first.tax_total, first.discount_total) == (
        Decimal("16.2950"),
        Decimal("5.0000"),
        Decimal("1.7500"),
        Decimal("1.7500"),
    )
    assert first.currency == "EUR"
    assert (first.paid, first.invoiced, first.cart_status) == (False, False, "Awaiting Payment")
    # Awaiting Shipment (9) is only reached after payment, even without a payment_status.
    assert (second.paid, second.invoiced) == (True, True)
    # Each order: its products and its shipping addresses, asked for separately.
    assert [r.path for r in store.seen()] == [
        "orders",
        "orders/9/products",
        "orders/9/shipping_addresses",
        "orders/10/products",
        "orders/10/shipping_addresses",
    ]


def test_since_in_another_zone_is_sent_as_utc(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    conn.list_orders(T0.astimezone(ZoneInfo("America/New_York")), None)
    assert store.seen()[-1].query["min_date_modified"] == "Fri, 20 Nov 2026 08:00:00 +0000"


def test_orders_with_missing_fields_are_skipped_with_reasons_and_the_rest_import(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    no_total = make_order(2, modified=T0 + timedelta(minutes=2))
    del no_total["total_inc_tax"]
    bad_date = make_order(3, modified=T0 + timedelta(minutes=3))
    bad_date["date_created"] = "yesterday-ish"
    no_quantity = make_order(4, modified=T0 + timedelta(minutes=4))
    store.add(make_order(1, modified=T0 + timedelta(minutes=1)))
    store.add(no_total)
    store.add(bad_date)
    line = make_product(40, 4)
    del line["quantity"]
    store.add(no_quantity, [line])
    store.add(make_order(5, modified=T0 + timedelta(minutes=5)))
    store.add(make_order(6, modified=T0 + timedelta(minutes=6)))
    no_id = make_order(7, modified=T0 + timedelta(minutes=7))
    del no_id["id"]
    store.orders[-7] = no_id  # the fake keys orders by id; this one has none
    # Order 6 was deleted between the list and its products: 404 for that sub-resource only.
    store.fail("products/6", Fault(404, body='[{"status":404,"message":"Not found."}]'))

    result = conn.list_orders(T0, None)
    assert [o.remote_id for o in result.orders] == ["1", "5"]
    reasons = {s.remote_id: s.reason for s in result.skipped}
    assert reasons == {
        "": "A BigCommerce order skipped: it has no numeric id",
        "6": "BigCommerce order 6 skipped: its products were not found (HTTP 404)",
        "2": "BigCommerce order 2 skipped: it has no total_inc_tax",
        "3": "BigCommerce order 3 skipped: its date_created 'yesterday-ish' is not a date",
        "4": "BigCommerce order 4 skipped: its product line 1 has no whole quantity",
    }
    by_id = {s.remote_id: s for s in result.skipped}
    assert by_id["2"].modified_at == T0 + timedelta(minutes=2)
    assert by_id["2"].number == "2"


# -- errors ---------------------------------------------------------------------------------


_RETRY_7 = Fault(429, headers={"Retry-After": "7"})


@pytest.mark.parametrize(
    ("faults", "transient", "retry_after", "words"),
    [
        # BigCommerce's own rate headers: wait X-Rate-Limit-Time-Reset-Ms (longer than we wait
        # inline, so the cycle gives up and the caller backs off).
        (
            [Fault(429, headers={"X-Rate-Limit-Time-Reset-Ms": "45000"})],
            True,
            45.0,
            "HTTP 429",
        ),
        # A short wait on a read is waited out once; a second 429 gives up.
        ([_RETRY_7, _RETRY_7], True, 7.0, "HTTP 429"),
        ([Fault(503)], True, None, "HTTP 503"),
        ([Fault(200, body='[{"id": 1, "date_modified": ')], False, None, "not JSON"),
        (
            [Fault(400, body='[{"status":400,"message":"The field \'limit\' is invalid."}]')],
            False,
            None,
            "The field 'limit' is invalid.",
        ),
    ],
    ids=["429-reset-ms", "429-retry-after", "5xx", "malformed-json", "400"],
)
def test_list_orders_errors(
    store: FakeBigCommerce,
    conn: BigCommerceConnector,
    faults: list[Fault],
    transient: bool,
    retry_after: float | None,
    words: str,
) -> None:
    slept: list[float] = []
    conn.sleep = slept.append
    conn.clock = lambda: 1000.0  # a still clock: waits are exactly what the cart said
    store.add(make_order(1, modified=T0 + timedelta(minutes=1)))
    store.fail("orders", *faults)
    with pytest.raises(ConnectorError) as caught:
        conn.list_orders(T0, None)
    assert caught.value.transient is transient
    assert caught.value.retry_after == retry_after
    assert words in str(caught.value)
    assert str(caught.value).startswith("BigCommerce cart 'Bïg Störe'")
    assert_no_secret(store, str(caught.value))
    assert slept == ([7.0] if len(faults) == 2 else [])
    conn.clock = lambda: 1e6  # the quota window has passed
    # The cart recovers: the next call imports.
    assert [o.remote_id for o in conn.list_orders(T0, None).orders] == ["1"]


def test_a_short_429_on_a_read_is_waited_out_and_retried_once(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    slept: list[float] = []
    conn.sleep = slept.append
    store.add(make_order(1, modified=T0 + timedelta(minutes=1)))
    store.fail("products", Fault(429, headers={"X-Rate-Limit-Time-Reset-Ms": "1500"}))
    page = conn.list_orders(T0, None)
    assert [o.remote_id for o in page.orders] == ["1"]
    assert slept == [pytest.approx(1.5, abs=0.1)]
    assert [r.path for r in store.seen()] == [
        "orders",
        "orders/1/products",
        "orders/1/products",
        "orders/1/shipping_addresses",
    ]


def test_quota_used_up__waits_for_the_reset_before_the_next_request() -> None:
    # A real window: 5 requests per 400 ms. 12 orders cost 25 requests; the connector must wait
    # whenever X-Rate-Limit-Requests-Left reaches 0, so the store never has to answer 429.
    with FakeBigCommerce(quota=5, window_ms=400) as store:
        for i in range(1, 13):
            store.add(make_order(i, modified=T0 + timedelta(minutes=i)))
        conn = connect(store)
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            store.stopping.wait(seconds)  # really wait: the fake's window is real time

        conn.sleep = sleep
        try:
            got, _ = download_all(conn, T0)
        finally:
            conn.close()
        assert [o.remote_id for o in got] == [str(i) for i in range(1, 13)]
        assert store.served_429 == 0
        assert len(waits) >= 4  # 25 requests through windows of 5
        assert all(0 < w <= 0.4 for w in waits)


def test_a_long_quota_reset_is_a_transient_error_not_a_long_block(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    slept: list[float] = []
    conn.sleep = slept.append
    conn.clock = lambda: 1000.0  # a still clock: the wait is exactly the reset
    store.add(make_order(1, modified=T0 + timedelta(minutes=1)))
    store.fail(
        "products",
        Fault(
            200,
            body="[]",
            headers={"X-Rate-Limit-Requests-Left": "0", "X-Rate-Limit-Time-Reset-Ms": "90000"},
        ),
    )
    with pytest.raises(ConnectorError) as caught:
        conn.list_orders(T0, None)
    assert caught.value.transient is True and caught.value.retry_after == 90.0
    assert "quota is used up" in str(caught.value)
    assert slept == []


def test_list_orders_timeout_is_transient(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    store.add(make_order(1, modified=T0 + timedelta(minutes=1)))
    store.fail("addresses", Fault(hang=True))
    with pytest.raises(ConnectorError) as caught:
        conn.list_orders(T0, None)
    assert caught.value.transient is True
    assert "in time" in str(caught.value)


def test_answer_that_is_not_a_list_is_a_clear_error(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    store.fail("orders", Fault(200, body='{"orders": []}'))
    with pytest.raises(ConnectorError, match="something other than a list of orders") as caught:
        conn.list_orders(T0, None)
    assert caught.value.transient is False


# -- test_connection ------------------------------------------------------------------------


def test_connection_ok(store: FakeBigCommerce, conn: BigCommerceConnector) -> None:
    store.add(make_order(1, modified=T0))
    store.add(make_order(2, modified=T0))
    assert conn.test_connection() == (
        f"Connected to BigCommerce at {store.base_url}; 2 orders in the store."
    )
    (req,) = store.seen()
    assert (req.method, req.path) == ("GET", "orders/count")
    assert req.headers["X-Auth-Token"] == store.access_token
    assert req.headers["Accept"] == "application/json"


def test_connection_refused_token_is_clear_and_redacted() -> None:
    with FakeBigCommerce(echo_token=True) as store:
        wrong = connect(store, token="bc_wrong_token_value_987")
        try:
            with pytest.raises(ConnectorError) as caught:
                wrong.test_connection()
        finally:
            wrong.close()
    message = str(caught.value)
    assert "refused the access token (HTTP 401" in message
    assert "not authorized" in message
    assert caught.value.transient is False
    # The store echoed the token we sent; it never reaches the message.
    assert "bc_wrong_token_value_987" not in message and "[redacted]" in message
    assert_no_secret(store, message)


def test_api_path_with_version_is_accepted_as_the_store_url(store: FakeBigCommerce) -> None:
    pasted = connect(store, url=store.base_url + "/v3/")
    try:
        assert pasted.test_connection().startswith(f"Connected to BigCommerce at {store.base_url};")
    finally:
        pasted.close()


def test_not_a_store_api_url_is_a_clear_error(store: FakeBigCommerce) -> None:
    wrong = connect(store, url="https://mystore.mybigcommerce.com/")
    try:
        with pytest.raises(ConnectorError, match=r"api.bigcommerce.com/stores/<store hash>"):
            wrong.test_connection()
    finally:
        wrong.close()
    assert store.seen() == []


def test_missing_token_is_a_clear_error(store: FakeBigCommerce) -> None:
    cart = CartConfig(id=1, name="Half", kind="bigcommerce", base_url=store.base_url)
    conn = BigCommerceConnector(cart, {})
    try:
        with pytest.raises(ConnectorError, match="the access token is needed"):
            conn.test_connection()
    finally:
        conn.close()
    assert store.seen() == []


def test_connection_unreachable(store: FakeBigCommerce) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = connect(store, url=f"http://127.0.0.1:{port}/stores/abc123xyz")
    try:
        with pytest.raises(ConnectorError) as caught:
            gone.test_connection()
    finally:
        gone.close()
    assert f"could not reach http://127.0.0.1:{port}/stores/abc123xyz" in str(caught.value)
    assert caught.value.transient is True
    assert_no_secret(store, str(caught.value))


def test_connection_without_the_orders_scope_says_which_scope(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    store.fail(
        "count",
        Fault(403, body='[{"status":403,"message":"You don\'t have a required scope."}]'),
    )
    with pytest.raises(ConnectorError) as caught:
        conn.test_connection()
    message = str(caught.value)
    assert "HTTP 403" in message and "Orders scope 'modify'" in message
    assert "required scope" in message
    assert caught.value.transient is False
    assert_no_secret(store, message)
