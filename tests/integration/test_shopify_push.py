"""Shopify status pushes against the fake Admin GraphQL store: the exact requests it received
(path, token header, operation, variables) and what they did to the store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from ordermanager.carts.protocol import CartConfig
from ordermanager.carts.senders import ConnectorSender
from ordermanager.carts.shopify import API_PATH, ShopifyConnector
from ordermanager.carts.status_map import ActionKind, CartAction, StatusMap
from ordermanager.carts.updates import view_of
from ordermanager.stack.delivery import Delivered, DeliveryConfig, Outcome, Rejected, RetryLater
from ordermanager.stack.queue import ClaimedRecord
from tests.cart_support.fake_shopify import FakeShopify, Fault, Request, connect, make_order

T0 = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)
ORDER = "gid://shopify/Order/42"
FULFILLMENT_ORDER = "gid://shopify/FulfillmentOrder/421"


@pytest.fixture
def store() -> Iterator[FakeShopify]:
    with FakeShopify() as fake:
        fake.add(
            make_order(
                42,
                modified=T0,
                items=[
                    {"sku": "ENG-1", "name": "Engine card", "quantity": 2},
                    {"sku": "MÜG-☕", "name": "Tasse ☕", "quantity": 1},
                ],
            )
        )
        yield fake


@pytest.fixture
def conn(store: FakeShopify) -> Iterator[ShopifyConnector]:
    connector = connect(store)
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
    key: str = "k" * 32,
) -> ClaimedRecord:
    payload: dict[str, Any] = {
        "idempotency_key": key,
        "event": event,
        "event_name": event.replace("_", " ").title(),
        "order_label": label,
        "tracking": {"numbers": tracking or [], "carrier": carrier},
    }
    if lines is not None:
        payload["shipment_lines"] = lines
        payload["shipment_complete"] = False
    return ClaimedRecord(
        id=1,
        order_id=5,
        order_number="#1042",
        order_remote_id=remote,
        cart_id=3,
        cart_name="Zoë's Shop",
        cart_kind="shopify",
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


def push(conn: ShopifyConnector, rec: ClaimedRecord, action: CartAction | None = None) -> Outcome:
    """Send as the stack does: the label's action from Shopify's default mapping."""
    if action is None:
        action = StatusMap(defaults=ShopifyConnector.default_status_map).action_for(
            view_of(rec).label
        )
        assert action is not None, f"no default mapping for {view_of(rec).label!r}"
    return conn.push_status(rec, action)


def assert_sent_properly(requests: list[Request], store: FakeShopify) -> None:
    for request in requests:
        assert (request.method, request.path) == ("POST", API_PATH)
        assert request.headers["X-Shopify-Access-Token"] == store.access_token
        assert request.headers["Content-Type"] == "application/json"
        assert request.body["operationName"] == request.operation


# -- ship -----------------------------------------------------------------------------------


def test_ship_whole_order_with_tracking(store: FakeShopify, conn: ShopifyConnector) -> None:
    outcome = push(
        conn,
        record(
            event="order_shipped", label="Order Shipped", tracking=["1Z999", "1Z998"], carrier="UPS"
        ),
    )
    assert outcome == Delivered("Shopify order 42: fulfillment created")
    read, create = store.seen()
    assert_sent_properly([read, create], store)
    assert (read.operation, read.variables) == ("OrderForShipment", {"id": ORDER})
    assert create.operation == "FulfillmentCreate"
    assert create.variables == {
        "fulfillment": {
            # No line items named: everything open on the fulfillment order.
            "lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": FULFILLMENT_ORDER}],
            "notifyCustomer": True,
            "trackingInfo": {"numbers": ["1Z999", "1Z998"], "company": "UPS"},
        }
    }
    (fulfillment,) = store.fulfillments[42]
    assert fulfillment["trackingInfo"] == [
        {"company": "UPS", "number": "1Z999"},
        {"company": "UPS", "number": "1Z998"},
    ]
    assert store.fulfillment_orders[42][0]["status"] == "CLOSED"
    assert store.orders[42]["displayFulfillmentStatus"] == "FULFILLED"


def test_partial_ship_names_only_the_shipment_lines(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    first = record(
        event="item_shipped",
        label="Partially Shipped",
        tracking=["JD0001"],
        carrier="DHL",
        lines=[{"remote_id": "4201", "sku": "ENG-1", "quantity": 1}],
    )
    assert isinstance(push(conn, first), Delivered)
    _, create = store.seen()
    assert create.variables == {
        "fulfillment": {
            "lineItemsByFulfillmentOrder": [
                {
                    "fulfillmentOrderId": FULFILLMENT_ORDER,
                    "fulfillmentOrderLineItems": [
                        {"id": "gid://shopify/FulfillmentOrderLineItem/94201", "quantity": 1}
                    ],
                }
            ],
            "notifyCustomer": True,
            "trackingInfo": {"numbers": ["JD0001"], "company": "DHL"},
        }
    }
    left = [
        line["remainingQuantity"] for line in store.fulfillment_orders[42][0]["lineItems"]["nodes"]
    ]
    assert left == [1, 1]
    assert store.orders[42]["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"

    # The rest, one line known only by its SKU (an item entered by hand has no remote id).
    rest = record(
        event="item_shipped",
        label="Partially Shipped",
        tracking=["JD0002"],
        carrier="DHL",
        lines=[
            {"remote_id": "4201", "sku": "ENG-1", "quantity": 1},
            {"remote_id": "", "sku": "MÜG-☕", "quantity": 1},
        ],
    )
    assert isinstance(push(conn, rest), Delivered)
    create = store.seen("FulfillmentCreate")[-1]
    assert create.variables["fulfillment"]["lineItemsByFulfillmentOrder"] == [
        {
            "fulfillmentOrderId": FULFILLMENT_ORDER,
            "fulfillmentOrderLineItems": [
                {"id": "gid://shopify/FulfillmentOrderLineItem/94201", "quantity": 1},
                {"id": "gid://shopify/FulfillmentOrderLineItem/94202", "quantity": 1},
            ],
        }
    ]
    assert store.orders[42]["displayFulfillmentStatus"] == "FULFILLED"
    assert len(store.fulfillments[42]) == 2


def test_partial_ship_of_a_line_the_order_has_not_open_is_rejected(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    too_many = record(
        event="item_shipped",
        label="Partially Shipped",
        lines=[{"remote_id": "4202", "sku": "MÜG-☕", "quantity": 3}],
    )
    assert push(conn, too_many) == Rejected(
        "Order #1042: cannot ship: line item 4202 (SKU MÜG-☕): 3 to ship but only 1 left to "
        "fulfil in Shopify"
    )
    unknown = record(
        event="item_shipped",
        label="Partially Shipped",
        lines=[{"remote_id": "999", "sku": "NOPE", "quantity": 1}],
    )
    assert push(conn, unknown) == Rejected(
        "Order #1042: cannot ship: line item 999 (SKU NOPE) has nothing left to fulfil in Shopify"
    )
    assert store.seen("FulfillmentCreate") == [] and 42 not in store.fulfillments


def test_ship_retry_after_a_lost_answer_does_not_fulfil_twice(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    ship = record(event="order_shipped", label="Order Shipped", tracking=["1Z1"], carrier="DHL")
    store.fail("FulfillmentCreate", Fault(lose=True))
    lost = push(conn, ship)
    assert isinstance(lost, RetryLater) and "in time" in lost.error
    assert len(store.fulfillments[42]) == 1  # it happened; only the answer was lost
    again = record(
        event="order_shipped", label="Order Shipped", tracking=["1Z1"], carrier="DHL", attempts=1
    )
    assert push(conn, again) == Delivered("Shopify order 42: fulfillment with this tracking exists")
    assert [r.operation for r in store.seen()] == [
        "OrderForShipment",
        "FulfillmentCreate",
        "OrderForShipment",
    ]
    assert len(store.fulfillments[42]) == 1


def test_ship_retry_without_tracking_finds_nothing_left_and_counts_as_delivered(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    store.fail("FulfillmentCreate", Fault(lose=True))
    assert isinstance(push(conn, record(event="order_shipped", label="Order Shipped")), RetryLater)
    again = record(event="order_shipped", label="Order Shipped", attempts=1)
    assert push(conn, again) == Delivered(
        "Shopify order 42: already fulfilled, nothing left to ship"
    )
    assert len(store.seen("FulfillmentCreate")) == 1


def test_ship_of_a_cancelled_or_held_order_is_rejected(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    store.fulfillment_orders[42][0]["status"] = "ON_HOLD"
    assert push(conn, record(event="order_shipped", label="Order Shipped")) == Rejected(
        "Order #1042: its Shopify fulfillment orders are on_hold; release them in Shopify, "
        "then Retry."
    )
    store.orders[42]["cancelledAt"] = "2026-11-20T09:00:00Z"
    assert push(conn, record(event="order_shipped", label="Order Shipped")) == Rejected(
        "Order #1042 is cancelled in Shopify, so it cannot be shipped."
    )
    assert store.seen("FulfillmentCreate") == []


# -- cancel ---------------------------------------------------------------------------------


def test_cancel_sends_order_cancel_with_the_2025_01_arguments(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    outcome = push(conn, record(event="order_cancel", label="Order Cancelled"))
    assert outcome == Delivered("Shopify order 42: cancellation accepted")
    read, cancel = store.seen()
    assert_sent_properly([read, cancel], store)
    assert (read.operation, read.variables) == ("OrderState", {"id": ORDER})
    assert cancel.operation == "OrderCancel"
    assert cancel.variables == {
        "orderId": ORDER,
        "reason": "OTHER",
        "refund": False,
        "restock": True,
        "notifyCustomer": False,
        "staffNote": "Cancelled from Order Manager (Order Cancelled)",
    }
    assert store.orders[42]["cancelledAt"] is not None
    # Again (a retry, or a second cancel): already cancelled, nothing more is sent.
    again = record(event="order_cancel", label="Order Cancelled", attempts=1)
    assert push(conn, again) == Delivered("Shopify order 42: already cancelled")
    assert [r.operation for r in store.seen()] == ["OrderState", "OrderCancel", "OrderState"]


def test_cancel_user_errors_are_rejected_with_shopifys_message(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    # Shopify cancelled the order between our read and our mutation.
    original = store._op_OrderState

    def stale(v: dict[str, Any]) -> dict[str, Any]:
        answer = original(v)
        store.orders[42]["cancelledAt"] = "2026-11-20T09:00:00Z"
        return answer

    store._op_OrderState = stale  # type: ignore[method-assign]
    outcome = push(conn, record(event="order_cancel", label="Order Cancelled"))
    assert outcome == Rejected(
        "Shopify cart 'Zoë's Shop' refused the update of order #1042: "
        "Order has already been cancelled."
    )


# -- comment --------------------------------------------------------------------------------


def test_custom_label_as_comment_appends_to_the_order_note(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    store.orders[42]["note"] = "Bitte klingeln 🔔"
    action = CartAction(ActionKind.COMMENT, notify_customer=True)
    outcome = push(conn, record(event="label_set_by_hand", label="Gift wrap – prüfen 🎁"), action)
    assert outcome == Delivered("Shopify order 42: order note")
    read, update = store.seen()
    assert_sent_properly([read, update], store)
    assert (read.operation, read.variables) == ("OrderNote", {"id": ORDER})
    assert update.operation == "OrderUpdate"
    assert update.variables == {
        "input": {"id": ORDER, "note": "Bitte klingeln 🔔\nStatus: Gift wrap – prüfen 🎁"}
    }
    assert store.orders[42]["note"] == "Bitte klingeln 🔔\nStatus: Gift wrap – prüfen 🎁"


def test_default_note_labels_carry_the_tracking(store: FakeShopify, conn: ShopifyConnector) -> None:
    rec = record(
        event="tracking_entered", label="Tracking Entered", tracking=["1Z5"], carrier="UPS"
    )
    assert isinstance(push(conn, rec), Delivered)
    assert store.orders[42]["note"] == "Status: Tracking Entered. Tracking number (UPS): 1Z5"


def test_comment_retry_after_a_lost_answer_does_not_add_the_note_twice(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    action = CartAction(ActionKind.COMMENT)
    store.fail("OrderUpdate", Fault(lose=True))
    assert isinstance(push(conn, record(event="x", label="Geprüft ✓"), action), RetryLater)
    again = push(conn, record(event="x", label="Geprüft ✓", attempts=1), action)
    assert again == Delivered("Shopify order 42: note already there")
    assert store.orders[42]["note"] == "Status: Geprüft ✓"
    assert [r.operation for r in store.seen()] == ["OrderNote", "OrderUpdate", "OrderNote"]


def test_set_status_is_not_a_shopify_action(store: FakeShopify, conn: ShopifyConnector) -> None:
    outcome = push(conn, record(event="x", label="Odd"), CartAction(ActionKind.SET_STATUS, "paid"))
    assert isinstance(outcome, Rejected)
    assert "is not something a Shopify cart can do" in outcome.error
    assert store.seen() == []


# -- failures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "action"),
    [
        ("Order Shipped", None),
        ("Order Cancelled", None),
        ("Custom", CartAction(ActionKind.COMMENT)),
    ],
)
def test_order_not_found_is_rejected(
    store: FakeShopify, conn: ShopifyConnector, label: str, action: CartAction | None
) -> None:
    outcome = push(conn, record(event="x", label=label, remote="999"), action)
    assert outcome == Rejected("Order #1042 (Shopify id 999): order not found in the cart")
    (read,) = store.seen()
    assert read.variables == {"id": "gid://shopify/Order/999"}


def test_an_order_without_a_shopify_id_is_rejected_without_a_request(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    outcome = push(conn, record(event="order_shipped", label="Order Shipped", remote="manual-7"))
    assert isinstance(outcome, Rejected) and "has no Shopify order id" in outcome.error
    assert store.seen() == []


def test_push_outcomes_for_cart_failures(store: FakeShopify, conn: ShopifyConnector) -> None:
    cancel = record(event="order_cancel", label="Order Cancelled")
    store.fail("OrderState", Fault(429, retry_after="12"))
    outcome = push(conn, cancel)
    assert isinstance(outcome, RetryLater) and outcome.retry_after == 12.0
    assert "HTTP 429" in outcome.error

    store.fail("OrderState", Fault(502))
    outcome = push(conn, cancel)
    assert isinstance(outcome, RetryLater) and outcome.retry_after is None

    store.fail("OrderCancel", Fault(hang=True))
    outcome = push(conn, cancel)
    assert isinstance(outcome, RetryLater) and "in time" in outcome.error

    store.fail("OrderState", Fault(code="THROTTLED"))
    outcome = push(conn, cancel)
    assert isinstance(outcome, RetryLater) and "throttling" in outcome.error

    store.fail("OrderState", Fault(200, body="{not json"))
    outcome = push(conn, cancel)
    assert isinstance(outcome, Rejected) and "not JSON" in outcome.error

    for text in (outcome.error,):
        assert store.access_token not in text
    assert store.orders[42]["cancelledAt"] is None


def test_throttled_push_retries_after_the_missing_points(
    store: FakeShopify, conn: ShopifyConnector
) -> None:
    store.set_bucket(20)  # OrderForShipment costs 58
    outcome = push(conn, record(event="order_shipped", label="Order Shipped"))
    assert isinstance(outcome, RetryLater)
    assert outcome.retry_after == pytest.approx((58 - 20) / 100.0)
    assert 42 not in store.fulfillments


def test_refused_credentials_on_push_are_permanent_and_secret_free(store: FakeShopify) -> None:
    wrong = connect(store, token="shpat_not_the_one_000")
    try:
        outcome = wrong.push_status(
            record(event="order_cancel", label="Order Cancelled"), CartAction(ActionKind.CANCEL)
        )
    finally:
        wrong.close()
    assert isinstance(outcome, Rejected)
    assert "refused the access token (HTTP 401" in outcome.error
    assert "shpat_not_the_one_000" not in outcome.error
    assert store.access_token not in outcome.error
    assert store.orders[42]["cancelledAt"] is None


# -- through the stack's sender -------------------------------------------------------------


def test_sender__unmapped_label_is_held_and_nothing_reaches_the_cart(store: FakeShopify) -> None:
    cart = CartConfig(id=3, name="Zoë's Shop", kind="shopify", base_url=store.base_url)
    sender = ConnectorSender(cart, DeliveryConfig(), opener=lambda c: connect(store))
    skipping = ConnectorSender(
        cart,
        DeliveryConfig(
            status_maps=lambda cart_id, **_: StatusMap({"Gift wrap": CartAction(ActionKind.SKIP)})
        ),
        opener=lambda c: connect(store),
    )
    try:
        held = sender.send(record(event="label_set_by_hand", label="Gift wrap"))
        skipped = skipping.send(record(event="label_set_by_hand", label="Gift wrap"))
    finally:
        sender.close()
        skipping.close()
    assert held == Rejected(
        "No status mapping for label 'Gift wrap' on cart 'Zoë's Shop': choose what it means in "
        "Setup ▸ Carts… (Edit… ▸ Status Mapping), then Retry this update."
    )
    assert isinstance(skipped, Delivered)
    assert store.seen() == []


def test_sender__mapped_label_goes_out_with_the_carts_own_mapping(store: FakeShopify) -> None:
    cart = CartConfig(id=3, name="Zoë's Shop", kind="shopify", base_url=store.base_url)
    mapping = StatusMap(
        {"Packed": CartAction(ActionKind.COMMENT)}, ShopifyConnector.default_status_map
    )
    sender = ConnectorSender(
        cart,
        DeliveryConfig(status_maps=lambda cart_id, **_: mapping),
        opener=lambda c: connect(store),
    )
    try:
        packed = sender.send(record(event="label_set_by_hand", label="Packed"))
        shipped = sender.send(record(event="order_shipped", label="Order Shipped", tracking=["9"]))
    finally:
        sender.close()
    assert packed == Delivered("Shopify order 42: order note")
    assert shipped == Delivered("Shopify order 42: fulfillment created")
    assert [r.operation for r in store.seen()] == [
        "OrderNote",
        "OrderUpdate",
        "OrderForShipment",
        "FulfillmentCreate",
    ]
    assert store.orders[42]["note"] == "Status: Packed"
