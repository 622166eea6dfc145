"""The Magento 2 connector's order download and connection test against a Magento-like REST
server on 127.0.0.1 (tests/cart_support/fake_magento2.py).

Each test asserts what the fake store received (method, path, searchCriteria, bearer token) as
well as what the connector made of the answer. Status pushes: test_magento2_push.py; the sync
cycle on a real SQLite store: test_magento2_sync.py.
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
from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.magento2 import Magento2Connector, magento_message
from ordermanager.carts.protocol import CartConfig, RemoteOrder
from ordermanager.carts.status_map import ActionKind
from tests.cart_support.fake_magento2 import (
    FakeMagento2,
    Fault,
    configurable_items,
    make_item,
    make_order,
)

T0 = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)
FAST = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)
SC = "searchCriteria"
G = f"{SC}[filter_groups]"


@pytest.fixture
def store() -> Iterator[FakeMagento2]:
    with FakeMagento2() as fake:
        yield fake


def connect(
    store: FakeMagento2, *, url: str | None = None, token: str | None = None
) -> Magento2Connector:
    cart = CartConfig(id=4, name="Märkte 東京", kind="magento2", base_url=url or store.base_url)
    secret = {"access_token": token if token is not None else store.token}
    return Magento2Connector(cart, secret, timeout=FAST)


@pytest.fixture
def conn(store: FakeMagento2) -> Iterator[Magento2Connector]:
    connector = connect(store)
    yield connector
    connector.close()


def assert_no_secret(store: FakeMagento2, text: str) -> None:
    assert store.token not in text
    assert store.token[:12] not in text


def download_all(conn: Magento2Connector, since: datetime) -> tuple[list[RemoteOrder], int]:
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
        assert pages < 50, "the download never ended"


# -- identity and registry ------------------------------------------------------------------


def test_registered_with_its_matrix_row_and_default_mapping() -> None:
    cls = registry.connector_class("Magento2")
    assert cls is Magento2Connector
    assert (cls.kind, cls.title, cls.secret_fields) == ("magento2", "Magento 2", ("access_token",))
    caps = cls.capabilities
    assert (caps.order_download, caps.status_updates, caps.tracking_numbers, caps.cancel) == (
        True,
        True,
        True,
        True,
    )
    assert (caps.partial_shipment, caps.inventory, caps.invoices) == (True, False, True)
    defaults = cls.default_status_map
    for label in ("Order Shipped", "Partially Shipped"):
        assert defaults[label].kind is ActionKind.SHIP and defaults[label].notify_customer
    assert defaults["Order Cancelled"].kind is ActionKind.CANCEL
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
        assert defaults[label].kind in (ActionKind.SET_STATUS, ActionKind.COMMENT), label
    codes = {s.code for s in cls.cart_statuses}
    assert codes == {
        "pending",
        "processing",
        "holded",
        "complete",
        "closed",
        "canceled",
        "fraud",
        "payment_review",
    }
    assert all(a.cart_status in codes for a in defaults.values() if a.cart_status)
    assert defaults["On Hold"].cart_status == "holded"
    assert defaults["Completed"].cart_status == "complete"


# -- listing orders -------------------------------------------------------------------------


def test_multi_page_download_is_keyset_paged_to_the_end(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    store.add(*(make_order(i, updated=T0 + timedelta(minutes=i)) for i in range(1, 251)))
    first = conn.list_orders(T0, None)
    assert first.total == 250 and first.next_page is not None
    assert [o.remote_id for o in first.orders] == [str(i) for i in range(1, 101)]
    second = conn.list_orders(T0, first.next_page)
    assert second.total == 250  # one denominator for the progress bar
    got, pages = download_all(conn, T0)
    assert pages == 3
    assert [o.remote_id for o in got] == [str(i) for i in range(1, 251)]  # each once, in order
    requests = store.seen("GET")[2:]
    assert [r.path for r in requests] == ["orders"] * 3
    first_query, second_query, third_query = (r.query for r in requests)
    assert first_query == {
        f"{G}[0][filters][0][field]": "updated_at",
        f"{G}[0][filters][0][value]": "2026-11-20 08:00:00",
        f"{G}[0][filters][0][condition_type]": "gt",
        f"{SC}[sortOrders][0][field]": "updated_at",
        f"{SC}[sortOrders][0][direction]": "ASC",
        f"{SC}[sortOrders][1][field]": "entity_id",
        f"{SC}[sortOrders][1][direction]": "ASC",
        f"{SC}[pageSize]": "100",
        f"{SC}[currentPage]": "1",
    }
    # Later pages: (updated_at > T OR entity_id > N) AND updated_at >= T, T/N the last row seen.
    assert second_query == {
        f"{G}[0][filters][0][field]": "updated_at",
        f"{G}[0][filters][0][value]": "2026-11-20 09:40:00",
        f"{G}[0][filters][0][condition_type]": "gt",
        f"{G}[0][filters][1][field]": "entity_id",
        f"{G}[0][filters][1][value]": "100",
        f"{G}[0][filters][1][condition_type]": "gt",
        f"{G}[1][filters][0][field]": "updated_at",
        f"{G}[1][filters][0][value]": "2026-11-20 09:40:00",
        f"{G}[1][filters][0][condition_type]": "gteq",
        **{k: v for k, v in first_query.items() if not k.startswith(G)},
    }
    assert third_query[f"{G}[0][filters][1][value]"] == "200"
    assert all(q[f"{SC}[currentPage]"] == "1" for q in (first_query, second_query, third_query))
    # The integration token as a bearer token, never in a URL.
    assert all(
        r.auth_ok and r.headers["Authorization"] == f"Bearer {store.token}" for r in requests
    )
    assert all(store.token not in str(r.query) for r in store.seen())


def test_past_the_last_page_magento_repeats_it__the_connector_never_asks(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    # Exactly two full pages: "a full page means more" would ask a third time and, with page
    # numbers, get page 2 again (magento/magento2#3787). total_count says there is no more.
    store.add(*(make_order(i, updated=T0 + timedelta(minutes=i)) for i in range(1, 201)))
    got, pages = download_all(conn, T0)
    assert pages == 2 and len(store.seen()) == 2
    assert sorted(int(o.remote_id) for o in got) == list(range(1, 201))
    # The fake really has the pitfall: page 3 of 2 answers page 2 again.
    with httpx.Client(headers={"Authorization": f"Bearer {store.token}"}) as client:
        params = {f"{SC}[pageSize]": "100", f"{SC}[currentPage]": "3"}
        body = client.get(f"{store.base_url}/rest/V1/orders", params=params).json()
    assert body["total_count"] == 200
    assert [o["entity_id"] for o in body["items"]] == list(range(101, 201))


def test_without_total_count_a_full_page_asks_once_more_and_still_ends(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    store.drop_total_count = True
    store.add(*(make_order(i, updated=T0 + timedelta(minutes=i)) for i in range(1, 201)))
    got, pages = download_all(conn, T0)
    assert pages == 3  # the third (empty) answer says there is no more
    assert [int(o.remote_id) for o in got] == list(range(1, 201))
    assert conn.list_orders(T0, None).total is None


def test_a_bulk_edit_in_one_second_pages_on_the_entity_id(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    store.add(*(make_order(i, updated=T0 + timedelta(seconds=30)) for i in range(1, 231)))
    got, pages = download_all(conn, T0)
    assert pages == 3
    assert [int(o.remote_id) for o in got] == list(range(1, 231))
    queries = [r.query for r in store.seen("GET")]
    assert [q.get(f"{G}[0][filters][1][value]") for q in queries] == [None, "100", "200"]
    assert {q[f"{G}[0][filters][0][value]"] for q in queries[1:]} == {"2026-11-20 08:00:30"}


def test_an_order_changed_during_the_download_does_not_hide_another(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    store.add(*(make_order(i, updated=T0 + timedelta(minutes=i)) for i in range(1, 151)))
    first = conn.list_orders(T0, None)
    assert [o.remote_id for o in first.orders] == [str(i) for i in range(1, 101)]
    # Order 5 changes now: with page numbers order 101 would slide onto page 1 and be missed.
    store.add(make_order(5, updated=T0 + timedelta(days=1), status="holded"))
    rest: list[RemoteOrder] = []
    page = first.next_page
    while page is not None:
        result = conn.list_orders(T0, page)
        rest.extend(result.orders)
        page = result.next_page
    assert [o.remote_id for o in rest] == [str(i) for i in range(101, 151)] + ["5"]
    assert rest[-1].cart_status == "holded"


def test_a_page_token_that_is_not_ours_is_refused(conn: Magento2Connector) -> None:
    with pytest.raises(ConnectorError, match="is not a Magento page token"):
        conn.list_orders(T0, "2")


def test_dates_are_utc_without_offset_both_ways(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    store.add(make_order(1, updated=T0 - timedelta(seconds=1)))
    store.add(make_order(2, updated=T0 + timedelta(minutes=5, seconds=7)))
    result = conn.list_orders(T0, None)
    assert [o.remote_id for o in result.orders] == ["2"]
    order = result.orders[0]
    assert order.modified_at == T0 + timedelta(minutes=5, seconds=7)
    assert order.modified_at.utcoffset() == timedelta(0)
    assert order.placed_at == order.modified_at - timedelta(hours=1)
    assert store.orders[2]["updated_at"] == "2026-11-20 08:05:07"
    # An aware `since` in another zone is sent as UTC, whole seconds, no offset.
    conn.list_orders(T0.astimezone(ZoneInfo("Asia/Tokyo")) + timedelta(microseconds=600), None)
    assert store.seen()[-1].query[f"{G}[0][filters][0][value]"] == "2026-11-20 08:00:00"


def test_order_fields_normalised_with_unicode_and_configurables(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    items = [
        *configurable_items(71, "TEE-🌸-M", "T-shirt „Blüte“ 🌸 – M", 2, 25.5),
        make_item(73, sku="CAFÉ-東京", name="Café crème – 東京", qty=3, price=2.1),
    ]
    order = make_order(
        9,
        updated=T0 + timedelta(minutes=1),
        increment_id="000000009",
        firstname="Zoë",
        lastname="Ångström",
        grand_total=61.3,
        items=items,
        city="東京都",
        street=["千代田区 1-1", "Palais 🏯", "Étage 3"],
    )
    order["discount_amount"] = -5.0
    order["subtotal"] = 57.3
    order["shipping_amount"] = 9.0
    order["billing_address"]["country_id"] = "jp"
    del order["extension_attributes"]  # a virtual order: no shipping assignment
    store.add(order, make_order(10, updated=T0 + timedelta(minutes=2), invoiced=True))
    first, second = conn.list_orders(T0, None).orders
    assert (first.remote_id, first.number) == ("9", "000000009")
    assert first.customer_name == "Zoë Ångström" and first.billing.name == "Zoë Ångström"
    assert first.billing.city == "東京都"
    assert (first.billing.street1, first.billing.street2) == ("千代田区 1-1", "Palais 🏯, Étage 3")
    assert first.billing.country == "JP"
    assert first.shipping.name == ""  # virtual: nothing to ship to
    # The configurable's child row is not a second line: the quantity is not doubled.
    assert [(i.remote_id, i.sku, i.name, i.quantity, i.unit_price) for i in first.items] == [
        ("71", "TEE-🌸-M", "T-shirt „Blüte“ 🌸 – M", 2, Decimal("25.5")),
        ("73", "CAFÉ-東京", "Café crème – 東京", 3, Decimal("2.1")),
    ]
    assert (first.subtotal, first.shipping_total, first.discount_total, first.total) == (
        Decimal("57.3"),
        Decimal("9.0"),
        Decimal("5.0"),
        Decimal("61.3"),
    )
    assert isinstance(first.total, Decimal) and first.currency == "EUR"
    assert (first.paid, first.invoiced, first.cart_status) == (False, False, "pending")
    assert (second.paid, second.invoiced, second.cart_status) == (True, True, "processing")
    assert second.shipping.street1 == "1 Analytical Row" and second.shipping.country == "GB"


def test_invoiced_and_paid_rules() -> None:
    from ordermanager.carts.magento2_orders import invoiced_and_paid

    base = make_order(1, updated=T0)
    assert invoiced_and_paid(base) == (False, False)
    # Invoiced offline without capture: an invoice exists, no payment recorded.
    assert invoiced_and_paid(dict(base, total_invoiced=43.98)) == (True, False)
    # A free order invoiced: its items are invoiced, there is nothing to pay.
    free = make_order(2, updated=T0, grand_total=0.0, invoiced=True)
    free["total_invoiced"] = free["total_paid"] = 0.0
    assert invoiced_and_paid(free) == (True, True)


def test_orders_with_missing_fields_are_skipped_with_reasons_and_the_rest_import(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    no_id = make_order(2, updated=T0 + timedelta(minutes=2), increment_id="N-2")
    del no_id["entity_id"]
    bad_total = make_order(3, updated=T0 + timedelta(minutes=3))
    bad_total["grand_total"] = None
    no_date = make_order(4, updated=T0 + timedelta(minutes=4))
    del no_date["created_at"]
    half = make_order(5, updated=T0 + timedelta(minutes=5))
    half["items"][0]["qty_ordered"] = 1.5
    no_items = make_order(6, updated=T0 + timedelta(minutes=6))
    no_items["items"] = None
    store.add(make_order(1, updated=T0 + timedelta(minutes=1)), bad_total, no_date, half, no_items)
    store.add(make_order(7, updated=T0 + timedelta(minutes=7)))
    store.orders[-2] = dict(no_id, entity_id=None)  # served, but without an id
    result = conn.list_orders(T0, None)
    assert [o.remote_id for o in result.orders] == ["1", "7"]
    reasons = {s.number: (s.remote_id, s.reason) for s in result.skipped}
    assert reasons == {
        "N-2": ("", "Magento order N-2 skipped: it has no entity_id"),
        "000000003": ("3", "Magento order 000000003 skipped: it has no grand_total"),
        "000000004": ("4", "Magento order 000000004 skipped: it has no created_at"),
        "000000005": (
            "5",
            "Magento order 000000005 skipped: its item 1 has a fractional quantity 1.5",
        ),
        "000000006": ("6", "Magento order 000000006 skipped: it has no items list"),
    }
    by_id = {s.remote_id: s for s in result.skipped}
    assert by_id["3"].modified_at == T0 + timedelta(minutes=3)  # the cursor can move past it
    assert by_id["4"].modified_at is None


@pytest.mark.parametrize(
    ("fault", "transient", "retry_after", "words"),
    [
        (Fault(429, retry_after="7"), True, 7.0, "HTTP 429"),
        (Fault(503), True, None, "Report ID: webapi-6571"),
        (Fault(200, body='{"items": [{"entity_id": 1, '), False, None, "not JSON"),
        (
            Fault(
                400,
                body='{"message": "\\"%fieldName\\" is not a valid %1 for %2.", '
                '"parameters": {"fieldName": "pageSize", "1": "number", "2": "orders"}}',
            ),
            False,
            None,
            '"pageSize" is not a valid number for orders.',
        ),
    ],
    ids=["429", "503", "malformed-json", "400-with-parameters"],
)
def test_list_orders_errors(
    store: FakeMagento2,
    conn: Magento2Connector,
    fault: Fault,
    transient: bool,
    retry_after: float | None,
    words: str,
) -> None:
    store.add(make_order(1, updated=T0 + timedelta(minutes=1)))
    store.fail("orders", fault)
    with pytest.raises(ConnectorError) as caught:
        conn.list_orders(T0, None)
    assert caught.value.transient is transient
    assert caught.value.retry_after == retry_after
    assert words in str(caught.value)
    assert_no_secret(store, str(caught.value))
    # The cart recovers: the next call imports.
    assert [o.remote_id for o in conn.list_orders(T0, None).orders] == ["1"]


def test_magento_messages_take_their_parameters() -> None:
    assert (
        magento_message({"message": "No such entity with %1 = %2", "parameters": ["id", 7]})
        == "No such entity with id = 7"
    )
    many = {"message": "%1-%10", "parameters": list("abcdefghij")}
    assert magento_message(many) == "a-j"
    assert magento_message({"message": "%resources.", "parameters": {"resources": "X"}}) == "X."
    assert magento_message(["not", "an", "error"]) == ""


def test_list_orders_timeout_is_transient(store: FakeMagento2, conn: Magento2Connector) -> None:
    store.fail("orders", Fault(hang=True))
    with pytest.raises(ConnectorError) as caught:
        conn.list_orders(T0, None)
    assert caught.value.transient is True
    assert "in time" in str(caught.value)


# -- test_connection ------------------------------------------------------------------------


def test_connection_ok(store: FakeMagento2, conn: Magento2Connector) -> None:
    store.add(make_order(1, updated=T0), make_order(2, updated=T0))
    assert conn.test_connection() == (
        f"Connected to Magento 2 at {store.base_url}; 2 orders in the store."
    )
    (req,) = store.seen()
    assert (req.method, req.path, req.query) == ("GET", "orders", {f"{SC}[pageSize]": "1"})
    assert req.store_code == ""


def test_connection_refused_token(store: FakeMagento2) -> None:
    wrong = connect(store, token="m2tok_wrong_value_9876543210")
    try:
        with pytest.raises(ConnectorError) as caught:
            wrong.list_orders(T0, None)
    finally:
        wrong.close()
    message = str(caught.value)
    assert "refused the access token (HTTP 401" in message
    # Magento's message with its %resources parameter filled in.
    assert message == (
        "Magento cart 'Märkte 東京' refused the access token (HTTP 401: The consumer isn't "
        "authorized to access Magento_Sales::actions_view.). Check the token, the integration's "
        "API resources (Sales) and, on Magento 2.4.4 and later, the OAuth setting that lets an "
        "access token be used on its own (docs/carts/magento2.md)"
    )
    assert caught.value.transient is False
    assert_no_secret(store, message)
    assert "m2tok_wrong_value_9876543210" not in message


def test_an_echoed_token_is_redacted(store: FakeMagento2, conn: Magento2Connector) -> None:
    # A misconfigured proxy echoes the request headers into its error page.
    store.fail("orders", Fault(400, body=f"Bad request. Authorization: Bearer {store.token}"))
    with pytest.raises(ConnectorError) as caught:
        conn.list_orders(T0, None)
    assert "[redacted]" in str(caught.value)
    assert_no_secret(store, str(caught.value))


def test_connection_not_a_magento_site(store: FakeMagento2) -> None:
    elsewhere = connect(store, url=store.base_url + "/shop")
    try:
        with pytest.raises(ConnectorError) as caught:
            elsewhere.test_connection()
    finally:
        elsewhere.close()
    message = str(caught.value)
    assert f"no Magento REST API at {store.base_url}/shop/rest/V1/ (HTTP 404" in message
    assert caught.value.transient is False


def test_connection_unreachable(store: FakeMagento2) -> None:
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


@pytest.mark.parametrize(
    ("suffix", "code"),
    [("/rest/default/V1/", "default"), ("/rest/all", "all"), ("/rest/V1", ""), ("/", "")],
)
def test_rest_address_pasted_as_store_url(store: FakeMagento2, suffix: str, code: str) -> None:
    pasted = connect(store, url=store.base_url + suffix)
    try:
        assert pasted.test_connection().startswith(f"Connected to Magento 2 at {store.base_url};")
    finally:
        pasted.close()
    assert store.seen()[-1].store_code == code


def test_missing_token_is_a_clear_error(store: FakeMagento2) -> None:
    cart = CartConfig(id=1, name="Half", kind="magento2", base_url=store.base_url)
    conn = Magento2Connector(cart, {})
    try:
        with pytest.raises(ConnectorError, match="the integration's access token is needed"):
            conn.test_connection()
    finally:
        conn.close()
    assert store.seen() == []


# -- create_invoice (Auto-Invoice; the cycle side is in test_magento2_sync.py) ----------------


def test_create_invoice_and_its_failures(store: FakeMagento2, conn: Magento2Connector) -> None:
    store.add(make_order(8, updated=T0), make_order(9, updated=T0, invoiced=True))
    eight, nine = conn.list_orders(T0 - timedelta(hours=1), None).orders
    assert conn.create_invoice(eight) == "Magento invoice 500 created for order 000000008."
    (post,) = store.seen("POST")
    assert (post.path, post.body) == ("order/8/invoice", {"capture": True, "notify": False})
    assert post.headers["Authorization"] == f"Bearer {store.token}"
    assert store.orders[8]["total_paid"] == store.orders[8]["grand_total"]

    with pytest.raises(ConnectorError) as caught:
        conn.create_invoice(nine)  # invoiced already: Magento's own refusal, word for word
    assert caught.value.transient is False
    assert str(caught.value) == (
        "Magento cart 'Märkte 東京' answered HTTP 400 while invoicing order 000000009: "
        "The order does not allow an invoice to be created."
    )
    gone = RemoteOrder(**{**eight.__dict__, "remote_id": "404", "number": "000000404"})
    with pytest.raises(ConnectorError, match="Order 000000404: order not found in the cart"):
        conn.create_invoice(gone)
    store.fail("invoice", Fault(429, retry_after="30"))
    with pytest.raises(ConnectorError) as busy:
        conn.create_invoice(eight)
    assert (busy.value.transient, busy.value.retry_after) == (True, 30.0)
    store.fail("invoice", Fault(200, body="<html>maintenance</html>"))
    with pytest.raises(ConnectorError, match="not JSON while invoicing"):
        conn.create_invoice(eight)
    assert list(store.invoices) == [500]


def test_a_redirect_asks_for_the_final_address() -> None:
    # No TLS server here: httpx's own mock transport stands in for a store that moved to https.
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "https://shop.example/rest/V1/orders"})

    cart = CartConfig(id=1, name="Moved", kind="magento2", base_url="http://shop.example")
    conn = Magento2Connector(cart, {"access_token": "tok"}, transport=httpx.MockTransport(answer))
    try:
        with pytest.raises(ConnectorError) as caught:
            conn.test_connection()
    finally:
        conn.close()
    assert str(caught.value) == (
        "Magento cart 'Moved' answered with a redirect (HTTP 301 to "
        "https://shop.example/rest/V1/orders): enter the store's final address as its URL"
    )
    assert caught.value.transient is False
