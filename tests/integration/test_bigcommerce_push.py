"""BigCommerce status pushes against the BigCommerce-like server on 127.0.0.1: the exact
requests each mapped action becomes, retries that must not repeat a shipment or a note, and
the outcomes for cart failures, also through the stack's ConnectorSender."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from ordermanager.carts.bigcommerce import BigCommerceConnector
from ordermanager.carts.protocol import CartConfig
from ordermanager.carts.senders import ConnectorSender
from ordermanager.carts.status_map import ActionKind, CartAction, StatusMap, no_mapping_message
from ordermanager.carts.updates import view_of
from ordermanager.stack.delivery import Delivered, DeliveryConfig, Rejected, RetryLater
from ordermanager.stack.queue import ClaimedRecord
from tests.cart_support.fake_bigcommerce import (
    FakeBigCommerce,
    Fault,
    make_address,
    make_order,
    make_product,
)

T0 = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)
FAST = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)
CART = "Bïg Störe"


@pytest.fixture
def store() -> Iterator[FakeBigCommerce]:
    with FakeBigCommerce() as fake:
        # Order 42: two product lines (2 x ENG-1, 1 x CAFÉ-東京) and one shipping address (id 77).
        fake.add(
            make_order(42, modified=T0),
            [
                make_product(420, 42, quantity=2),
                make_product(421, 42, name="Café – 東京", sku="CAFÉ-東京", quantity=1),
            ],
            [make_address(77, 42)],
        )
        fake.orders[42]["staff_notes"] = "Packed by Zoë"
        yield fake


def connect(store: FakeBigCommerce, token: str | None = None) -> BigCommerceConnector:
    cart = CartConfig(id=4, name=CART, kind="bigcommerce", base_url=store.base_url)
    secret = token if token is not None else store.access_token
    return BigCommerceConnector(cart, {"access_token": secret}, timeout=FAST)


@pytest.fixture
def conn(store: FakeBigCommerce) -> Iterator[BigCommerceConnector]:
    connector = connect(store)
    connector.clock = lambda: 1000.0  # a still clock: quota waits are exactly what is asked
    yield connector
    connector.close()


def record(
    *,
    event: str,
    label: str | None,
    remote: str = "42",
    attempts: int = 0,
    tracking: list[str] | None = None,
    carrier: str = "",
    lines: list[dict[str, Any]] | None = None,
    complete: bool = True,
    key: str = "k" * 32,
) -> ClaimedRecord:
    payload: dict[str, Any] = {
        "idempotency_key": key,
        "event": event,
        "event_name": event.replace("_", " ").title(),
        "order_label": label,
        "tracking": {"numbers": tracking or [], "carrier": carrier},
        "shipment_lines": lines or [],
        "shipment_complete": complete,
    }
    return ClaimedRecord(
        id=1,
        order_id=5,
        order_number="B-42",
        order_remote_id=remote,
        cart_id=4,
        cart_name=CART,
        cart_kind="bigcommerce",
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
    conn: BigCommerceConnector, rec: ClaimedRecord, action: CartAction | None = None
) -> Delivered | RetryLater | Rejected:
    """Send as the stack does: the label's action from BigCommerce's default mapping."""
    if action is None:
        action = StatusMap(defaults=BigCommerceConnector.default_status_map).action_for(
            view_of(rec).label
        )
        assert action is not None, f"no default mapping for {view_of(rec).label!r}"
    return conn.push_status(rec, action)


def calls(store: FakeBigCommerce) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in store.seen()]


def assert_no_secret(store: FakeBigCommerce, text: str) -> None:
    assert store.access_token not in text


# -- ship, cancel, custom labels -------------------------------------------------------------


def test_ship_whole_order_with_tracking(store: FakeBigCommerce, conn: BigCommerceConnector) -> None:
    outcome = push(
        conn,
        record(
            event="order_shipped", label="Order Shipped", tracking=["1Z999", "1Z998"], carrier="UPS"
        ),
    )
    assert outcome == Delivered("BigCommerce order 42: shipment 1Z999 created")
    assert calls(store) == [
        ("GET", "orders/42/shipping_addresses"),
        ("GET", "orders/42/products"),
        ("POST", "orders/42/shipments"),
    ]
    post = store.seen("POST")[0]
    assert post.body == {
        "order_address_id": 77,
        "tracking_number": "1Z999",
        "shipping_provider": "ups",
        "tracking_carrier": "ups",
        "comments": "Tracking numbers (UPS): 1Z999, 1Z998",
        "items": [
            {"order_product_id": 420, "quantity": 2},
            {"order_product_id": 421, "quantity": 1},
        ],
    }
    assert post.headers["X-Auth-Token"] == store.access_token and post.auth_ok
    assert post.headers["Accept"] == "application/json"
    assert post.headers["Content-Type"] == "application/json"
    # BigCommerce moved the order itself; no status PUT was needed.
    assert store.orders[42]["status_id"] == 2


def test_partial_ship_sends_only_the_shipment_lines(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    first = record(
        event="item_shipped",
        label="Partially Shipped",
        tracking=["JD0001"],
        carrier="DHL Express",
        lines=[{"remote_id": "420", "sku": "ENG-1", "quantity": 1}],
        complete=False,
    )
    assert push(conn, first) == Delivered("BigCommerce order 42: shipment JD0001 created")
    assert store.seen("POST")[0].body == {
        "order_address_id": 77,
        "tracking_number": "JD0001",
        "shipping_provider": "",  # DHL is no BigCommerce provider module: tracking carrier only
        "tracking_carrier": "dhl",
        "items": [{"order_product_id": 420, "quantity": 1}],
    }
    assert store.orders[42]["status_id"] == 3  # Partially Shipped, by BigCommerce

    # An item entered by hand has no remote id: its SKU finds the product line. An unknown
    # carrier is named in the comments, since BigCommerce refuses unknown carrier codes.
    second = record(
        event="item_shipped",
        label="Partially Shipped",
        tracking=["PX-77"],
        carrier="Pony Express",
        lines=[{"remote_id": "", "sku": "CAFÉ-東京", "quantity": 1}],
        complete=False,
    )
    assert isinstance(push(conn, second), Delivered)
    assert store.seen("POST")[1].body == {
        "order_address_id": 77,
        "tracking_number": "PX-77",
        "shipping_provider": "",
        "tracking_carrier": "",
        "comments": "Tracking number (Pony Express): PX-77",
        "items": [{"order_product_id": 421, "quantity": 1}],
    }
    # The rest ships with no lines named: everything not shipped yet (1 x ENG-1).
    rest = record(event="order_shipped", label="Order Shipped", tracking=["1Z3"], carrier="ups")
    assert isinstance(push(conn, rest), Delivered)
    assert store.seen("POST")[2].body["items"] == [{"order_product_id": 420, "quantity": 1}]
    assert store.orders[42]["status_id"] == 2


def test_ship_a_line_not_on_the_order_is_rejected(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    rec = record(
        event="item_shipped",
        label="Partially Shipped",
        lines=[{"remote_id": "999", "sku": "", "quantity": 1}],
        complete=False,
    )
    assert push(conn, rec) == Rejected(
        "Order B-42: product line 999 is not on the order in BigCommerce."
    )
    assert store.seen("POST") == []


def test_ship_a_digital_order_is_rejected_with_what_to_do(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    store.add(make_order(43, modified=T0, digital=True))
    outcome = push(conn, record(event="order_shipped", label="Order Shipped", remote="43"))
    assert isinstance(outcome, Rejected)
    assert "has no shipping address" in outcome.error and "Set cart status" in outcome.error
    assert store.seen("POST") == []


def test_cancel_sets_status_id_5_and_nothing_else(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    outcome = push(conn, record(event="order_cancel", label="Order Cancelled"))
    assert outcome == Delivered("BigCommerce order 42: status Cancelled")
    (put,) = store.seen()
    assert (put.method, put.path, put.body) == ("PUT", "orders/42", {"status_id": 5})
    assert put.headers["X-Auth-Token"] == store.access_token
    assert store.orders[42]["status"] == "Cancelled"


def test_custom_label_mapped_to_a_cart_status(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    rec = record(event="label_set_by_hand", label="Ready – prüfen 📦")
    outcome = push(conn, rec, CartAction(ActionKind.SET_STATUS, "9"))
    assert outcome == Delivered("BigCommerce order 42: status Awaiting Shipment")
    (put,) = store.seen()
    assert (put.method, put.path, put.body) == ("PUT", "orders/42", {"status_id": 9})


def test_custom_label_mapped_to_a_note_appends_to_the_staff_notes(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    rec = record(event="label_set_by_hand", label="Gift wrap – prüfen 🎁")
    outcome = push(conn, rec, CartAction(ActionKind.COMMENT))
    assert outcome == Delivered("BigCommerce order 42: staff note added")
    get, put = store.seen()
    assert (get.method, get.path) == ("GET", "orders/42")
    assert (put.method, put.path) == ("PUT", "orders/42")
    assert put.body == {"staff_notes": "Packed by Zoë\nStatus: Gift wrap – prüfen 🎁"}
    assert store.orders[42]["status_id"] == 11  # unchanged


def test_note_to_the_customer_goes_to_the_customer_message(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    rec = record(
        event="tracking_entered", label="Tracking Entered", tracking=["1Z5"], carrier="UPS"
    )
    assert push(conn, rec) == Delivered("BigCommerce order 42: customer message added")
    put = store.seen("PUT")[0]
    assert put.body == {"customer_message": "Status: Tracking Entered. Tracking number (UPS): 1Z5"}


def test_a_status_that_is_no_status_id_is_rejected_without_a_request(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    rec = record(event="label_set_by_hand", label="X")
    outcome = push(conn, rec, CartAction(ActionKind.SET_STATUS, "shipped"))
    assert outcome == Rejected(
        "Order B-42: 'shipped' is not a BigCommerce status id (0-14 or a custom id)."
    )
    assert store.seen() == []


# -- retries after a lost answer -------------------------------------------------------------


def test_retry_after_a_lost_answer_does_not_ship_twice(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    store.fail("ship", Fault(lose_answer=True))  # the shipment is made, the answer never comes
    rec = record(event="order_shipped", label="Order Shipped", tracking=["1Z1"], carrier="UPS")
    first = push(conn, rec)
    assert isinstance(first, RetryLater) and "in time" in first.error
    assert len(store.shipments[42]) == 1

    again = record(
        event="order_shipped", label="Order Shipped", tracking=["1Z1"], carrier="UPS", attempts=1
    )
    assert push(conn, again) == Delivered("BigCommerce order 42: shipment 1Z1 was already there")
    assert calls(store)[3:] == [("GET", "orders/42/shipments")]
    assert len(store.shipments[42]) == 1 and len(store.seen("POST")) == 1


def test_retry_without_tracking_after_everything_shipped_is_delivered(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    store.fail("ship", Fault(lose_answer=True))
    assert isinstance(push(conn, record(event="order_shipped", label="Order Shipped")), RetryLater)
    again = record(event="order_shipped", label="Order Shipped", attempts=1)
    assert push(conn, again) == Delivered("BigCommerce order 42: everything was already shipped")
    assert len(store.seen("POST")) == 1


def test_retry_of_a_real_failure_still_ships(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    store.fail("ship", Fault(503))
    rec = record(event="order_shipped", label="Order Shipped", tracking=["1Z2"], carrier="UPS")
    assert isinstance(push(conn, rec), RetryLater)
    assert store.shipments.get(42, []) == []
    again = record(
        event="order_shipped", label="Order Shipped", tracking=["1Z2"], carrier="UPS", attempts=1
    )
    assert push(conn, again) == Delivered("BigCommerce order 42: shipment 1Z2 created")
    assert [s["tracking_number"] for s in store.shipments[42]] == ["1Z2"]


def test_retry_after_a_lost_answer_does_not_repeat_the_note(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    store.fail("update", Fault(lose_answer=True))
    note = CartAction(ActionKind.COMMENT)
    assert isinstance(push(conn, record(event="x", label="Checked"), note), RetryLater)
    assert store.orders[42]["staff_notes"] == "Packed by Zoë\nStatus: Checked"
    outcome = push(conn, record(event="x", label="Checked", attempts=1), note)
    assert outcome == Delivered("BigCommerce order 42: staff note was already there")
    assert [r.method for r in store.seen()] == ["GET", "PUT", "GET"]
    assert store.orders[42]["staff_notes"] == "Packed by Zoë\nStatus: Checked"


# -- failures ---------------------------------------------------------------------------------


def test_order_not_found_is_rejected(store: FakeBigCommerce, conn: BigCommerceConnector) -> None:
    gone = "Order B-42 (BigCommerce id 999): order not found in the cart"
    assert push(conn, record(event="order_cancel", label="Order Cancelled", remote="999")) == (
        Rejected(gone)
    )
    assert push(conn, record(event="order_shipped", label="Order Shipped", remote="999")) == (
        Rejected(gone)
    )
    note = CartAction(ActionKind.COMMENT)
    assert push(conn, record(event="x", label="X", remote="999"), note) == Rejected(gone)
    assert store.seen("POST") == []


def test_push_outcomes_for_cart_failures(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    cancel = record(event="order_cancel", label="Order Cancelled")
    store.fail("update", Fault(429, headers={"X-Rate-Limit-Time-Reset-Ms": "12000"}))
    outcome = push(conn, cancel)
    assert isinstance(outcome, RetryLater) and outcome.retry_after == 12.0
    assert "HTTP 429" in outcome.error
    conn.clock = lambda: 1e6  # the window has passed

    store.fail("update", Fault(429, headers={"Retry-After": "20"}))
    outcome = push(conn, cancel)
    assert isinstance(outcome, RetryLater) and outcome.retry_after == 20.0
    conn.clock = lambda: 2e6

    store.fail("update", Fault(502))
    outcome = push(conn, cancel)
    assert isinstance(outcome, RetryLater) and outcome.retry_after is None

    store.fail("update", Fault(hang=True))
    outcome = push(conn, cancel)
    assert isinstance(outcome, RetryLater) and "in time" in outcome.error

    store.fail("update", Fault(400, body='[{"status":400,"message":"The field is invalid."}]'))
    outcome = push(conn, cancel)
    assert outcome == Rejected(
        f"BigCommerce cart '{CART}' answered HTTP 400 while setting its status: "
        "The field is invalid."
    )
    assert store.orders[42]["status_id"] == 11
    assert isinstance(push(conn, cancel), Delivered)  # the cart recovered


def test_refused_token_on_push_is_permanent_and_secret_free() -> None:
    with FakeBigCommerce(echo_token=True) as store:
        store.add(make_order(42, modified=T0))
        wrong = connect(store, token="bc_not_the_one_000")
        try:
            outcome = push(wrong, record(event="order_cancel", label="Order Cancelled"))
        finally:
            wrong.close()
    assert isinstance(outcome, Rejected)
    assert "refused the access token" in outcome.error
    assert "bc_not_the_one_000" not in outcome.error
    assert_no_secret(store, outcome.error)
    assert store.orders[42]["status_id"] == 11


# -- through the stack's ConnectorSender ------------------------------------------------------


def test_sender_holds_a_label_without_mapping_and_sends_nothing(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    cart = CartConfig(id=4, name=CART, kind="bigcommerce", base_url=store.base_url)
    sender = ConnectorSender(cart, DeliveryConfig(), opener=lambda c: conn)
    outcome = sender.send(record(event="label_set_by_hand", label="Gift wrap"))
    assert outcome == Rejected(no_mapping_message("Gift wrap", CART))
    assert store.seen() == []


def test_sender_uses_the_carts_own_mapping(
    store: FakeBigCommerce, conn: BigCommerceConnector
) -> None:
    cart = CartConfig(id=4, name=CART, kind="bigcommerce", base_url=store.base_url)
    own = StatusMap(
        own={"Gift wrap": CartAction(ActionKind.SET_STATUS, "12")},
        defaults=BigCommerceConnector.default_status_map,
    )
    config = DeliveryConfig(status_maps=lambda cart_id, **_: own)
    sender = ConnectorSender(cart, config, opener=lambda c: conn)
    outcome = sender.send(record(event="label_set_by_hand", label="Gift wrap"))
    assert outcome == Delivered("BigCommerce order 42: status Manual Verification Required")
    assert [(r.method, r.path, r.body) for r in store.seen()] == [
        ("PUT", "orders/42", {"status_id": 12})
    ]
