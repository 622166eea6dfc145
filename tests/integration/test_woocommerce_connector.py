"""The WooCommerce connector against a WooCommerce-like REST v3 server on 127.0.0.1.

Each test asserts what the fake store received (method, path, query, body, signature) as well
as what the connector made of the answer.
"""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from ordermanager.carts import registry
from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import CartConfig, RemoteOrder
from ordermanager.carts.status_map import ActionKind, CartAction, StatusMap
from ordermanager.carts.updates import view_of
from ordermanager.carts.woocommerce import WooCommerceConnector
from ordermanager.stack.delivery import Delivered, Rejected, RetryLater
from ordermanager.stack.queue import ClaimedRecord
from tests.cart_support.fake_woocommerce import FakeWooCommerce, Fault, make_order

T0 = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)
FAST = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)


@pytest.fixture
def store() -> Iterator[FakeWooCommerce]:
    with FakeWooCommerce() as fake:
        yield fake


def connect(
    store: FakeWooCommerce, *, url: str | None = None, secret: str | None = None
) -> WooCommerceConnector:
    cart = CartConfig(id=3, name="Wöö Store", kind="woocommerce", base_url=url or store.base_url)
    keys = {
        "consumer_key": store.consumer_key,
        "consumer_secret": secret if secret is not None else store.consumer_secret,
    }
    return WooCommerceConnector(cart, keys, timeout=FAST)


@pytest.fixture
def conn(store: FakeWooCommerce) -> Iterator[WooCommerceConnector]:
    connector = connect(store)
    yield connector
    connector.close()


def assert_no_secret(store: FakeWooCommerce, text: str) -> None:
    assert store.consumer_secret not in text
    assert store.consumer_key not in text


# -- identity and registry ------------------------------------------------------------------


def test_registered_with_its_matrix_row() -> None:
    cls = registry.connector_class("WooCommerce")
    assert cls is WooCommerceConnector
    assert cls.title == "WooCommerce"
    assert cls.secret_fields == ("consumer_key", "consumer_secret")
    caps = cls.capabilities
    assert (caps.order_download, caps.status_updates, caps.tracking_numbers, caps.cancel) == (
        True,
        True,
        True,
        True,
    )
    assert (caps.partial_shipment, caps.inventory, caps.invoices) == (True, False, False)


# -- listing orders -------------------------------------------------------------------------


def download_all(conn: WooCommerceConnector, since: datetime) -> tuple[list[RemoteOrder], int]:
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


def test_multi_page_download_continues_from_the_last_change_seen(
    store: FakeWooCommerce, conn: WooCommerceConnector
) -> None:
    store.add(*(make_order(i, modified=T0 + timedelta(minutes=i)) for i in range(1, 251)))
    first = conn.list_orders(T0, None)
    assert first.total == 250
    assert first.next_page is not None
    second = conn.list_orders(T0, first.next_page)
    assert second.total == 250  # one denominator for the progress bar
    got, pages = download_all(conn, T0)
    assert pages == 3
    # Each order exactly once, in change order.
    assert [o.remote_id for o in got] == [str(i) for i in range(1, 251)]
    queries = [r.query for r in store.seen("GET")][2:]
    # Later pages ask again from one second before the last change seen.
    assert [(q["modified_after"], q["page"]) for q in queries] == [
        ("2026-11-20T08:00:00", "1"),
        ("2026-11-20T09:39:59", "1"),
        ("2026-11-20T11:18:59", "1"),
    ]
    for q in queries:
        assert q["per_page"] == "100"
        assert q["orderby"] == "modified"
        assert q["order"] == "asc"
        assert q["dates_are_gmt"] == "true"
    # Signed with OAuth 1.0a over plain HTTP; no key in any URL.
    assert all(r.auth_ok for r in store.seen())
    assert all(r.headers["Authorization"].startswith("OAuth ") for r in store.seen())
    assert all(store.consumer_key not in str(r.query) for r in store.seen())


