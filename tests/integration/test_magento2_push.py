"""Magento 2 status pushes against the Magento-like server on 127.0.0.1: the exact requests the
store received (method, path, body, token) for ships, cancels and comments, retries after a lost
answer, failures, and the stack's ConnectorSender in front of the connector."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from ordermanager.carts.magento2 import Magento2Connector
from ordermanager.carts.protocol import CartConfig
from ordermanager.carts.senders import ConnectorSender
from ordermanager.carts.status_map import ActionKind, CartAction, StatusMap, no_mapping_message
from ordermanager.carts.updates import view_of
from ordermanager.stack.delivery import Delivered, DeliveryConfig, Outcome, Rejected, RetryLater
from ordermanager.stack.queue import ClaimedRecord
from tests.cart_support.fake_magento2 import FakeMagento2, Fault, make_item, make_order

T0 = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC)
FAST = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)
CART = CartConfig(id=4, name="Märkte 東京", kind="magento2", base_url="")


@pytest.fixture
def store() -> Iterator[FakeMagento2]:
    with FakeMagento2() as fake:
        # Order 42: two lines, 2 x ENG-1 (item 421) and 1 x Zoë's "Ångström-Tasse ☕" (item 422).
        fake.add(
            make_order(
                42,
                updated=T0,
                invoiced=True,
                items=[
                    make_item(421),
                    make_item(422, sku="TASSE-☕", name="Ångström-Tasse ☕", qty=1, price=5.0),
                ],
            )
        )
        yield fake


def connect(store: FakeMagento2, token: str | None = None) -> Magento2Connector:
    cart = CartConfig(CART.id, CART.name, CART.kind, store.base_url)
    return Magento2Connector(
        cart, {"access_token": token if token is not None else store.token}, timeout=FAST
    )


@pytest.fixture
def conn(store: FakeMagento2) -> Iterator[Magento2Connector]:
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
        order_number="M-42",
        order_remote_id=remote,
        cart_id=CART.id,
        cart_name=CART.name,
        cart_kind="magento2",
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


def push(conn: Magento2Connector, rec: ClaimedRecord, action: CartAction | None = None) -> Outcome:
    """Send as the stack does: the label's action from Magento's default mapping."""
    if action is None:
        action = StatusMap(defaults=Magento2Connector.default_status_map).action_for(
            view_of(rec).label
        )
        assert action is not None, f"no default mapping for {view_of(rec).label!r}"
    return conn.push_status(rec, action)


def calls(store: FakeMagento2) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in store.seen()]


def assert_no_secret(store: FakeMagento2, outcome: Outcome) -> None:
    text = getattr(outcome, "error", "") or getattr(outcome, "detail", "")
    assert store.token not in text and store.token[:12] not in text


def shipped(**kwargs: Any) -> ClaimedRecord:
    return record(event="order_shipped", label="Order Shipped", **kwargs)


# -- ship -----------------------------------------------------------------------------------


def test_ship_whole_order_with_tracking(store: FakeMagento2, conn: Magento2Connector) -> None:
    outcome = push(conn, shipped(tracking=["1Z999", "1Z998"], carrier="UPS"))
    assert outcome == Delivered("Magento order M-42: shipment with 2 track(s) 100")
    (post,) = store.seen()
    assert (post.method, post.path) == ("POST", "order/42/ship")
    assert post.body == {
        "notify": True,  # "Order Shipped" notifies the customer by default
        "tracks": [
            {"track_number": "1Z999", "title": "UPS", "carrier_code": "custom"},
            {"track_number": "1Z998", "title": "UPS", "carrier_code": "custom"},
        ],
    }  # no "items": Magento ships everything not shipped yet
    assert post.headers["Authorization"] == f"Bearer {store.token}"
    assert post.headers["Content-Type"] == "application/json"
    assert store.orders[42]["status"] == "complete"
    assert [i["qty_shipped"] for i in store.orders[42]["items"]] == [2, 1]


def test_partial_ship_sends_only_the_shipment_lines(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    lines = [{"remote_id": "421", "sku": "ENG-1", "quantity": 1}]
    partial = record(
        event="item_shipped",
        label="Partially Shipped",
        tracking=["JD0001"],
        carrier="DHL Paket",
        lines=lines,
        complete=False,
    )
    assert isinstance(push(conn, partial), Delivered)
    (post,) = store.seen()
    assert (post.method, post.path) == ("POST", "order/42/ship")
    assert post.body == {
        "items": [{"order_item_id": 421, "qty": 1}],
        "notify": True,
        "tracks": [{"track_number": "JD0001", "title": "DHL Paket", "carrier_code": "custom"}],
    }
    assert store.orders[42]["status"] == "processing"  # the rest is still to ship
    assert [i["qty_shipped"] for i in store.orders[42]["items"]] == [1, 0]


def test_a_line_without_a_magento_id_is_found_by_its_sku(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    lines = [{"remote_id": "", "sku": "TASSE-☕", "quantity": 1}]
    assert isinstance(push(conn, shipped(lines=lines, complete=False)), Delivered)
    assert calls(store) == [("GET", "orders/42"), ("POST", "order/42/ship")]
    assert store.seen()[1].body == {
        "items": [{"order_item_id": 422, "qty": 1}],
        "notify": True,
        "tracks": [],
    }
    unknown = [{"remote_id": "", "sku": "NOPE", "quantity": 1}]
    outcome = push(conn, shipped(lines=unknown))
    assert outcome == Rejected(
        "Order M-42: the shipped item 'NOPE' is not an item of the Magento order, so the "
        "shipment cannot be sent."
    )


def test_ship_retry_after_a_lost_answer_does_not_ship_twice(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    store.fail("ship", Fault(hang=True, after=True))  # shipped, but the answer never came
    first = push(conn, shipped(tracking=["1Z1"], carrier="DHL"))
    assert isinstance(first, RetryLater) and "in time" in first.error
    assert len(store.shipments) == 1
    again = push(conn, shipped(tracking=["1Z1"], carrier="DHL", attempts=1))
    assert again == Delivered(
        "Magento order M-42: shipment with 1 track(s) (already in Magento from an earlier attempt)"
    )
    assert calls(store)[1:] == [("GET", "orders/42"), ("GET", "shipments")]
    assert store.seen()[-1].query == {
        "searchCriteria[filter_groups][0][filters][0][field]": "order_id",
        "searchCriteria[filter_groups][0][filters][0][value]": "42",
        "searchCriteria[filter_groups][0][filters][0][condition_type]": "eq",
    }
    assert len(store.shipments) == 1


def test_ship_retry_when_the_first_attempt_failed_ships_now(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    store.fail("ship", Fault(503))
    assert isinstance(push(conn, shipped()), RetryLater)
    assert store.shipments == {}
    # No tracking, no lines: "already there" means the order has nothing left to ship.
    assert isinstance(push(conn, shipped(attempts=1)), Delivered)
    assert calls(store)[1:] == [("GET", "orders/42"), ("POST", "order/42/ship")]
    assert len(store.shipments) == 1
    assert isinstance(push(conn, shipped(attempts=2)), Delivered)
    assert len(store.shipments) == 1 and calls(store)[-1] == ("GET", "orders/42")


def test_partial_ship_retry_matches_the_shipment_lines(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    lines = [{"remote_id": "422", "sku": "TASSE-☕", "quantity": 1}]
    store.fail("ship", Fault(502, after=True))
    assert isinstance(push(conn, shipped(lines=lines, complete=False)), RetryLater)
    again = push(conn, shipped(lines=lines, complete=False, attempts=1))
    assert isinstance(again, Delivered) and "already in Magento" in again.detail
    assert len(store.shipments) == 1


# -- cancel ---------------------------------------------------------------------------------


def test_cancel(store: FakeMagento2, conn: Magento2Connector) -> None:
    store.add(make_order(43, updated=T0))
    outcome = push(conn, record(event="order_cancel", label="Order Cancelled", remote="43"))
    assert outcome == Delivered("Magento order M-42: canceled")
    (post,) = store.seen()
    assert (post.method, post.path, post.body) == ("POST", "orders/43/cancel", None)
    assert store.orders[43]["status"] == "canceled"


def test_cancel_refused_by_magento_is_rejected(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    assert isinstance(push(conn, shipped()), Delivered)  # a shipped order
    outcome = push(conn, record(event="order_cancel", label="Order Cancelled"))
    assert outcome == Rejected(
        "Magento refused to cancel order M-42 (its state is 'complete'; Magento cannot cancel "
        "an order that is fully invoiced, shipped, closed or on hold)."
    )
    assert calls(store)[1:] == [("POST", "orders/42/cancel"), ("GET", "orders/42")]


def test_cancel_retry_after_a_lost_answer_is_delivered(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    store.add(make_order(43, updated=T0))
    store.fail("cancel", Fault(504, after=True))
    cancel = CartAction(ActionKind.CANCEL)
    assert isinstance(push(conn, record(event="c", label="C", remote="43"), cancel), RetryLater)
    assert store.orders[43]["status"] == "canceled"
    again = push(conn, record(event="c", label="C", remote="43", attempts=1), cancel)
    assert again == Delivered("Magento order M-42: already canceled")


# -- comments and statuses ------------------------------------------------------------------


def test_custom_label_set_to_a_magento_status(store: FakeMagento2, conn: Magento2Connector) -> None:
    action = CartAction(ActionKind.SET_STATUS, "holded")
    outcome = push(conn, record(event="label_set_by_hand", label="Warte auf Zoë ⏳"), action)
    assert outcome == Delivered("Magento order M-42: comment (status holded)")
    assert calls(store) == [
        ("GET", "orders/42"),
        ("POST", "orders/42/comments"),
        ("GET", "orders/42"),  # re-read: did Magento really change the status?
    ]
    assert store.seen()[1].body == {
        "statusHistory": {
            "comment": "Status: Warte auf Zoë ⏳",
            "is_customer_notified": 0,
            "is_visible_on_front": 0,
            "status": "holded",
        }
    }
    assert store.orders[42]["status"] == "holded"


def test_custom_label_as_a_comment_keeps_the_status(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    action = CartAction(ActionKind.COMMENT, notify_customer=True)
    outcome = push(
        conn, record(event="label_set_by_hand", label="Geschenk 🎁", tracking=["T1"]), action
    )
    assert outcome == Delivered("Magento order M-42: comment")
    assert calls(store) == [("GET", "orders/42"), ("POST", "orders/42/comments")]
    # The current status goes along: without one some Magento versions blank it.
    assert store.seen()[1].body == {
        "statusHistory": {
            "comment": "Status: Geschenk 🎁. Tracking number: T1",
            "is_customer_notified": 1,
            "is_visible_on_front": 1,
            "status": "processing",
        }
    }
    assert store.orders[42]["status"] == "processing"
    assert (
        store.orders[42]["status_histories"][0]["comment"]
        == "Status: Geschenk 🎁. Tracking number: T1"
    )


def test_default_on_hold_and_backordered_mappings(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    assert isinstance(push(conn, record(event="order_hold", label="On Hold")), Delivered)
    assert store.orders[42]["status"] == "holded"
    assert isinstance(push(conn, record(event="item_backordered", label="Backordered")), Delivered)
    last = store.seen("POST")[-1].body["statusHistory"]
    assert (last["comment"], last["is_customer_notified"], last["status"]) == (
        "Status: Backordered",
        1,
        "holded",
    )


def test_a_status_magento_ignores_is_rejected_not_reported_as_done(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    store.ignore_comment_status = True  # Magento 2.4.7, magento/magento2#38723
    outcome = push(
        conn, record(event="label", label="Fertig"), CartAction(ActionKind.SET_STATUS, "complete")
    )
    assert isinstance(outcome, Rejected)
    assert outcome.error.startswith(
        "Magento saved the comment on order M-42 but kept its status 'processing' instead of "
        "'complete'"
    )


def test_comment_retry_after_a_lost_answer_is_not_repeated(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    action = CartAction(ActionKind.COMMENT)
    store.fail("comments", Fault(502, after=True))
    assert isinstance(push(conn, record(event="label", label="Gift wrap"), action), RetryLater)
    again = push(conn, record(event="label", label="Gift wrap", attempts=1), action)
    assert again == Delivered("Magento order M-42: comment (already there from an earlier attempt)")
    assert calls(store)[2:] == [("GET", "orders/42")]
    assert len(store.orders[42]["status_histories"]) == 1


# -- failures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rec", "action"),
    [
        (shipped(remote="999"), None),
        (record(event="order_cancel", label="Order Cancelled", remote="999"), None),
        (record(event="label", label="X", remote="999"), CartAction(ActionKind.COMMENT)),
    ],
    ids=["ship", "cancel", "comment"],
)
def test_order_not_found_is_rejected(
    store: FakeMagento2, conn: Magento2Connector, rec: ClaimedRecord, action: CartAction | None
) -> None:
    outcome = push(conn, rec, action)
    assert outcome == Rejected(
        "Order M-42: order not found in the cart (The entity that was requested doesn't exist. "
        "Verify the entity and try again.) (Magento order id 999, cart 'Märkte 東京')"
    )
    assert len(store.seen()) == 1


def test_push_outcomes_for_cart_failures(store: FakeMagento2, conn: Magento2Connector) -> None:
    ship = shipped(tracking=["1Z5"])
    store.fail("ship", Fault(429, retry_after="12"))
    outcome = push(conn, ship)
    assert isinstance(outcome, RetryLater) and outcome.retry_after == 12.0
    assert "HTTP 429" in outcome.error

    store.fail("ship", Fault(502))
    outcome = push(conn, ship)
    assert isinstance(outcome, RetryLater) and outcome.retry_after is None

    store.fail("ship", Fault(hang=True))
    outcome = push(conn, ship)
    assert isinstance(outcome, RetryLater) and "in time" in outcome.error

    store.fail("ship", Fault(200, body="<html>PHP Fatal error</html>"))
    outcome = push(conn, ship)
    assert isinstance(outcome, Rejected) and "not JSON" in outcome.error
    assert store.shipments == {}

    store.fail(
        "ship",
        Fault(
            400,
            body='{"message": "Shipment Document Validation Error(s):\\n%1", '
            '"parameters": ["The order does not allow a shipment to be created."]}',
        ),
    )
    outcome = push(conn, ship)
    assert outcome == Rejected(
        "Magento cart 'Märkte 東京' answered HTTP 400 while shipping order M-42: Shipment "
        "Document Validation Error(s): The order does not allow a shipment to be created."
    )
    assert store.shipments == {}
    outcome = push(
        conn, record(event="r", label="No id", remote=""), CartAction(ActionKind.COMMENT)
    )
    assert outcome == Rejected(
        "Order M-42 has no Magento order id (''), so its status cannot be sent to the cart."
    )


def test_refused_token_on_push_is_permanent_and_secret_free(store: FakeMagento2) -> None:
    wrong = connect(store, token="m2tok_not_the_one_000111222")
    try:
        outcome = push(wrong, shipped())
    finally:
        wrong.close()
    assert isinstance(outcome, Rejected)
    assert "refused the access token (HTTP 401" in outcome.error
    assert "m2tok_not_the_one_000111222" not in outcome.error
    assert_no_secret(store, outcome)
    assert store.shipments == {}


def test_no_secret_in_any_outcome(store: FakeMagento2, conn: Magento2Connector) -> None:
    outcomes: list[Outcome] = []
    store.fail("ship", Fault(500, body=f'{{"message": "token={store.token}"}}'))
    outcomes.append(push(conn, shipped()))
    store.fail("comments", Fault(400, body=f"Authorization: Bearer {store.token}"))
    outcomes.append(push(conn, record(event="l", label="L"), CartAction(ActionKind.COMMENT)))
    outcomes.append(push(conn, shipped(remote="999")))
    assert [type(o) for o in outcomes] == [RetryLater, Rejected, Rejected]
    for outcome in outcomes:
        assert_no_secret(store, outcome)


# -- through the stack's ConnectorSender ----------------------------------------------------


def test_sender_holds_an_unmapped_label_and_sends_a_mapped_one(store: FakeMagento2) -> None:
    opened: list[Magento2Connector] = []

    def opener(cart: CartConfig) -> Magento2Connector:
        opened.append(connect(store))
        return opened[-1]

    sender = ConnectorSender(CART, DeliveryConfig(), opener=opener)
    try:
        held = sender.send(record(event="label_set_by_hand", label="Gift wrap – prüfen"))
        assert held == Rejected(no_mapping_message("Gift wrap – prüfen", CART.name))
        assert store.seen() == [] and opened == []  # nothing reached the cart
        sent = sender.send(record(event="order_cancel", label="Order Cancelled"))
    finally:
        sender.close()
    # Order 42 is fully invoiced: Magento's canCancel() says no.
    assert sent == Rejected(
        "Magento refused to cancel order M-42 (its state is 'processing'; Magento cannot cancel "
        "an order that is fully invoiced, shipped, closed or on hold)."
    )
    assert calls(store) == [("POST", "orders/42/cancel"), ("GET", "orders/42")]


def test_sender_with_the_carts_own_mapping(store: FakeMagento2) -> None:
    mapping = StatusMap(
        own={"Gift wrap": CartAction(ActionKind.SET_STATUS, "payment_review")},
        defaults=Magento2Connector.default_status_map,
    )
    config = DeliveryConfig(status_maps=lambda cart_id, **_: mapping)
    sender = ConnectorSender(CART, config, opener=lambda c: connect(store))
    try:
        outcome = sender.send(record(event="label_set_by_hand", label="Gift wrap"))
    finally:
        sender.close()
    assert outcome == Delivered("Magento order M-42: comment (status payment_review)")
    assert store.seen("POST")[0].body["statusHistory"]["status"] == "payment_review"


def test_ship_mapped_with_a_status_sets_it_afterwards(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    action = CartAction(ActionKind.SHIP, cart_status="payment_review")
    outcome = push(conn, shipped(tracking=["1Z7"], carrier="GLS"), action)
    assert isinstance(outcome, Delivered)
    assert calls(store) == [("POST", "order/42/ship"), ("POST", "orders/42/comments")]
    assert store.seen()[0].body["notify"] is False  # the mapping did not ask to notify
    assert store.seen()[1].body == {
        "statusHistory": {
            "comment": "Status: Order Shipped. Tracking number (GLS): 1Z7",
            "is_customer_notified": 0,
            "is_visible_on_front": 0,
            "status": "payment_review",
        }
    }
    assert store.orders[42]["status"] == "payment_review"


def test_retry_of_a_line_matched_by_sku_is_not_shipped_twice(
    store: FakeMagento2, conn: Magento2Connector
) -> None:
    lines = [{"remote_id": "", "sku": "TASSE-☕", "quantity": 1}]
    store.fail("ship", Fault(hang=True, after=True))
    assert isinstance(push(conn, shipped(lines=lines, complete=False)), RetryLater)
    again = push(conn, shipped(lines=lines, complete=False, attempts=1))
    assert isinstance(again, Delivered) and "already in Magento" in again.detail
    assert calls(store)[2:] == [("GET", "orders/42"), ("GET", "shipments")]
    assert len(store.shipments) == 1
