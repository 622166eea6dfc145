"""The Shopify connector's download side against a Shopify-like Admin GraphQL server on 127.0.0.1.

Each test asserts what the fake store received (path, token header, operation, variables) as
well as what the connector made of the answer.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ordermanager.carts import registry
from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import CartConfig, RemoteOrder
from ordermanager.carts.shopify import API_PATH, ShopifyConnector
from ordermanager.carts.shopify_orders import ORDERS_PER_PAGE
from ordermanager.carts.status_map import ActionKind
from tests.cart_support.fake_shopify import (
    FakeShopify,
    Fault,
    connect,
    make_order,
    orders_cost,
)

T0 = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)


@pytest.fixture
def store() -> Iterator[FakeShopify]:
    with FakeShopify() as fake:
        yield fake


@pytest.fixture
def conn(store: FakeShopify) -> Iterator[ShopifyConnector]:
    connector = connect(store)
    yield connector
    connector.close()


def assert_no_secret(store: FakeShopify, text: str) -> None:
    assert store.access_token not in text


def download_all(conn: ShopifyConnector, since: datetime) -> tuple[list[RemoteOrder], int]:
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


def test_registered_with_its_matrix_row_and_mapping() -> None:
    cls = registry.connector_class("Shopify")
    assert cls is ShopifyConnector
    assert cls.title == "Shopify"
    assert cls.secret_fields == ("access_token",)
    caps = cls.capabilities
    assert (caps.order_download, caps.status_updates, caps.tracking_numbers, caps.cancel) == (
        True,
        True,
        True,
        True,
    )
    assert (caps.partial_shipment, caps.inventory, caps.invoices) == (True, False, False)
    assert cls.cart_statuses == ()
    assert cls.supported_actions == {
        ActionKind.SHIP,
        ActionKind.CANCEL,
        ActionKind.COMMENT,
        ActionKind.SKIP,
    }
    defaults = cls.default_status_map
    assert defaults["Order Shipped"].kind is ActionKind.SHIP
    assert defaults["Order Shipped"].notify_customer is True
    assert defaults["Partially Shipped"].kind is ActionKind.SHIP
    assert defaults["Partially Shipped"].notify_customer is True
    assert defaults["Order Cancelled"].kind is ActionKind.CANCEL
    others = (
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
    )
    # No Shopify order statuses to set: every other notify-cart label becomes an order note.
    assert {defaults[label].kind for label in others} == {ActionKind.COMMENT}


# -- listing orders -------------------------------------------------------------------------


def test_multi_page_download__later_pages_repeat_the_arguments_and_add_after(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    store.add(*(make_order(i, modified=T0 + timedelta(minutes=i)) for i in range(1, 46)))
    got, pages = download_all(conn, T0)
    assert pages == 3
    # Each order exactly once, oldest change first.
    assert [o.remote_id for o in got] == [str(i) for i in range(1, 46)]
    assert [o.number for o in got[:2]] == ["#1001", "#1002"]
    first, second, third = store.seen("Orders")
    expected = {
        "first": ORDERS_PER_PAGE,
        "query": "updated_at:>'2026-11-20T08:00:00Z'",
        "sortKey": "UPDATED_AT",
        "itemsFirst": 10,
    }
    assert first.variables == expected
    assert "after" not in first.variables
    # Later pages: the same arguments unchanged, plus the previous page's endCursor.
    assert {k: v for k, v in second.variables.items() if k != "after"} == expected
    assert {k: v for k, v in third.variables.items() if k != "after"} == expected
    assert second.variables["after"] and third.variables["after"]
    assert second.variables["after"] != third.variables["after"]
    for request in store.seen():
        assert (request.method, request.path) == ("POST", API_PATH)
        assert request.headers["X-Shopify-Access-Token"] == store.access_token
        assert request.headers["Content-Type"] == "application/json"
        assert request.auth_ok
        assert request.body["query"].startswith("query Orders(")
    # Orders' requested cost stays below Shopify's single-query ceiling of 1,000 points.
    assert orders_cost(ORDERS_PER_PAGE, 10) <= 1000


def test_the_fake_refuses_a_cursor_with_changed_arguments(store: FakeShopify) -> None:
    """The pitfall the connector avoids, shown on the server: a later page that changes the
    query is refused, as Shopify does."""
    store.add(*(make_order(i, modified=T0 + timedelta(minutes=i)) for i in range(1, 4)))
    query = "query Orders($first: Int!) { orders { nodes { id } } }"
    headers = {"X-Shopify-Access-Token": store.access_token}
    variables = {"first": 1, "query": "updated_at:>'2026-11-20T08:00:00Z'", "sortKey": "UPDATED_AT"}
    with httpx.Client(base_url=store.base_url) as client:
        first = client.post(
            API_PATH, json={"query": query, "variables": variables}, headers=headers
        )
        cursor = first.json()["data"]["orders"]["pageInfo"]["endCursor"]
        moved = {**variables, "after": cursor, "query": "updated_at:>'2026-11-20T08:01:00Z'"}
        refused = client.post(API_PATH, json={"query": query, "variables": moved}, headers=headers)
    assert refused.status_code == 200
    (error,) = refused.json()["errors"]
    assert "Invalid cursor for current pagination sort" in error["message"]


def test_the_page_token_carries_the_original_query(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    store.add(*(make_order(i, modified=T0 + timedelta(minutes=i)) for i in range(1, 26)))
    page = conn.list_orders(T0, None)
    assert page.next_page is not None
    # Even if a caller passed another `since` with the token, the cursor's query is sent.
    rest = conn.list_orders(T0 + timedelta(hours=5), page.next_page)
    assert [o.remote_id for o in rest.orders] == [str(i) for i in range(21, 26)]
    assert rest.next_page is None
    last = store.seen("Orders")[-1]
    assert last.variables["query"] == "updated_at:>'2026-11-20T08:00:00Z'"
    with pytest.raises(ConnectorError, match="is not a Shopify page token"):
        conn.list_orders(T0, "page=2")


def test_order_changed_mid_download_is_read_again_and_none_is_skipped(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    store.add(*(make_order(i, modified=T0 + timedelta(minutes=i)) for i in range(1, 46)))
    first = conn.list_orders(T0, None)
    # While the first page is being written, the merchant edits order 3 (already read) and
    # order 30 (not read yet): both move to the end of the UPDATED_AT order.
    store.touch(3, T0 + timedelta(hours=5), note="edited")
    store.touch(30, T0 + timedelta(hours=5, seconds=1))
    got = list(first.orders)
    page = first.next_page
    while page is not None:
        result = conn.list_orders(T0, page)
        got.extend(result.orders)
        page = result.next_page
    ids = [o.remote_id for o in got]
    assert set(ids) == {str(i) for i in range(1, 46)}
    assert ids.count("3") == 2 and ids.count("30") == 1
    assert got[-1].remote_id == "30" and got[-2].remote_id == "3"
    assert got[-2].modified_at == T0 + timedelta(hours=5)


def test_order_fields_normalised_with_unicode(store: FakeShopify, conn: ShopifyConnector) -> None:
    items: list[dict[str, Any]] = [
        {"sku": "TEE-🍵-東京", "name": "Teekanne „Zoë“ 🍵", "quantity": 3, "price": "2.10"},
        {"sku": None, "name": "Geschenkpapier", "quantity": 1, "price": "0.10"},
    ]
    order = make_order(
        7,
        modified=T0 + timedelta(minutes=1),
        name="#Ü-1007",
        first_name="Zoë",
        last_name="Ångström",
        total="11.40",
        currency="JPY",
        financial="PENDING",
        items=items,
    )
    order["shippingAddress"].update(
        {"name": "山田 太郎", "city": "渋谷区", "province": "東京都", "provinceCode": "JP-13"}
    )
    order["shippingAddress"]["countryCodeV2"] = "jp"
    order["subtotalPriceSet"]["shopMoney"]["amount"] = "6.40"
    order["totalShippingPriceSet"]["shopMoney"]["amount"] = "5.00"
    order["totalDiscountsSet"]["shopMoney"]["amount"] = "0.00"
    store.add(order)
    (got,) = conn.list_orders(T0, None).orders
    assert (got.remote_id, got.number) == ("7", "#Ü-1007")
    assert got.customer_name == "Zoë Ångström" and got.billing.name == "Zoë Ångström"
    assert got.customer_email == "ada@example.org"
    assert (got.shipping.name, got.shipping.city, got.shipping.region) == (
        "山田 太郎",
        "渋谷区",
        "JP-13",
    )
    assert got.shipping.country == "JP" and got.billing.country == "GB"
    assert got.currency == "JPY"
    assert got.total == Decimal("11.40") and isinstance(got.total, Decimal)
    assert (got.subtotal, got.shipping_total, got.tax_total, got.discount_total) == (
        Decimal("6.40"),
        Decimal("5.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert [(i.remote_id, i.sku, i.name, i.quantity, i.unit_price) for i in got.items] == [
        ("701", "TEE-🍵-東京", "Teekanne „Zoë“ 🍵", 3, Decimal("2.10")),
        ("702", "", "Geschenkpapier", 1, Decimal("0.10")),
    ]
    assert got.placed_at == T0 + timedelta(minutes=1) - timedelta(hours=1)
    assert got.modified_at.utcoffset() == timedelta(0)
    assert (got.paid, got.invoiced, got.cart_status) == (False, False, "pending, unfulfilled")


@pytest.mark.parametrize(
    ("financial", "paid"),
    [
        ("PAID", True),
        ("PARTIALLY_REFUNDED", True),
        ("REFUNDED", True),
        ("PARTIALLY_PAID", False),
        ("AUTHORIZED", False),
        ("PENDING", False),
        ("VOIDED", False),
    ],
)
def test_paid_and_invoiced_follow_the_financial_status(
    store: FakeShopify, conn: ShopifyConnector, financial: str, paid: bool
) -> None:
    store.add(make_order(1, modified=T0 + timedelta(minutes=1), financial=financial))
    (got,) = conn.list_orders(T0, None).orders
    assert (got.paid, got.invoiced) == (paid, paid)
    assert got.cart_status == f"{financial.lower()}, unfulfilled"


def test_offsets_other_than_utc_are_normalised(store: FakeShopify, conn: ShopifyConnector) -> None:
    order = make_order(1, modified=T0 + timedelta(minutes=1))
    order["createdAt"] = "2026-11-20T03:30:00-05:00"
    store.add(order)
    (got,) = conn.list_orders(T0, None).orders
    assert got.placed_at == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def test_an_order_with_many_line_items_fetches_the_rest(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    items = [{"sku": f"SKU-{n}", "name": f"Teil {n}", "quantity": 1} for n in range(1, 14)]
    store.add(
        make_order(1, modified=T0 + timedelta(minutes=1), items=items),
        make_order(2, modified=T0 + timedelta(minutes=2)),
    )
    first, second = conn.list_orders(T0, None).orders
    assert [i.sku for i in first.items] == [f"SKU-{n}" for n in range(1, 14)]
    assert len(second.items) == 1
    (extra,) = store.seen("OrderLineItems")
    assert extra.variables["id"] == "gid://shopify/Order/1"
    assert extra.variables["first"] == 250 and extra.variables["after"]


def test_orders_with_missing_fields_are_skipped_with_reasons_and_the_rest_import(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    no_id = make_order(2, modified=T0 + timedelta(minutes=2), name="#1002")
    no_id.update({"legacyResourceId": None, "id": None, "_id": 2})
    no_total = make_order(3, modified=T0 + timedelta(minutes=3))
    del no_total["totalPriceSet"]
    bad_amount = make_order(4, modified=T0 + timedelta(minutes=4))
    bad_amount["totalPriceSet"]["shopMoney"]["amount"] = "lots"
    no_created = make_order(5, modified=T0 + timedelta(minutes=5))
    no_created["createdAt"] = None
    no_items = make_order(6, modified=T0 + timedelta(minutes=6))
    no_items["lineItems"] = None
    bad_quantity = make_order(7, modified=T0 + timedelta(minutes=7))
    bad_quantity["lineItems"]["nodes"][0]["quantity"] = "two"
    store.add(
        make_order(1, modified=T0 + timedelta(minutes=1)),
        no_id,
        no_total,
        bad_amount,
        no_created,
        no_items,
        bad_quantity,
        make_order(8, modified=T0 + timedelta(minutes=8), first_name="Zoë"),
    )
    result = conn.list_orders(T0, None)
    assert [o.remote_id for o in result.orders] == ["1", "8"]
    assert result.orders[1].customer_name == "Zoë Lovelace"
    reasons = {s.number: (s.remote_id, s.reason) for s in result.skipped}
    assert reasons == {
        "#1002": ("", "Shopify order #1002 skipped: it has no numeric id"),
        "#1003": ("3", "Shopify order #1003 skipped: it has no total"),
        "#1004": ("4", "Shopify order #1004 skipped: its total 'lots' is not an amount"),
        "#1005": ("5", "Shopify order #1005 skipped: it has no createdAt"),
        "#1006": ("6", "Shopify order #1006 skipped: it has no line items list"),
        "#1007": (
            "7",
            "Shopify order #1007 skipped: its line item 1 has no whole quantity ('two')",
        ),
    }
    # The cursor can move past a skipped order: its change time is known.
    by_id = {s.remote_id: s for s in result.skipped}
    assert by_id["4"].modified_at == T0 + timedelta(minutes=4)


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "transient", "retry_after", "words"),
    [
        (Fault(429, retry_after="7"), True, 7.0, "HTTP 429"),
        (Fault(503), True, None, "HTTP 503"),
        (Fault(502, body="<html>Bad gateway</html>"), True, None, "Bad gateway"),
        (Fault(200, body='{"data": {"orders": {"nodes": [{"id": '), False, None, "not JSON"),
        (Fault(code="INTERNAL_SERVER_ERROR"), True, None, "Scripted INTERNAL_SERVER_ERROR"),
        (Fault(code="ACCESS_DENIED"), False, None, "Scripted ACCESS_DENIED"),
    ],
    ids=["429", "503", "502-html", "malformed-json", "graphql-internal", "graphql-denied"],
)
def test_list_orders_errors(
    store: FakeShopify,
    conn: ShopifyConnector,
    fault: Fault,
    transient: bool,
    retry_after: float | None,
    words: str,
) -> None:
    store.add(make_order(1, modified=T0 + timedelta(minutes=1)))
    store.fail("Orders", fault)
    with pytest.raises(ConnectorError) as caught:
        conn.list_orders(T0, None)
    assert caught.value.transient is transient
    assert caught.value.retry_after == retry_after
    assert words in str(caught.value)
    assert str(caught.value).startswith("Shopify cart 'Zoë's Shop'")
    assert_no_secret(store, str(caught.value))
    # The cart recovers: the next call imports.
    assert [o.remote_id for o in conn.list_orders(T0, None).orders] == ["1"]


def test_list_orders_timeout_is_transient(store: FakeShopify, conn: ShopifyConnector) -> None:
    store.fail("Orders", Fault(hang=True))
    with pytest.raises(ConnectorError) as caught:
        conn.list_orders(T0, None)
    assert caught.value.transient is True
    assert "no answer from" in str(caught.value) and "in time" in str(caught.value)
    assert_no_secret(store, str(caught.value))


def test_an_error_body_echoing_the_token_is_redacted(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    store.fail("Orders", Fault(500, body=json.dumps({"errors": f"bad {store.access_token}"})))
    with pytest.raises(ConnectorError) as caught:
        conn.list_orders(T0, None)
    assert "bad [redacted]" in str(caught.value)
    assert_no_secret(store, str(caught.value))


def test_throttled_answer_is_transient_with_retry_after_from_the_points(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    store.add(make_order(1, modified=T0 + timedelta(minutes=1)))
    store.set_bucket(100)  # the bucket holds 100 points; a page may cost 922
    with pytest.raises(ConnectorError) as caught:
        conn.list_orders(T0, None)
    cost = orders_cost(ORDERS_PER_PAGE, 10)
    assert cost == 922
    assert caught.value.transient is True
    assert caught.value.retry_after == pytest.approx((cost - 100) / 100.0)
    assert "throttling" in str(caught.value) and "Throttled" in str(caught.value)
    assert len(store.seen("Orders")) == 1


def test_waits_before_a_request_the_bucket_cannot_pay_for(store: FakeShopify) -> None:
    store.restore_rate = 200.0  # an Advanced plan restores 200 points a second
    store.add(*(make_order(i, modified=T0 + timedelta(minutes=i)) for i in range(1, 30)))
    store.set_bucket(1000)  # full, and refilled only by the connector's waits below
    conn = connect(store)
    now = [100.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds
        store.refill(seconds)

    conn.clock, conn.sleep = (lambda: now[0]), sleep
    try:
        # 922 taken, 540 of it given back (20 orders of one line item cost 382): 618 left.
        first = conn.list_orders(T0, None)
        assert waits == []
        assert first.next_page is not None
        second = conn.list_orders(T0, first.next_page)
    finally:
        conn.close()
    cost = orders_cost(ORDERS_PER_PAGE, 10)
    # It waited exactly for the missing points, and the request then went through (no THROTTLED).
    assert waits == [pytest.approx((cost - 618) / 200.0)]
    assert len(second.orders) == 9
    assert len(store.seen("Orders")) == 2


def test_a_long_wait_for_points_is_a_transient_error_without_a_request(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    store.restore_rate = 50.0  # an old Standard plan: 50 points a second
    store.add(*(make_order(i, modified=T0 + timedelta(minutes=i)) for i in range(1, 30)))
    store.set_bucket(1000)
    waits: list[float] = []
    conn.sleep = waits.append
    now = [0.0]
    conn.clock = lambda: now[0]
    first = conn.list_orders(T0, None)  # 618 points left, restoring 50 a second
    with pytest.raises(ConnectorError) as caught:
        conn.list_orders(T0, first.next_page)
    cost = orders_cost(ORDERS_PER_PAGE, 10)
    assert caught.value.transient is True
    assert caught.value.retry_after == pytest.approx((cost - 618) / 50.0)
    assert "rate limit is used up" in str(caught.value)
    assert waits == [] and len(store.seen("Orders")) == 1


# -- test_connection and setup --------------------------------------------------------------


def test_connection_ok(store: FakeShopify, conn: ShopifyConnector) -> None:
    text = conn.test_connection()
    assert text == "Connected to Shopify store 'Zoë's Ünïcode Shop 🛍' (zoe.myshopify.com)."
    (request,) = store.seen()
    assert request.operation == "Shop" and request.variables == {}
    assert request.headers["X-Shopify-Access-Token"] == store.access_token


def test_connection_refused_credentials(store: FakeShopify) -> None:
    wrong = connect(store, token="shpat_wrong_token_value_9876")
    try:
        with pytest.raises(ConnectorError) as caught:
            wrong.test_connection()
    finally:
        wrong.close()
    message = str(caught.value)
    assert "refused the access token (HTTP 401" in message
    assert "Invalid API key or access token" in message
    assert caught.value.transient is False
    assert "shpat_wrong_token_value_9876" not in message
    assert_no_secret(store, message)


def test_connection_unreachable(store: FakeShopify) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = connect(store, url=f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(ConnectorError) as caught:
            gone.test_connection()
    finally:
        gone.close()
    assert f"could not reach http://127.0.0.1:{port}" in str(caught.value)
    assert caught.value.transient is True
    assert_no_secret(store, str(caught.value))


def test_store_address_as_typed_and_plain_http_refused() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"data": {"shop": {"name": "Z", "myshopifyDomain": "z"}}})

    def make(url: str, token: str = "shpat_abc") -> ShopifyConnector:
        cart = CartConfig(id=1, name="Z", kind="shopify", base_url=url)
        return ShopifyConnector(
            cart, {"access_token": token}, transport=httpx.MockTransport(answer)
        )

    typed = make("zoe.myshopify.com/admin/orders/")
    try:
        assert typed.base_url == "https://zoe.myshopify.com"
        typed.test_connection()
    finally:
        typed.close()
    (request,) = sent
    assert str(request.url) == f"https://zoe.myshopify.com{API_PATH}"
    assert "shpat_abc" not in str(request.url)
    # The token never travels in the clear to a real host; a missing token is named.
    for url, token, words in (
        ("http://zoe.myshopify.com", "shpat_abc", "https only"),
        ("https://zoe.myshopify.com", "", "access token is missing"),
    ):
        conn = make(url, token)
        try:
            with pytest.raises(ConnectorError, match=words):
                conn.test_connection()
        finally:
            conn.close()
    assert len(sent) == 1