def test_an_order_changed_during_the_download_does_not_hide_another(
    store: FakeWooCommerce, conn: WooCommerceConnector
) -> None:
    store.add(*(make_order(i, modified=T0 + timedelta(minutes=i)) for i in range(1, 151)))
    first = conn.list_orders(T0, None)
    assert [o.remote_id for o in first.orders] == [str(i) for i in range(1, 101)]
    # Order 5 changes now: with page numbers, order 101 would slide onto page 1 and be missed.
    store.add(make_order(5, modified=T0 + timedelta(days=1), status="completed"))
    rest: list[RemoteOrder] = []
    page = first.next_page
    while page is not None:
        result = conn.list_orders(T0, page)
        rest.extend(result.orders)
        page = result.next_page
    assert [o.remote_id for o in rest] == [str(i) for i in range(101, 151)] + ["5"]
    assert rest[-1].cart_status == "completed"


def test_a_bulk_edit_in_one_second_pages_within_that_second(
    store: FakeWooCommerce, conn: WooCommerceConnector
) -> None:
    store.add(*(make_order(i, modified=T0 + timedelta(seconds=30)) for i in range(1, 231)))
    got, pages = download_all(conn, T0)
    assert sorted(int(o.remote_id) for o in got) == list(range(1, 231))  # each exactly once
    assert pages == 4
    assert [(r.query["modified_after"], r.query["page"]) for r in store.seen("GET")] == [
        ("2026-11-20T08:00:00", "1"),
        ("2026-11-20T08:00:29", "1"),
        ("2026-11-20T08:00:29", "2"),
        ("2026-11-20T08:00:29", "3"),
    ]


def test_a_page_token_that_is_not_ours_is_refused(conn: WooCommerceConnector) -> None:
    with pytest.raises(ConnectorError, match="is not a WooCommerce page token"):
        conn.list_orders(T0, "7")


def test_modified_after_is_gmt_and_dates_come_from_the_gmt_fields(
    store: FakeWooCommerce, conn: WooCommerceConnector
) -> None:
    since = T0
    # Changed an hour before `since` in GMT, but its local time (UTC+10) is after `since`:
    # a connector comparing local times would download it again.
    store.add(make_order(1, modified=since - timedelta(hours=1)))
    store.add(make_order(2, modified=since + timedelta(minutes=5)))
    result = conn.list_orders(since, None)
    assert [o.remote_id for o in result.orders] == ["2"]
    order = result.orders[0]
    assert order.modified_at == since + timedelta(minutes=5)
    assert order.modified_at.tzinfo is not None and order.modified_at.utcoffset() == timedelta(0)
    assert order.placed_at == since + timedelta(minutes=5) - timedelta(hours=1)
    raw = store.orders[2]
    assert raw["date_modified"] != raw["date_modified_gmt"]  # the fake really differs
    assert raw["date_modified"] == "2026-11-20T18:05:00"  # local time, UTC+10
    # An aware `since` in another zone is sent as GMT.
    conn.list_orders(since.astimezone(ZoneInfo("America/New_York")), None)
    assert store.seen("GET")[-1].query["modified_after"] == "2026-11-20T08:00:00"


def test_order_fields_normalised_with_unicode(
    store: FakeWooCommerce, conn: WooCommerceConnector
) -> None:
    items = [
        {
            "id": 71,
            "name": "Café crème – 東京",
            "sku": "CAFÉ-1",
            "quantity": 3,
            "price": 2.1,
            "subtotal": "6.30",
        },
        {"id": 72, "name": "Zubehör", "sku": "", "quantity": 1, "subtotal": "9.99"},
    ]
    store.add(
        make_order(
            9,
            modified=T0 + timedelta(minutes=1),
            number="WC-0009",
            first_name="Zoë",
            last_name="Ångström-Łukasiewicz",
            total="21.29",
            paid=False,
            status="on-hold",
            items=items,
        )
    )
    store.add(make_order(10, modified=T0 + timedelta(minutes=2), paid=False, status="processing"))
    orders = conn.list_orders(T0, None).orders
    first, second = orders
    assert first.remote_id == "9" and first.number == "WC-0009"
    assert first.customer_name == "Zoë Ångström-Łukasiewicz"
    assert first.shipping.name == "Zoë Ångström-Łukasiewicz"
    assert first.customer_email == "ada@example.org"
    assert first.shipping.country == "GB" and first.billing.country == "GB"
    assert first.total == Decimal("21.29") and isinstance(first.total, Decimal)
    assert first.shipping_total == Decimal("5.00")
    assert first.currency == "EUR"
    assert [(i.name, i.sku, i.quantity, i.unit_price) for i in first.items] == [
        ("Café crème – 東京", "CAFÉ-1", 3, Decimal("2.1")),
        ("Zubehör", "", 1, Decimal("9.99")),
    ]
    assert first.subtotal == Decimal("16.29")
    assert (first.paid, first.invoiced, first.cart_status) == (False, False, "on-hold")
    # processing means paid even before date_paid is set.
    assert (second.paid, second.invoiced) == (True, True)


