"""Vendure status pushes against the Vendure-like Admin API on 127.0.0.1.

Each test asserts the exact GraphQL requests the fake received (operation, variables, headers)
and what they did to the fake's orders: fulfillments with tracking (whole and partial),
cancellation, notes, order states; ErrorResults in HTTP 200 answers; retries after a lost
answer; and the mapping step in ConnectorSender.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from ordermanager.carts.protocol import CartConfig
from ordermanager.carts.senders import ConnectorSender
from ordermanager.carts.status_map import ActionKind, CartAction, no_mapping_message
from ordermanager.carts.vendure import VendureConnector
from ordermanager.stack.delivery import Delivered, DeliveryConfig, Rejected, RetryLater
from ordermanager.stack.queue import ClaimedRecord
from tests.cart_support.fake_vendure import FakeVendure, Fault, Request, make_line, make_order

T0 = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)
FAST = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)
SHIP = CartAction(ActionKind.SHIP, notify_customer=True)
CANCEL = CartAction(ActionKind.CANCEL)
KEY = "k" * 32


@pytest.fixture
def store() -> Iterator[FakeVendure]:
    with FakeVendure() as fake:
        lines = [
            make_line("421", sku="MUG-東京", name="Mug 東京", quantity=2, unit=1200),
            make_line("422", sku="TEE-🦄", name="T-shirt 🦄", quantity=1, unit=2500),
        ]
        fake.add(make_order(42, modified=T0, code="VND-42", lines=lines))
        yield fake


def connect(store: FakeVendure, key: str | None = None) -> VendureConnector:
    cart = CartConfig(id=3, name="Vendüre Shop", kind="vendure", base_url=store.api_url)
    return VendureConnector(cart, {"api_key": key or store.api_key}, timeout=FAST)


@pytest.fixture
def conn(store: FakeVendure) -> Iterator[VendureConnector]:
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
    shipment_lines: list[dict[str, Any]] | None = None,
    shipment_complete: bool = True,
) -> ClaimedRecord:
    payload: dict[str, Any] = {
        "idempotency_key": KEY,
        "event": event,
        "event_name": event.replace("_", " ").title(),
        "order_label": label,
        "tracking": {"numbers": tracking or [], "carrier": carrier},
        "shipment_lines": shipment_lines or [],
        "shipment_complete": shipment_complete,
    }
    return ClaimedRecord(
        id=1,
        order_id=5,
        order_number="V-42",
        order_remote_id=remote,
        cart_id=3,
        cart_name="Vendüre Shop",
        cart_kind="vendure",
        cart_base_url="",
        cart_demo=False,
        event=event,
        order_label=label,
        payload=payload,
        idempotency_key=KEY,
        attempts=attempts,
        claim_token="t",
        claimed_until=T0,
    )


def calls(store: FakeVendure) -> list[tuple[str, dict[str, Any]]]:
    return [(r.operation, r.variables) for r in store.seen()]


def assert_clean_request(store: FakeVendure, request: Request) -> None:
    assert (request.method, request.path) == ("POST", "/admin-api")
    assert request.headers["vendure-api-key"] == store.api_key
    assert request.headers["Content-Type"] == "application/json"
    assert request.auth_ok


def handler(method: str, tracking: str) -> dict[str, Any]:
    return {
        "code": "manual-fulfillment",
        "arguments": [
            {"name": "method", "value": method},
            {"name": "trackingCode", "value": tracking},
        ],
    }


def test_ship_whole_order__fulfillment_with_tracking_then_shipped(
    store: FakeVendure, conn: VendureConnector
) -> None:
    outcome = conn.push_status(
        record(
            event="order_shipped", label="Order Shipped", tracking=["1Z999", "1Z998"], carrier="UPS"
        ),
        SHIP,
    )
    assert outcome == Delivered("Vendure order VND-42: fulfillment 501 shipped")
    assert calls(store) == [
        ("order", {"id": "42"}),
        (
            "addFulfillmentToOrder",
            {
                "input": {
                    "lines": [
                        {"orderLineId": "421", "quantity": 2},
                        {"orderLineId": "422", "quantity": 1},
                    ],
                    "handler": handler("UPS", "1Z999, 1Z998"),
                }
            },
        ),
        ("transitionFulfillmentToState", {"id": "501", "state": "Shipped"}),
    ]
    for request in store.seen():
        assert_clean_request(store, request)
    assert store.seen()[1].body["operationName"] == "OrderManagerShip"
    assert "... on ErrorResult { errorCode message }" in store.seen()[1].body["query"]
    order = store.orders["42"]
    assert order["state"] == "Shipped"
    (fulfillment,) = order["fulfillments"]
    assert (fulfillment["state"], fulfillment["method"], fulfillment["trackingCode"]) == (
        "Shipped",
        "UPS",
        "1Z999, 1Z998",
    )


def test_partial_ship__only_the_shipment_lines_then_the_rest(
    store: FakeVendure, conn: VendureConnector
) -> None:
    first = record(
        event="item_shipped",
        label="Partially Shipped",
        tracking=["DHL-1"],
        carrier="DHL",
        shipment_lines=[{"remote_id": "421", "sku": "MUG-東京", "quantity": 1}],
        shipment_complete=False,
    )
    assert isinstance(conn.push_status(first, SHIP), Delivered)
    assert calls(store)[1] == (
        "addFulfillmentToOrder",
        {
            "input": {
                "lines": [{"orderLineId": "421", "quantity": 1}],
                "handler": handler("DHL", "DHL-1"),
            }
        },
    )
    assert store.orders["42"]["state"] == "PartiallyShipped"

    # The rest, by SKU (an item entered by hand has no remote id), then "everything left".
    by_sku = record(
        event="item_shipped",
        label="Partially Shipped",
        tracking=["DHL-2"],
        carrier="DHL",
        shipment_lines=[{"remote_id": "", "sku": "TEE-🦄", "quantity": 1}],
        shipment_complete=False,
    )
    assert isinstance(conn.push_status(by_sku, SHIP), Delivered)
    rest = record(event="order_shipped", label="Order Shipped", tracking=["DHL-3"], carrier="DHL")
    assert isinstance(conn.push_status(rest, SHIP), Delivered)
    adds = [v["input"]["lines"] for op, v in calls(store) if op == "addFulfillmentToOrder"]
    assert adds == [
        [{"orderLineId": "421", "quantity": 1}],
        [{"orderLineId": "422", "quantity": 1}],
        [{"orderLineId": "421", "quantity": 1}],  # only what was still to ship
    ]
    assert store.orders["42"]["state"] == "Shipped"
    assert [f["trackingCode"] for f in store.orders["42"]["fulfillments"]] == [
        "DHL-1",
        "DHL-2",
        "DHL-3",
    ]


def test_ship_retry_after_a_lost_answer_does_not_fulfil_twice(
    store: FakeVendure, conn: VendureConnector
) -> None:
    ship = record(event="order_shipped", label="Order Shipped", tracking=["1Z1"], carrier="DPD")
    store.fail("addFulfillmentToOrder", Fault(lose_answer=True))
    lost = conn.push_status(ship, SHIP)
    assert isinstance(lost, RetryLater)  # the fulfillment was made, the answer never came
    assert len(store.orders["42"]["fulfillments"]) == 1
    before = len(store.seen())

    again = record(
        event="order_shipped", label="Order Shipped", tracking=["1Z1"], carrier="DPD", attempts=1
    )
    assert conn.push_status(again, SHIP) == Delivered(
        "Vendure order VND-42: fulfillment 501 shipped"
    )
    assert calls(store)[before:] == [
        ("order", {"id": "42"}),
        ("transitionFulfillmentToState", {"id": "501", "state": "Shipped"}),
    ]
    assert len(store.orders["42"]["fulfillments"]) == 1
    assert store.orders["42"]["state"] == "Shipped"

    # A third attempt (the transition's answer lost too) sends nothing but the look-up.
    assert isinstance(conn.push_status(again, SHIP), Delivered)
    assert [op for op, _ in calls(store)[before + 2 :]] == ["order"]


def test_ship_when_everything_is_already_fulfilled_is_held_with_the_reason(
    store: FakeVendure, conn: VendureConnector
) -> None:
    assert isinstance(
        conn.push_status(
            record(event="order_shipped", label="Order Shipped", tracking=["A"]), SHIP
        ),
        Delivered,
    )
    other = record(event="order_shipped", label="Order Shipped", tracking=["B"])
    outcome = conn.push_status(other, SHIP)
    assert outcome == Rejected(
        "Order V-42 (Vendure VND-42): every item is already in a fulfillment in Vendure, so "
        "tracking B was not sent"
    )
    assert [op for op, _ in calls(store)].count("addFulfillmentToOrder") == 1


def test_ship_error_result_in_http_200_is_rejected_with_the_message(
    store: FakeVendure, conn: VendureConnector
) -> None:
    # Another admin fulfilled the lines between our look-up and our mutation.
    store.fail(
        "addFulfillmentToOrder",
        Fault(
            200,
            body='{"data":{"addFulfillmentToOrder":{"errorCode":"ITEMS_ALREADY_FULFILLED_ERROR",'
            '"message":"One or more OrderItems are already part of a Fulfillment"}}}',
        ),
    )
    outcome = conn.push_status(record(event="order_shipped", label="Order Shipped"), SHIP)
    assert outcome == Rejected(
        "Vendure cart 'Vendüre Shop' refused adding the fulfillment: "
        "ITEMS_ALREADY_FULFILLED_ERROR: One or more OrderItems are already part of a Fulfillment"
    )
    assert "transitionFulfillmentToState" not in [op for op, _ in calls(store)]


def test_ship_lines_the_order_does_not_have_are_held(
    store: FakeVendure, conn: VendureConnector
) -> None:
    stray = record(
        event="item_shipped",
        label="Partially Shipped",
        shipment_lines=[{"remote_id": "999", "sku": "NOPE", "quantity": 1}],
        shipment_complete=False,
    )
    outcome = conn.push_status(stray, SHIP)
    assert outcome == Rejected(
        "Order V-42 (Vendure VND-42): the shipment lists 999, which the Vendure order does not have"
    )
    assert [op for op, _ in calls(store)] == ["order"]


def test_cancel__cancel_order_with_a_reason_and_nothing_else(
    store: FakeVendure, conn: VendureConnector
) -> None:
    outcome = conn.push_status(record(event="order_cancel", label="Order Cancelled"), CANCEL)
    assert outcome == Delivered("Vendure order 42: cancelled")
    (request,) = store.seen()
    assert_clean_request(store, request)
    assert (request.operation, request.variables) == (
        "cancelOrder",
        {"input": {"orderId": "42", "reason": "Cancelled in Order Manager (Order Cancelled)"}},
    )
    assert store.orders["42"]["state"] == "Cancelled"

    # Cancelling again: Vendure's OrderStateTransitionError (HTTP 200) is a refusal...
    outcome = conn.push_status(record(event="order_cancel", label="Order Cancelled"), CANCEL)
    assert outcome == Rejected(
        "Vendure cart 'Vendüre Shop' refused cancelling the order: ORDER_STATE_TRANSITION_ERROR: "
        'Cannot transition Order from "Cancelled" to "Cancelled"'
    )
    # ...but a retry of our own cancel (its answer lost) sees it done and sends nothing.
    before = len(store.seen())
    retry = record(event="order_cancel", label="Order Cancelled", attempts=2)
    assert conn.push_status(retry, CANCEL) == Delivered("Vendure order 42: already cancelled")
    assert [op for op, _ in calls(store)[before:]] == ["order"]


def test_custom_label_as_set_status__transition_order_to_state(
    store: FakeVendure, conn: VendureConnector
) -> None:
    action = CartAction(ActionKind.SET_STATUS, "Modifying")
    outcome = conn.push_status(record(event="label_set_by_hand", label="Needs change"), action)
    assert outcome == Delivered("Vendure order 42: state Modifying")
    (request,) = store.seen()
    assert (request.operation, request.variables) == (
        "transitionOrderToState",
        {"id": "42", "state": "Modifying"},
    )
    assert request.body["operationName"] == "OrderManagerState"
    assert store.orders["42"]["state"] == "Modifying"

    # A transition the order process refuses comes back as an ErrorResult: held with it.
    delivered = CartAction(ActionKind.SET_STATUS, "Delivered")
    outcome = conn.push_status(record(event="label_set_by_hand", label="Done"), delivered)
    assert outcome == Rejected(
        "Vendure cart 'Vendüre Shop' refused moving the order to Delivered: "
        'ORDER_STATE_TRANSITION_ERROR: Cannot transition Order from "Modifying" to "Delivered"'
    )


def test_custom_label_as_comment__public_note_and_no_duplicate_on_retry(
    store: FakeVendure, conn: VendureConnector
) -> None:
    note = CartAction(ActionKind.COMMENT, notify_customer=True)
    label = "Geschenk – prüfen 🎁"
    store.fail("addNoteToOrder", Fault(lose_answer=True))
    first = conn.push_status(
        record(event="label_set_by_hand", label=label, tracking=["1Z5"], carrier="UPS"), note
    )
    assert isinstance(first, RetryLater)
    (request,) = store.seen()
    assert (request.operation, request.variables) == (
        "addNoteToOrder",
        {
            "input": {
                "id": "42",
                "note": f"Status: {label}. Tracking number (UPS): 1Z5",
                "isPublic": True,
            }
        },
    )
    retry = record(
        event="label_set_by_hand", label=label, tracking=["1Z5"], carrier="UPS", attempts=1
    )
    assert conn.push_status(retry, note) == Delivered("Vendure order 42: note already there")
    assert [op for op, _ in calls(store)] == ["addNoteToOrder", "order"]
    notes = [h for h in store.orders["42"]["history"]["items"] if h["type"] == "ORDER_NOTE"]
    assert notes == [
        {
            "type": "ORDER_NOTE",
            "isPublic": True,
            "data": {"note": f"Status: {label}. Tracking number (UPS): 1Z5"},
        }
    ]

    # A private note (the default for "On Hold") when the retry finds nothing there yet.
    private = CartAction(ActionKind.COMMENT)
    again = record(event="order_on_hold", label="On Hold", attempts=1)
    assert conn.push_status(again, private) == Delivered("Vendure order 42: order note")
    assert calls(store)[-1] == (
        "addNoteToOrder",
        {"input": {"id": "42", "note": "Status: On Hold", "isPublic": False}},
    )


@pytest.mark.parametrize(
    ("action", "operation"),
    [
        (SHIP, "order"),
        (CANCEL, "cancelOrder"),
        (CartAction(ActionKind.COMMENT), "addNoteToOrder"),
        (CartAction(ActionKind.SET_STATUS, "Cancelled"), "transitionOrderToState"),
    ],
    ids=["ship", "cancel", "comment", "set-status"],
)
def test_order_not_found_is_rejected(
    store: FakeVendure, conn: VendureConnector, action: CartAction, operation: str
) -> None:
    outcome = conn.push_status(record(event="x", label="Order Shipped", remote="999"), action)
    assert outcome == Rejected("Order V-42 (Vendure id 999): order not found in the cart")
    ((op, variables),) = calls(store)  # one request, and nothing after the refusal
    assert op == operation
    assert "999" in (
        variables.get("id"),
        variables.get("input", {}).get("id"),
        variables.get("input", {}).get("orderId"),
    )


def test_push_outcomes_for_cart_failures(store: FakeVendure, conn: VendureConnector) -> None:
    cancel = record(event="order_cancel", label="Order Cancelled")
    store.fail("cancelOrder", Fault(429, retry_after="12"))
    outcome = conn.push_status(cancel, CANCEL)
    assert isinstance(outcome, RetryLater) and outcome.retry_after == 12.0
    assert "HTTP 429" in outcome.error

    store.fail("cancelOrder", Fault(502))
    outcome = conn.push_status(cancel, CANCEL)
    assert isinstance(outcome, RetryLater) and outcome.retry_after is None
    assert "HTTP 502" in outcome.error

    store.fail("order", Fault(hang=True))
    outcome = conn.push_status(record(event="order_shipped", label="Order Shipped"), SHIP)
    assert isinstance(outcome, RetryLater) and "in time" in outcome.error

    store.fail("addNoteToOrder", Fault(200, body="<html>Bad gateway</html>"))
    outcome = conn.push_status(record(event="x", label="y"), CartAction(ActionKind.COMMENT))
    assert isinstance(outcome, Rejected) and "not JSON" in outcome.error
    assert store.orders["42"]["state"] == "PaymentSettled"  # nothing happened in the cart
    for r in store.seen():
        assert store.api_key not in str(r.variables)


def test_refused_key_on_push_is_permanent_and_secret_free(store: FakeVendure) -> None:
    wrong = connect(store, key="vk_not_the_one_000")
    try:
        outcome = wrong.push_status(record(event="order_cancel", label="Order Cancelled"), CANCEL)
    finally:
        wrong.close()
    assert isinstance(outcome, Rejected)
    assert "refused the API key" in outcome.error
    assert "vk_not_the_one_000" not in outcome.error and store.api_key not in outcome.error
    assert store.orders["42"]["state"] == "PaymentSettled"


def test_connector_sender__unmapped_label_held_without_a_request_mapped_one_sent(
    store: FakeVendure,
) -> None:
    cart = CartConfig(id=3, name="Vendüre Shop", kind="vendure", base_url=store.api_url)
    opened: list[VendureConnector] = []

    def opener(config: CartConfig) -> VendureConnector:
        connector = VendureConnector(config, {"api_key": store.api_key}, timeout=FAST)
        opened.append(connector)
        return connector

    sender = ConnectorSender(cart, DeliveryConfig(), opener=opener)
    try:
        held = sender.send(record(event="label_set_by_hand", label="Gift wrap"))
        assert held == Rejected(no_mapping_message("Gift wrap", "Vendüre Shop"))
        assert store.seen() == [] and opened == []
        sent = sender.send(record(event="order_cancel", label="Order Cancelled"))
    finally:
        sender.close()
    assert sent == Delivered("Vendure order 42: cancelled")
    assert [op for op, _ in calls(store)] == ["cancelOrder"]
