"""The generic connector's download side against a cart on 127.0.0.1 that speaks the documented
protocol (tests/cart_support/generic_cart.py), and its status side through the stack's sender."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.generic import GenericConnector
from ordermanager.carts.protocol import CartConfig
from ordermanager.carts.registry import connector_class
from ordermanager.stack.delivery import Delivered
from tests.cart_support.generic_cart import Fault, GenericCart, generic_cart, make_order
from tests.integration.test_generic_sender import record
from tests.stack_support.cart_server import CartServer

SECRET = "generic-download-secret-0123456789"
SINCE = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def cart() -> Iterator[GenericCart]:
    with generic_cart(SECRET, page_size=2) as server:
        yield server


def connect(url: str, secret: str = SECRET, read: float = 5.0) -> GenericConnector:
    config = CartConfig(1, "Script Store", "generic", url)
    timeout = httpx.Timeout(connect=2.0, read=read, write=2.0, pool=2.0)
    return GenericConnector(config, {"status_secret": secret}, timeout=timeout)


def test_registry__generic_is_installed() -> None:
    assert connector_class("Generic") is GenericConnector


def test_list_orders__pages_signed_and_normalised(cart: GenericCart) -> None:
    cart.orders = [make_order(n, modified=f"2026-11-20T10:0{n}:00+00:00") for n in range(5)]
    cart.orders[0]["customer"]["name"] = "Zoë Ødegård 山田"
    connector = connect(cart.url)
    try:
        pages, token = [], None
        while True:
            page = connector.list_orders(SINCE, token)
            pages.append(page)
            token = page.next_page
            if token is None:
                break
    finally:
        connector.close()
    assert [len(p.orders) for p in pages] == [2, 2, 1]
    assert pages[0].total == 5
    assert all(r.signature_ok for r in cart.requests)
    assert [r.page for r in cart.requests] == ["1", "2", "3"]
    assert cart.requests[0].since == "2026-11-01T00:00:00Z"
    first = pages[0].orders[0]
    assert first.customer_name == "Zoë Ødegård 山田"
    assert first.placed_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # +01:00 made UTC
    assert first.total == Decimal("28.70") and first.items[0].unit_price == Decimal("10.00")
    assert first.invoiced is True  # no "invoiced" field: same as paid


def test_list_orders__malformed_order_skipped_with_reason(cart: GenericCart) -> None:
    bad = make_order(1, currency="euro")
    no_items = make_order(2)
    del no_items["items"]
    cart.orders = [make_order(0), bad, no_items]
    connector = connect(cart.url)
    try:
        page = connector.list_orders(SINCE, None)
        page2 = connector.list_orders(SINCE, page.next_page)
    finally:
        connector.close()
    skipped = page.skipped + page2.skipped
    assert [o.number for o in page.orders + page2.orders] == ["G-1000"]
    assert {(s.number, s.reason) for s in skipped} == {
        ("G-1001", "'currency' must be a three-letter ISO currency code"),
        ("G-1002", "'items' is missing or not a list"),
    }
    assert all(s.modified_at is not None for s in skipped)


@pytest.mark.parametrize(
    ("fault", "transient", "words"),
    [
        (Fault(429, "Slow down", retry_after="7"), True, "HTTP 429"),
        (Fault(503, "Maintenance"), True, "HTTP 503"),
        (Fault(200, "<html>oops", content_type="application/json"), False, "not JSON"),
        (Fault(200, '{"nope": 1}', content_type="application/json"), False, '"orders" list'),
        (Fault(404, "No such script"), False, "HTTP 404"),
    ],
)
def test_list_orders__faults_are_clear_connector_errors(
    cart: GenericCart, fault: Fault, transient: bool, words: str
) -> None:
    cart.faults.append(fault)
    connector = connect(cart.url)
    try:
        with pytest.raises(ConnectorError) as caught:
            connector.list_orders(SINCE, None)
    finally:
        connector.close()
    assert caught.value.transient is transient
    assert words in str(caught.value)
    assert caught.value.retry_after == (7.0 if fault.status == 429 else None)


def test_list_orders__timeout_is_transient(cart: GenericCart) -> None:
    cart.faults.append(Fault(hang=True))
    connector = connect(cart.url, read=0.3)
    try:
        with pytest.raises(ConnectorError) as caught:
            connector.list_orders(SINCE, None)
    finally:
        connector.close()
    assert caught.value.transient
    assert "did not answer in time" in str(caught.value)


def test_wrong_secret__refused_credentials_without_the_secret(cart: GenericCart) -> None:
    wrong = "a-wrong-secret-that-must-not-leak"
    connector = connect(cart.url, secret=wrong)
    try:
        with pytest.raises(ConnectorError) as caught:
            connector.test_connection()
    finally:
        connector.close()
    assert not caught.value.transient
    assert "refused the credentials" in str(caught.value)
    assert wrong not in str(caught.value)


def test_test_connection__one_line_success(cart: GenericCart) -> None:
    cart.orders = [make_order(1, modified=datetime.now(UTC).isoformat())]
    connector = connect(cart.url)
    try:
        text = connector.test_connection()
    finally:
        connector.close()
    assert "Connected to cart 'Script Store'" in text and "1 order(s)" in text


def test_connection_refused__transient() -> None:
    connector = connect("http://127.0.0.1:9/none.php")
    try:
        with pytest.raises(ConnectorError) as caught:
            connector.list_orders(SINCE, None)
    finally:
        connector.close()
    assert caught.value.transient and "could not be reached" in str(caught.value)


def test_push_status__signed_post_through_the_generic_sender() -> None:
    with CartServer(secret=SECRET) as server:
        connector = connect(server.url())
        try:
            outcome = connector.push_status(record(3, url=server.url()))
        finally:
            connector.close()
        hits = server.hits()
    assert outcome == Delivered()
    assert len(hits) == 1 and hits[0].signature_ok and hits[0].event == "order_shipped"


def test_no_secret__clear_error() -> None:
    with pytest.raises(ConnectorError, match="No shared secret is stored for cart 'Script Store'"):
        GenericConnector(CartConfig(1, "Script Store", "generic", "http://127.0.0.1:9/x"), {})


def test_sender_for__kinds_with_a_connector_send_through_it() -> None:
    from ordermanager.carts.senders import ConnectorSender
    from ordermanager.carts.status_map import ActionKind, CartAction, StatusMap
    from ordermanager.stack.delivery import DeliveryConfig, Rejected, sender_for

    shipped = StatusMap({"Shipped": CartAction(ActionKind.SHIP)})
    config = DeliveryConfig(status_maps=lambda cart_id, **_: shipped)
    sender = sender_for(record(4, cart_kind="woocommerce", url="https://shop.example"), config)
    try:
        assert isinstance(sender, ConnectorSender)
        outcome = sender.send(record(4, cart_kind="woocommerce", url="https://shop.example"))
    finally:
        sender.close()
    # No keyring in this test: held, saying which secret to store where.
    assert isinstance(outcome, Rejected)
    assert "user 'Script Store:consumer_key'" in outcome.error