def test_malformed_orders_are_skipped_with_reasons_and_the_rest_import(
    store: FakeWooCommerce, conn: WooCommerceConnector
) -> None:
    good = make_order(1, modified=T0 + timedelta(minutes=1))
    no_id = make_order(2, modified=T0 + timedelta(minutes=2), number="N-2")
    del no_id["id"]
    bad_total = make_order(3, modified=T0 + timedelta(minutes=3), total="twelve")
    no_date = make_order(4, modified=T0 + timedelta(minutes=4))
    no_date["date_created_gmt"] = None
    last = make_order(5, modified=T0 + timedelta(minutes=5))
    store.add(good, bad_total, no_date, last)
    # The fake keys orders by id; the id-less one is served through a second store entry.
    store.orders[-2] = no_id
    result = conn.list_orders(T0, None)
    assert [o.remote_id for o in result.orders] == ["1", "5"]
    reasons = {s.number: (s.remote_id, s.reason) for s in result.skipped}
    assert reasons["N-2"] == ("", "WooCommerce order N-2 skipped: it has no numeric id")
    assert reasons["3"] == ("3", "WooCommerce order 3 skipped: its total 'twelve' is not an amount")
    assert reasons["4"] == ("4", "WooCommerce order 4 skipped: it has no date_created_gmt")
    by_id = {s.remote_id: s for s in result.skipped}
    assert by_id["3"].modified_at == T0 + timedelta(minutes=3)


