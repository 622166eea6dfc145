"""Status mapping per cart: defaults by label name, the cart's own rows over them, validation,
and what a ship record carries for a cart that ships named lines (partial shipments)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from ordermanager.carts.status_map import (
    ActionKind,
    CartAction,
    StatusMap,
    StatusMapCache,
    list_mappings,
    load_status_map,
    set_mapping,
)
from ordermanager.db.engine import Database
from ordermanager.db.models import CartStatusMapping, Order, StatusUpdate
from ordermanager.errors import InvalidInputError
from ordermanager.orders import actions
from ordermanager.settings import set_setting
from ordermanager.status.capabilities import can_take_status_updates
from ordermanager.status.defaults import load_defaults
from ordermanager.status.labels import delete_label
from tests import factories
from tests.factories import Item, Spec


def test_defaults_then_own_rows_then_back_to_default(any_db: Database) -> None:
    with any_db.transaction() as session:
        load_defaults(session)
        cart = factories.cart(session, "Wöö", "woocommerce")
        custom = factories.label(session, "Geschenk – verpackt")
        shipped = factories.label(session, "Order Shipped")
        cart_id, custom_id, shipped_id = cart.id, custom.id, shipped.id
    with any_db.session() as session:
        mapping = load_status_map(session, cart_id)
        assert mapping.action_for("order shipped") == CartAction(
            ActionKind.SHIP, notify_customer=True
        )
        assert mapping.action_for("Geschenk – verpackt") is None
        rows = {row.label: row for row in list_mappings(session, cart_id)}
        assert rows["Geschenk – verpackt"].action is None
        assert rows["Order Shipped"].is_default
    with any_db.transaction() as session:
        set_mapping(session, cart_id, custom_id, CartAction(ActionKind.SET_STATUS, "on-hold"))
        set_mapping(session, cart_id, shipped_id, CartAction(ActionKind.SKIP))
    with any_db.session() as session:
        mapping = load_status_map(session, cart_id)
        assert mapping.action_for("Geschenk – verpackt") == CartAction(
            ActionKind.SET_STATUS, "on-hold"
        )
        assert mapping.action_for("Order Shipped") == CartAction(ActionKind.SKIP)
        assert not mapping.is_default("Order Shipped")
    with any_db.transaction() as session:
        set_mapping(session, cart_id, shipped_id, None)
    with any_db.session() as session:
        assert load_status_map(session, cart_id).is_default("Order Shipped")


def test_bad_mappings_are_refused_with_a_reason(any_db: Database) -> None:
    with any_db.transaction() as session:
        cart = factories.cart(session, "Wöö", "woocommerce")
        label_id = factories.label(session, "Odd").id
        with pytest.raises(InvalidInputError, match="Choose the cart status"):
            set_mapping(session, cart.id, label_id, CartAction(ActionKind.SET_STATUS, " "))
        with pytest.raises(InvalidInputError, match="'shipped' is not a woocommerce order status"):
            set_mapping(session, cart.id, label_id, CartAction(ActionKind.SET_STATUS, "shipped"))
        assert session.execute(select(CartStatusMapping)).first() is None


def test_deleting_a_label_removes_its_mappings(any_db: Database) -> None:
    with any_db.transaction() as session:
        cart = factories.cart(session, "Wöö", "woocommerce")
        label_id = factories.label(session, "Temporary").id
        set_mapping(session, cart.id, label_id, CartAction(ActionKind.COMMENT))
    with any_db.transaction() as session:
        delete_label(session, "Temporary")
    with any_db.session() as session:
        assert session.execute(select(CartStatusMapping)).first() is None


def test_cache_reads_again_after_its_time() -> None:
    loads: list[int] = []
    now = [0.0]

    def load(cart_id: int) -> StatusMap:
        loads.append(cart_id)
        return StatusMap()

    cache = StatusMapCache(load, ttl=5.0, clock=lambda: now[0])
    cache.get(1)
    cache.get(1)
    now[0] = 5.5
    cache.get(1)
    cache.get(2)
    assert loads == [1, 1, 2]


def test_capabilities_come_from_the_connectors() -> None:
    assert can_take_status_updates("WooCommerce")
    assert can_take_status_updates("generic")
    assert not can_take_status_updates("manual")
    assert not can_take_status_updates("osCommerce 2")


def test_partial_ship_record_carries_its_lines(any_db: Database) -> None:
    with any_db.transaction() as session:
        load_defaults(session)
        set_setting(session, "UseStatusUpdates", True)
        order = factories.order(
            session,
            Spec(number="5001", items=[Item(sku="Ä-1", quantity=3), Item(sku="B-2")]),
        )
        order_id = order.id
        first = order.items[0]
        first.remote_id = "li-77"
        first_id = first.id
    with any_db.transaction() as session:
        actions.ship(session, order_id, [first_id], tracking=["JD1"], carrier="DHL")
    with any_db.transaction() as session:
        second = session.get_one(Order, order_id).items[1].id
        actions.ship(session, order_id, [second], tracking=["JD2"], carrier="DHL")
    with any_db.session() as session:
        records = list(session.execute(select(StatusUpdate).order_by(StatusUpdate.id)).scalars())
        partial, complete = (json.loads(r.payload) for r in records)
    assert partial["event"] == "order_partially_shipped"
    assert partial["shipment_lines"] == [{"remote_id": "li-77", "sku": "Ä-1", "quantity": 3}]
    assert partial["shipment_complete"] is False
    assert complete["event"] == "order_shipped" and complete["shipment_complete"] is True
    assert [line["sku"] for line in complete["shipment_lines"]] == ["B-2"]
