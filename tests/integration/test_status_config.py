"""Label list, event assignments, default sets and system parameters on real databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ordermanager.db.engine import Database
from ordermanager.db.models import LabelChange, StatusLabel
from ordermanager.errors import InvalidInputError, NotFoundError
from ordermanager.orders.detail import load_order_detail
from ordermanager.settings import all_settings, get_setting, set_setting
from ordermanager.status import defaults, labels
from ordermanager.status.events import (
    CATALOGUE,
    Event,
    get_assignment,
    list_assignments,
    set_assignment,
)
from tests import factories
from tests.factories import Item, Spec

# -- labels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ['Shipped "fast"', "L'envoi", "Отправлено", "已发货 📦", "x" * 50],
    ids=["quotes", "apostrophe", "cyrillic", "chinese-emoji", "fifty"],
)
def test_add_label__any_text_up_to_50(any_db: Database, name: str) -> None:
    with any_db.transaction() as session:
        labels.add_label(session, f"  {name} ")
    with any_db.session() as session:
        assert [label.name for label in labels.list_labels(session)] == [name]


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "needs a name"), ("   ", "needs a name"), ("x" * 51, "at most 50 characters")],
)
def test_add_label__refused(sqlite_db: Database, name: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message), sqlite_db.transaction() as session:
        labels.add_label(session, name)


def test_add_label__duplicate_refused(any_db: Database) -> None:
    with any_db.transaction() as session:
        labels.add_label(session, "On Hold")
    with pytest.raises(InvalidInputError, match="already"), any_db.transaction() as session:
        labels.add_label(session, " On Hold")


def test_rename_label__history_reads_the_new_name(any_db: Database) -> None:
    with any_db.transaction() as session:
        order = factories.order(session, Spec(number="1", label="Shippd"))
        order_id = order.id
    with any_db.transaction() as session:
        labels.rename_label(session, "Shippd", "Shipped")
    with any_db.session() as session:
        detail = load_order_detail(session, order_id)
        assert detail.label == "Shipped"
        assert [h.to_label for h in detail.history] == ["Shipped"]


def test_rename_label__to_an_existing_name_refused(any_db: Database) -> None:
    with any_db.transaction() as session:
        labels.add_label(session, "A")
        labels.add_label(session, "B")
    with pytest.raises(InvalidInputError, match="already"), any_db.transaction() as session:
        labels.rename_label(session, "A", "B")


def test_delete_label__in_use_says_where(any_db: Database) -> None:
    with any_db.transaction() as session:
        for number in ("1", "2"):
            factories.order(
                session, Spec(number=number, label="Busy", items=[Item(label="Busy")] * 2)
            )
        set_assignment(session, Event.ORDER_ON_HOLD, order_label="Busy")
    with pytest.raises(InvalidInputError) as raised, any_db.transaction() as session:
        labels.delete_label(session, "Busy")
    assert "used by 2 orders, 4 line items, 1 status event and 2 history rows" in str(raised.value)


def test_delete_label__unused_goes(any_db: Database) -> None:
    with any_db.transaction() as session:
        labels.add_label(session, "Spare")
    with any_db.transaction() as session:
        labels.delete_label(session, "Spare")
    with any_db.session() as session:
        assert session.execute(select(StatusLabel)).first() is None
    with pytest.raises(NotFoundError), any_db.transaction() as session:
        labels.delete_label(session, "Spare")


# -- events -------------------------------------------------------------------------------------


def test_catalogue_has_the_thirty_events() -> None:
    assert len(CATALOGUE) == 30
    assert {info.name for info in CATALOGUE.values()} >= {
        "Order Received", "Order Shipped", "Item Shipped", "Tracking Number Imported",
        "Drop Ship Canceled", "Label Set By Hand", "Order Exported",
    }  # fmt: skip


def test_events_set_and_list(any_db: Database) -> None:
    with any_db.transaction() as session:
        labels.add_label(session, "Shipped")
        set_assignment(session, "Order Shipped", order_label="Shipped", notify_cart=True)
    with any_db.session() as session:
        shipped = get_assignment(session, Event.ORDER_SHIPPED)
        assert (shipped.order_label, shipped.notify_cart, shipped.enabled) == (
            "Shipped",
            True,
            True,
        )
        listed = list_assignments(session)
        assert len(listed) == 30 and listed[0].event.key == Event.ORDER_RECEIVED
    with any_db.transaction() as session:
        cleared = set_assignment(session, "order_shipped", order_label="", enabled=False)
    assert cleared.order_label is None and cleared.notify_cart and not cleared.enabled


def test_events_set__refuses_unknown_event_label_and_scope(sqlite_db: Database) -> None:
    with sqlite_db.transaction() as session:
        labels.add_label(session, "X")
    for call, message in (
        (lambda s: set_assignment(s, "No Such Event", order_label="X"), "no status event"),
        (lambda s: set_assignment(s, Event.ORDER_SHIPPED, order_label="Nope"), "no status label"),
        (lambda s: set_assignment(s, Event.ITEM_SHIPPED, order_label="X"), "does not set"),
    ):
        with (
            pytest.raises((InvalidInputError, NotFoundError), match=message),
            sqlite_db.transaction() as session,
        ):
            call(session)


# -- defaults -----------------------------------------------------------------------------------


def test_load_defaults__fresh_store_then_overwrite_detection(any_db: Database) -> None:
    with any_db.session() as session:
        assert not defaults.would_overwrite(session)
    with any_db.transaction() as session:
        assert defaults.load_defaults(session) == 30
    with any_db.session() as session:
        shipped = get_assignment(session, Event.ORDER_SHIPPED)
        assert shipped.order_label == "Order Shipped" and shipped.notify_cart
        assert get_assignment(session, Event.ITEM_SHIPPED).item_label == "Item Shipped"
        assert not defaults.would_overwrite(session)  # loading twice overwrites nothing
    with any_db.transaction() as session:
        set_assignment(session, Event.ORDER_SHIPPED, notify_cart=False)
    with any_db.session() as session:
        assert defaults.changed_events(session) == ["Order Shipped"]
    with pytest.raises(InvalidInputError, match="Order Shipped"), any_db.transaction() as s:
        defaults.load_defaults(s)
    with any_db.transaction() as session:
        defaults.load_defaults(session, force=True)
    with any_db.session() as session:
        assert get_assignment(session, Event.ORDER_SHIPPED).notify_cart


# -- settings -----------------------------------------------------------------------------------


def test_settings_defaults_and_set(any_db: Database) -> None:
    with any_db.session() as session:
        assert all_settings(session) == {
            "UseStatusUpdates": False,
            "SendUpdatesToOrderStatusSystem": False,
            "StackControllerMode": "local",
            "StoreName": "",
            "StoreEmail": "",
            "OrderStatusSystemUrl": "",
            "OrderStatusSystemAccount": "",
        }
    with any_db.transaction() as session:
        set_setting(session, "usestatusupdates", "YES")
        set_setting(session, "StackControllerMode", "Shared")
    with any_db.session() as session:
        assert get_setting(session, "UseStatusUpdates") is True
        assert get_setting(session, "StackControllerMode") == "shared"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("NoSuchThing", "1", "no setting 'NoSuchThing'"),
        ("UseStatusUpdates", "maybe", "true or false"),
        ("StackControllerMode", "cloud", "local, shared, external"),
    ],
)
def test_settings_refused(sqlite_db: Database, name: str, value: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message), sqlite_db.transaction() as session:
        set_setting(session, name, value)


def test_label_history_rows_keep_ids(sqlite_db: Database) -> None:
    with sqlite_db.transaction() as session:
        factories.order(session, Spec(number="1", label="A"))
        row = session.execute(select(LabelChange)).scalar_one()
        assert row.to_label_id == factories.label(session, "A").id
