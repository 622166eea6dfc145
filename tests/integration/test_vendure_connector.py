"""The Vendure connector against a Vendure-like Admin API (GraphQL) on 127.0.0.1: downloading.

Each test asserts what the fake server received (operation, variables, headers) as well as what
the connector made of the answer. Status pushes: test_vendure_push.py; the sync cycle:
test_vendure_sync.py.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from ordermanager.carts import registry
from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import CartConfig, RemoteOrder
from ordermanager.carts.status_map import ActionKind
from ordermanager.carts.vendure import VendureConnector
from tests.cart_support.fake_vendure import FakeVendure, Fault, make_line, make_order, stamp

T0 = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)
FAST = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)


@pytest.fixture
def store() -> Iterator[FakeVendure]:
    with FakeVendure() as fake:
        yield fake


def connect(
    store: FakeVendure, *, url: str | None = None, key: str | None = None
) -> VendureConnector:
    cart = CartConfig(id=3, name="Vendüre Shop", kind="vendure", base_url=url or store.api_url)
    return VendureConnector(
        cart, {"api_key": key if key is not None else store.api_key}, timeout=FAST
    )


@pytest.fixture
def conn(store: FakeVendure) -> Iterator[VendureConnector]:
    connector = connect(store)
    yield connector
    connector.close()


def assert_no_secret(store: FakeVendure, text: str) -> None:
    assert store.api_key not in text
    assert "SECRET" not in text


def download_all(conn: VendureConnector, since: datetime) -> tuple[list[RemoteOrder], int]:
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
    cls = registry.connector_class("Vendure")
    assert cls is VendureConnector
    assert (cls.title, cls.secret_fields) == ("Vendure", ("api_key",))
    caps = cls.capabilities
    assert (caps.order_download, caps.status_updates, caps.tracking_numbers, caps.cancel) == (
        True,
        True,
        True,
        True,
    )
    assert (caps.partial_shipment, caps.inventory, caps.invoices) == (True, False, False)
    defaults = cls.default_status_map
    assert defaults["Order Shipped"].kind is ActionKind.SHIP
    assert defaults["Order Shipped"].notify_customer is True
    assert defaults["Partially Shipped"].kind is ActionKind.SHIP
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
    codes = {s.code for s in cls.cart_statuses}
    for label in others:
        action = defaults[label]
        assert action.kind in (ActionKind.SET_STATUS, ActionKind.COMMENT)
        assert action.kind is not ActionKind.SET_STATUS or action.cart_status in codes
    assert defaults["Tracking Entered"].notify_customer is True  # a public note
    assert set(ActionKind) == cls.supported_actions


# -- listing orders -------------------------------------------------------------------------


def test_multi_page_download__skip_take_read_to_the_end_keyset_on_updated_at(
    store: FakeVendure, conn: VendureConnector
) -> None:
    store.add(*(make_order(i, modified=T0 + timedelta(minutes=i)) for i in range(1, 251)))
    first = conn.list_orders(T0, None)
    assert first.total == 250 and first.next_page is not None
    assert conn.list_orders(T0, first.next_page).total == 250  # one denominator for progress
    got, pages = download_all(conn, T0)
    assert pages == 3
    assert [o.remote_id for o in got] == [str(i) for i in range(1, 251)]
    requests = store.seen("orders")[2:]
    options = [r.variables["options"] for r in requests]
    # Later pages ask again from one millisecond before the last change seen.
    assert [(o["filter"]["updatedAt"]["after"], o["skip"]) for o in options] == [
        ("2026-11-20T08:00:00.000Z", 0),
        ("2026-11-20T09:39:59.999Z", 0),
        ("2026-11-20T11:18:59.999Z", 0),  # page 2 re-read order 100
    ]
    for o in options:
        assert o["take"] == 100
        assert o["sort"] == {"updatedAt": "ASC", "id": "ASC"}
        assert o["filter"]["active"] == {"eq": False}  # shopping carts are not orders yet
    for r in store.seen():
        assert (r.method, r.path) == ("POST", "/admin-api")
        assert r.body["operationName"] == "OrderManagerOrders"
        assert r.headers["vendure-api-key"] == store.api_key
        assert "Authorization" not in r.headers and "authorization" not in r.headers
        assert r.auth_ok


def test_an_order_changed_during_the_download_does_not_hide_another(
    store: FakeVendure, conn: VendureConnector
) -> None:
    store.add(*(make_order(i, modified=T0 + timedelta(minutes=i)) for i in range(1, 151)))
    first = conn.list_orders(T0, None)
    assert [o.remote_id for o in first.orders] == [str(i) for i in range(1, 101)]
    # Order 7 changes in the cart: it moves to the end, every later order moves up one place.
    store.orders["7"]["updatedAt"] = stamp(T0 + timedelta(days=1))
    got = list(first.orders)
    page = first.next_page
    while page is not None:
        result = conn.list_orders(T0, page)
        got.extend(result.orders)
        page = result.next_page
    ids = [o.remote_id for o in got]
    assert set(ids) == {str(i) for i in range(1, 151)}  # order 101 was not skipped
    assert ids.count("7") == 2 and ids[-1] == "7"  # and the changed one arrives again


def test_a_bulk_change_in_one_millisecond_pages_with_skip(
    store: FakeVendure, conn: VendureConnector
) -> None:
    same = T0 + timedelta(minutes=1)
    store.add(*(make_order(i, modified=same) for i in range(1, 231)))
    store.add(make_order(231, modified=same + timedelta(seconds=1)))
    got, pages = download_all(conn, T0)
    assert sorted(int(o.remote_id) for o in got) == list(range(1, 232))
    assert len(got) == 231  # each exactly once
    skips = [r.variables["options"]["skip"] for r in store.seen("orders")]
    assert skips == [0, 0, 100, 200][:pages]  # keyset cannot move inside one millisecond


def test_order_fields_normalised_money_minor_units_and_unicode(
    store: FakeVendure, conn: VendureConnector
) -> None:
    lines = [
        make_line("71", sku="CAFÉ-東京-☕", name="Café crème – 東京 🍵", quantity=3, unit=210),
        make_line("72", sku="ZUB-1", name="Zubehör", quantity=1, unit=999),
    ]
    order = make_order(
        9,
        modified=T0 + timedelta(minutes=1),
        code="ZOE-ÅNG-1",
        first_name="Zoë",
        last_name="Ångström 🎉",
        lines=lines,
        state="PaymentAuthorized",
    )
    order["shippingAddress"].update(
        {"fullName": "山田 太郎", "province": "東京都", "city": "千代田区", "countryCode": "jp"}
    )
    order["discounts"] = [{"amountWithTax": -120}]
    order["total"], order["totalWithTax"] = 1774, 2129
    store.add(order, make_order(10, modified=T0 + timedelta(minutes=2), state="Shipped"))
    first, second = conn.list_orders(T0, None).orders
    assert (first.remote_id, first.number) == ("9", "ZOE-ÅNG-1")
    assert first.customer_name == "Zoë Ångström 🎉"
    assert first.billing.name == "Zoë Ångström 🎉" and first.billing.email == "ada@example.org"
    assert (first.shipping.name, first.shipping.region, first.shipping.city) == (
        "山田 太郎",
        "東京都",
        "千代田区",
    )
    assert first.shipping.country == "JP" and first.billing.country == "GB"
    assert [(i.remote_id, i.sku, i.name, i.quantity, i.unit_price) for i in first.items] == [
        ("71", "CAFÉ-東京-☕", "Café crème – 東京 🍵", 3, Decimal("2.10")),
        ("72", "ZUB-1", "Zubehör", 1, Decimal("9.99")),
    ]
    assert all(isinstance(i.unit_price, Decimal) for i in first.items)
    assert (first.subtotal, first.shipping_total) == (Decimal("16.29"), Decimal("5.00"))
    assert (first.total, first.tax_total, first.discount_total) == (
        Decimal("21.29"),
        Decimal("3.55"),
        Decimal("1.20"),
    )
    assert first.currency == "EUR"
    assert first.placed_at == T0 + timedelta(minutes=1) - timedelta(hours=1)
    assert first.modified_at == T0 + timedelta(minutes=1)
    assert first.modified_at.utcoffset() == timedelta(0)
    # PaymentAuthorized: not taken yet. Shipped comes after PaymentSettled: paid.
    assert (first.paid, first.invoiced, first.cart_status) == (False, False, "PaymentAuthorized")
    assert (second.paid, second.invoiced, second.cart_status) == (True, True, "Shipped")


def test_malformed_orders_are_skipped_with_reasons_and_the_rest_import(
    store: FakeVendure, conn: VendureConnector
) -> None:
    no_id = make_order("x2", modified=T0 + timedelta(minutes=2), code="V-2")
    no_id["id"] = None
    fraction = make_order(3, modified=T0 + timedelta(minutes=3))
    fraction["totalWithTax"] = 12.5  # a float where Vendure has an Int of minor units
    no_lines = make_order(4, modified=T0 + timedelta(minutes=4))
    del no_lines["lines"]
    bad_date = make_order(5, modified=T0 + timedelta(minutes=5))
    bad_date["orderPlacedAt"] = "yesterday"
    no_total = make_order(6, modified=T0 + timedelta(minutes=6))
    del no_total["totalWithTax"]
    store.add(
        make_order(1, modified=T0 + timedelta(minutes=1)),
        fraction,
        no_lines,
        bad_date,
        no_total,
        make_order(7, modified=T0 + timedelta(minutes=7)),
    )
    store.orders["x2"] = no_id
    result = conn.list_orders(T0, None)
    assert [o.remote_id for o in result.orders] == ["1", "7"]
    reasons = {s.number: (s.remote_id, s.reason) for s in result.skipped}
    assert reasons == {
        "V-2": ("", "it has no id"),
        "VND000003": (
            "3",
            "its totalWithTax Decimal('12.5') is not a whole number of minor units",
        ),
        "VND000004": ("4", "it has no lines list"),
        "VND000005": (
            "5",
            "its orderPlacedAt or createdAt 'yesterday' is not a date",
        ),
        "VND000006": ("6", "it has no totalWithTax"),
    }
    by_id = {s.remote_id: s for s in result.skipped}
    assert by_id["3"].modified_at == T0 + timedelta(minutes=3)  # the cursor can pass it


@pytest.mark.parametrize(
    ("fault", "transient", "retry_after", "words"),
    [
        (Fault(429, retry_after="7"), True, 7.0, "HTTP 429"),
        (Fault(503), True, None, "HTTP 503"),
        (Fault(200, body='{"data": {"orders": {"items": [{"id": '), False, None, "not JSON"),
        (
            Fault(
                200,
                body='{"errors":[{"message":"Cannot take more than 1000 results",'
                '"extensions":{"code":"USER_INPUT_ERROR"}}],"data":null}',
            ),
            False,
            None,
            "reported an error while downloading orders",
        ),
        (
            Fault(
                200,
                body='{"errors":[{"message":"Connection terminated",'
                '"extensions":{"code":"INTERNAL_SERVER_ERROR"}}],"data":null}',
            ),
            True,
            None,
            "Connection terminated",
        ),
    ],
    ids=["429", "503", "malformed-json", "graphql-error-in-200", "internal-error-in-200"],
)
def test_list_orders_errors(
    store: FakeVendure,
    conn: VendureConnector,
    fault: Fault,
    transient: bool,
    retry_after: float | None,
    words: str,
) -> None:
    store.add(make_order(1, modified=T0 + timedelta(minutes=1)))
    store.fail("orders", fault)
    with pytest.raises(ConnectorError) as caught:
        conn.list_orders(T0, None)
    assert caught.value.transient is transient
    assert caught.value.retry_after == retry_after
    assert words in str(caught.value)
    assert_no_secret(store, str(caught.value))
    # The cart recovers: the next call imports.
    assert [o.remote_id for o in conn.list_orders(T0, None).orders] == ["1"]


def test_list_orders_timeout_is_transient(store: FakeVendure, conn: VendureConnector) -> None:
    store.fail("orders", Fault(hang=True))
    with pytest.raises(ConnectorError) as caught:
        conn.list_orders(T0, None)
    assert caught.value.transient is True
    assert "in time" in str(caught.value)


def test_a_foreign_page_token_is_a_clear_error(conn: VendureConnector) -> None:
    with pytest.raises(ConnectorError, match="is not a Vendure page token"):
        conn.list_orders(T0, "page=2")


# -- test_connection ------------------------------------------------------------------------


def test_connection_ok(store: FakeVendure, conn: VendureConnector) -> None:
    store.add(make_order(1, modified=T0), make_order(2, modified=T0))
    store.orders["2"]["active"] = True  # a shopping cart: not counted
    assert conn.test_connection() == (
        f"Connected to Vendure at {store.api_url}; 1 orders in the store."
    )
    (request,) = store.seen()
    assert request.variables == {"options": {"take": 1, "filter": {"active": {"eq": False}}}}


def test_connection_refused_key__forbidden_in_http_200(store: FakeVendure) -> None:
    wrong = connect(store, key="vk_wrong_key_value_123")
    try:
        with pytest.raises(ConnectorError) as caught:
            wrong.test_connection()
    finally:
        wrong.close()
    message = str(caught.value)
    assert "refused the API key" in message
    assert "You are not currently authorized to perform this action" in message
    assert caught.value.transient is False
    assert "vk_wrong_key_value_123" not in message
    assert_no_secret(store, message)


def test_connection_shop_api_url_gets_a_hint(store: FakeVendure) -> None:
    shop = connect(store, url=store.base_url + "/shop-api")
    try:
        with pytest.raises(ConnectorError) as caught:
            shop.test_connection()
    finally:
        shop.close()
    assert "Cannot query field" in str(caught.value)
    assert "enter the Admin API URL" in str(caught.value)
    assert caught.value.transient is False


def test_connection_wrong_path_and_unreachable(store: FakeVendure) -> None:
    elsewhere = connect(store, url=store.base_url + "/graphql")
    try:
        with pytest.raises(ConnectorError) as caught:
            elsewhere.test_connection()
    finally:
        elsewhere.close()
    assert f"no GraphQL API at {store.base_url}/graphql (HTTP 404)" in str(caught.value)
    assert caught.value.transient is False

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = connect(store, url=f"http://127.0.0.1:{port}/admin-api")
    try:
        with pytest.raises(ConnectorError) as caught:
            gone.test_connection()
    finally:
        gone.close()
    assert f"could not reach http://127.0.0.1:{port}/admin-api" in str(caught.value)
    assert caught.value.transient is True
    assert_no_secret(store, str(caught.value))


def test_channel_token_in_the_url_travels_as_the_vendure_token_header(
    store: FakeVendure,
) -> None:
    channel = connect(store, url=store.api_url + "/?vendure-token=eu-channel")
    try:
        channel.test_connection()
    finally:
        channel.close()
    (request,) = store.seen()
    assert request.path == "/admin-api"
    assert request.headers["vendure-token"] == "eu-channel"


def test_missing_key_is_a_clear_error_and_nothing_is_sent(store: FakeVendure) -> None:
    keyless = connect(store, key="")
    try:
        with pytest.raises(ConnectorError, match="the API key is needed"):
            keyless.test_connection()
    finally:
        keyless.close()
    assert store.seen() == []


def test_session_token_entered_as_bearer_for_vendure_before_api_keys(store: FakeVendure) -> None:
    store.session_token = "sess_0123456789abcdef"
    session = connect(store, key="Bearer sess_0123456789abcdef")
    try:
        assert session.test_connection().startswith("Connected to Vendure")
    finally:
        session.close()
    (request,) = store.seen()
    assert request.headers["Authorization"] == "Bearer sess_0123456789abcdef"
    assert "vendure-api-key" not in request.headers
    assert request.auth_ok

    expired = connect(store, key="Bearer sess_expired_999")
    try:
        with pytest.raises(ConnectorError) as caught:
            expired.list_orders(T0, None)
    finally:
        expired.close()
    assert "refused the API key" in str(caught.value)
    assert "sess_expired_999" not in str(caught.value)


def test_a_proxy_echoing_the_key_has_it_redacted(
    store: FakeVendure, conn: VendureConnector
) -> None:
    echo = f"Bad gateway; request headers: vendure-api-key={store.api_key}"
    store.fail("orders", Fault(502, body=echo))
    with pytest.raises(ConnectorError) as caught:
        conn.list_orders(T0, None)
    assert "Bad gateway" in str(caught.value) and caught.value.transient is True
    assert_no_secret(store, str(caught.value))
    store.fail("orders", Fault(200, body=f'{{"errors":[{{"message":"bad key {store.api_key}"}}]}}'))
    with pytest.raises(ConnectorError) as caught:
        conn.list_orders(T0, None)
    assert "bad key" in str(caught.value)
    assert_no_secret(store, str(caught.value))