@pytest.mark.parametrize(
    ("fault", "transient", "retry_after", "words"),
    [
        (Fault(429, retry_after="7"), True, 7.0, "HTTP 429"),
        (Fault(503), True, None, "HTTP 503"),
        (Fault(200, body='[{"id": 1, "number": '), False, None, "not JSON"),
        (
            Fault(400, body='{"code":"rest_invalid_param","message":"Invalid parameter(s): page"}'),
            False,
            None,
            "Invalid parameter(s): page",
        ),
    ],
)
def test_list_orders_errors(
    store: FakeWooCommerce,
    conn: WooCommerceConnector,
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


def test_list_orders_timeout_is_transient(
    store: FakeWooCommerce, conn: WooCommerceConnector
) -> None:
    store.fail("orders", Fault(hang=True))
    with pytest.raises(ConnectorError) as caught:
        conn.list_orders(T0, None)
    assert caught.value.transient is True
    assert "in time" in str(caught.value)


# -- test_connection ------------------------------------------------------------------------


def test_connection_ok(store: FakeWooCommerce, conn: WooCommerceConnector) -> None:
    store.add(make_order(1, modified=T0), make_order(2, modified=T0))
    text = conn.test_connection()
    assert text == f"Connected to WooCommerce at {store.base_url}; 2 orders in the store."
    (req,) = store.seen()
    assert (req.method, req.path, req.query) == ("GET", "orders", {"per_page": "1"})


def test_connection_refused_credentials(store: FakeWooCommerce) -> None:
    wrong = connect(store, secret="cs_wrong_secret_value_123")
    try:
        with pytest.raises(ConnectorError) as caught:
            wrong.test_connection()
    finally:
        wrong.close()
    message = str(caught.value)
    assert "refused the consumer key and secret" in message
    assert "Invalid signature" in message
    assert caught.value.transient is False
    assert_no_secret(store, message)
    assert "cs_wrong_secret_value_123" not in message


def test_connection_not_a_woocommerce_site(store: FakeWooCommerce) -> None:
    elsewhere = connect(store, url=store.base_url + "/shop")
    try:
        with pytest.raises(ConnectorError) as caught:
            elsewhere.test_connection()
    finally:
        elsewhere.close()
    message = str(caught.value)
    assert f"no WooCommerce REST API at {store.base_url}/shop/wp-json/wc/v3/" in message
    assert caught.value.transient is False
    assert_no_secret(store, message)


def test_connection_unreachable(store: FakeWooCommerce) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gone = connect(store, url=f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(ConnectorError) as caught:
            gone.test_connection()
    finally:
        gone.close()
    message = str(caught.value)
    assert f"could not reach http://127.0.0.1:{port}" in message
    assert caught.value.transient is True
    assert_no_secret(store, message)


def test_api_url_pasted_as_store_url(store: FakeWooCommerce) -> None:
    pasted = connect(store, url=store.base_url + "/wp-json/wc/v3/")
    try:
        assert pasted.test_connection().startswith(f"Connected to WooCommerce at {store.base_url};")
    finally:
        pasted.close()


# -- push_status ----------------------------------------------------------------------------


def record(
    *,
    event: str,
    label: str | None,
    remote: str = "42",
    attempts: int = 0,
    tracking: list[str] | None = None,
    carrier: str = "",
    key: str = "k" * 32,
) -> ClaimedRecord:
    payload: dict[str, Any] = {
        "idempotency_key": key,
        "event": event,
        "event_name": event.replace("_", " ").title(),
        "order_label": label,
        "tracking": {"numbers": tracking or [], "carrier": carrier},
    }
    return ClaimedRecord(
        id=1,
        order_id=5,
        order_number="W-42",
        order_remote_id=remote,
        cart_id=3,
        cart_name="Wöö Store",
        cart_kind="woocommerce",
        cart_base_url="",
        cart_demo=False,
        event=event,
        order_label=label,
        payload=payload,
        idempotency_key=key,
        attempts=attempts,
        claim_token="t",
        claimed_until=T0,
    )


def push(
    conn: WooCommerceConnector, rec: ClaimedRecord, action: CartAction | None = None
) -> Delivered | RetryLater | Rejected:
    """Send as the stack does: the label's action from WooCommerce's default mapping."""
    if action is None:
        action = StatusMap(defaults=WooCommerceConnector.default_status_map).action_for(
            view_of(rec).label
        )
        assert action is not None, f"no default mapping for {view_of(rec).label!r}"
    return conn.push_status(rec, action)


def test_ship_completes_the_order_and_emails_the_tracking(
    store: FakeWooCommerce, conn: WooCommerceConnector
) -> None:
    store.add(make_order(42, modified=T0))
    outcome = push(
        conn,
        record(
            event="order_shipped", label="Order Shipped", tracking=["1Z999", "1Z998"], carrier="UPS"
        ),
    )
    assert isinstance(outcome, Delivered)
    put, post = store.seen()
    assert (put.method, put.path, put.body) == ("PUT", "orders/42", {"status": "completed"})
    assert (post.method, post.path) == ("POST", "orders/42/notes")
    assert post.body == {
        "note": "Order shipped. Tracking numbers (UPS): 1Z999, 1Z998",
        "customer_note": True,
    }
    assert put.headers["Idempotency-Key"] == post.headers["Idempotency-Key"] == "k" * 32
    assert put.auth_ok and post.auth_ok
    assert store.orders[42]["status"] == "completed"


def test_cancel_sets_cancelled_and_nothing_else(
    store: FakeWooCommerce, conn: WooCommerceConnector
) -> None:
    store.add(make_order(42, modified=T0))
    assert isinstance(push(conn, record(event="order_cancel", label="Order Cancelled")), Delivered)
    (put,) = store.seen()
    assert (put.method, put.path, put.body) == ("PUT", "orders/42", {"status": "cancelled"})


def test_custom_label_mapped_to_a_note_becomes_a_private_note(
    store: FakeWooCommerce, conn: WooCommerceConnector
) -> None:
    store.add(make_order(42, modified=T0))
    outcome = push(
        conn,
        record(event="label_set_by_hand", label="Gift wrap – prüfen"),
        CartAction(ActionKind.COMMENT),
    )
    assert isinstance(outcome, Delivered)
    (post,) = store.seen()
    assert (post.method, post.path) == ("POST", "orders/42/notes")
    assert post.body == {"note": "Status: Gift wrap – prüfen", "customer_note": False}
    assert store.orders[42]["status"] == "processing"


def test_retry_does_not_post_the_same_note_twice(
    store: FakeWooCommerce, conn: WooCommerceConnector
) -> None:
    store.add(make_order(42, modified=T0))
    first = record(event="order_shipped", label="Order Shipped", tracking=["1Z1"], carrier="DHL")
    assert isinstance(push(conn, first), Delivered)
    again = record(
        event="order_shipped", label="Order Shipped", tracking=["1Z1"], carrier="DHL", attempts=1
    )
    assert isinstance(push(conn, again), Delivered)
    assert [(r.method, r.path) for r in store.seen()] == [
        ("PUT", "orders/42"),
        ("POST", "orders/42/notes"),
        ("PUT", "orders/42"),
        ("GET", "orders/42/notes"),
    ]
    assert len(store.notes[42]) == 1


def test_push_outcomes_for_cart_failures(
    store: FakeWooCommerce, conn: WooCommerceConnector
) -> None:
    store.add(make_order(42, modified=T0))
    ship = record(event="order_cancel", label="Order Cancelled")
    store.fail("order", Fault(429, retry_after="12"))
    outcome = push(conn, ship)
    assert isinstance(outcome, RetryLater) and outcome.retry_after == 12.0
    assert "HTTP 429" in outcome.error

    store.fail("order", Fault(502))
    outcome = push(conn, ship)
    assert isinstance(outcome, RetryLater) and outcome.retry_after is None

    store.fail("order", Fault(hang=True))
    outcome = push(conn, ship)
    assert isinstance(outcome, RetryLater) and "in time" in outcome.error

    store.fail(
        "order",
        Fault(400, body='{"code":"rest_invalid_param","message":"Invalid parameter(s): status"}'),
    )
    outcome = push(conn, ship)
    assert outcome == Rejected(
        "WooCommerce cart 'Wöö Store' answered HTTP 400: Invalid parameter(s): status"
    )

    # WooCommerce answers a PUT to an unknown id with 400 invalid_id; a note with 404.
    outcome = push(conn, record(event="order_cancel", label="Order Cancelled", remote="999"))
    assert outcome == Rejected("Order W-42 (WooCommerce id 999): order not found in the cart")
    outcome = push(
        conn,
        record(event="label_set_by_hand", label="X", remote="999"),
        CartAction(ActionKind.COMMENT),
    )
    assert outcome == Rejected("Order W-42 (WooCommerce id 999): order not found in the cart")

    for result in (outcome,):
        assert_no_secret(store, str(result))


def test_refused_credentials_on_push_are_permanent_and_secret_free(store: FakeWooCommerce) -> None:
    store.add(make_order(42, modified=T0))
    wrong = connect(store, secret="cs_not_the_one_000")
    try:
        outcome = push(wrong, record(event="order_cancel", label="Order Cancelled"))
    finally:
        wrong.close()
    assert isinstance(outcome, Rejected)
    assert "refused the consumer key and secret" in outcome.error
    assert "cs_not_the_one_000" not in outcome.error
    assert store.orders[42]["status"] == "processing"


def test_https_stores_get_basic_auth_and_no_keys_in_the_url() -> None:
    # No TLS server here: httpx's own mock transport stands in for the network and shows the
    # request exactly as it would leave (the connector's code runs unchanged).
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=[], headers={"X-WP-Total": "0", "X-WP-TotalPages": "0"})

    cart = CartConfig(id=1, name="Secure", kind="woocommerce", base_url="https://shop.example/")
    keys = {"consumer_key": "ck_abc", "consumer_secret": "cs_def"}
    conn = WooCommerceConnector(cart, keys, transport=httpx.MockTransport(answer))
    try:
        page = conn.list_orders(T0, None)
    finally:
        conn.close()
    assert page.orders == [] and page.next_page is None
    (request,) = sent
    assert str(request.url).startswith("https://shop.example/wp-json/wc/v3/orders?")
    assert (
        request.headers["Authorization"] == "Basic " + base64.b64encode(b"ck_abc:cs_def").decode()
    )
    assert "ck_abc" not in str(request.url) and "cs_def" not in str(request.url)


def test_missing_keys_are_a_clear_error(store: FakeWooCommerce) -> None:
    cart = CartConfig(id=1, name="Half", kind="woocommerce", base_url=store.base_url)
    conn = WooCommerceConnector(cart, {"consumer_key": store.consumer_key})
    try:
        with pytest.raises(ConnectorError, match="consumer key and consumer secret are both"):
            conn.test_connection()
        outcome = push(conn, record(event="order_cancel", label="Order Cancelled"))
    finally:
        conn.close()
    assert isinstance(outcome, Rejected)
    assert store.seen() == []


def test_custom_label_mapped_to_a_status_sets_that_status(
    store: FakeWooCommerce, conn: WooCommerceConnector
) -> None:
    store.add(make_order(42, modified=T0))
    outcome = push(
        conn,
        record(event="label_set_by_hand", label="Warten auf Lieferant"),
        CartAction(ActionKind.SET_STATUS, "on-hold"),
    )
    assert isinstance(outcome, Delivered)
    (put,) = store.seen()
    assert (put.method, put.path, put.body) == ("PUT", "orders/42", {"status": "on-hold"})
    assert store.orders[42]["status"] == "on-hold"


def test_partial_shipment_keeps_the_order_open_and_tells_the_customer(
    store: FakeWooCommerce, conn: WooCommerceConnector
) -> None:
    store.add(make_order(42, modified=T0))
    partial = record(
        event="order_partially_shipped",
        label="Partially Shipped",
        tracking=["JD0001"],
        carrier="DHL",
    )
    partial.payload["shipment_lines"] = [{"remote_id": "7", "sku": "ENG-1", "quantity": 1}]
    partial.payload["shipment_complete"] = False
    assert isinstance(push(conn, partial), Delivered)
    (post,) = store.seen()
    assert (post.method, post.path) == ("POST", "orders/42/notes")
    assert post.body == {
        "note": "Part of your order shipped. Tracking number (DHL): JD0001",
        "customer_note": True,
    }
    assert store.orders[42]["status"] == "processing"


def test_a_label_without_mapping_is_held_and_nothing_is_sent(store: FakeWooCommerce) -> None:
    from ordermanager.carts.senders import ConnectorSender
    from ordermanager.stack.delivery import DeliveryConfig

    store.add(make_order(42, modified=T0))
    cart = CartConfig(id=3, name="Wöö Store", kind="woocommerce", base_url=store.base_url)
    sender = ConnectorSender(cart, DeliveryConfig(), opener=lambda c: connect(store))
    try:
        outcome = sender.send(record(event="label_set_by_hand", label="Gift wrap"))
        skipped = ConnectorSender(
            cart,
            DeliveryConfig(
                status_maps=lambda cart_id, **_: StatusMap(
                    {"Gift wrap": CartAction(ActionKind.SKIP)}
                )
            ),
            opener=lambda c: connect(store),
        ).send(record(event="label_set_by_hand", label="Gift wrap"))
    finally:
        sender.close()
    assert outcome == Rejected(
        "No status mapping for label 'Gift wrap' on cart 'Wöö Store': choose what it means in "
        "Setup ▸ Carts… (Edit… ▸ Status Mapping), then Retry this update."
    )
    assert isinstance(skipped, Delivered)
    assert store.seen() == []
