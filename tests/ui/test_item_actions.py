"""Line-item actions from the main window on a real store: backorder, cancel, return, drop ship
and ship chosen items (from the Order menu and from the detail pane's items table), and Add Item.

The showcase order has three items: 900_001 (2, shipped), 900_002 (1, shipped) and 900_003
(1, not shipped); the order is partially shipped. Default status events are loaded, so each
action gives its label and writes history.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from ordermanager.db.engine import Database
from ordermanager.db.models import (
    LabelChange,
    LineItem,
    Order,
    Shipment,
    ShipmentItem,
    StatusLabel,
)
from ordermanager.settings import set_setting
from ordermanager.status.defaults import load_defaults
from tests.ui.conftest import SHOWCASE_NUMBER
from tests.ui.test_order_actions import label_of, queued, select_rows
from ui.main_window import MainWindow
from ui.orders.item_dialogs import AddItemDialog, ItemActionDialog

OpenWindow = Callable[[], MainWindow]
MUG, BOWL, PLATES = 900_001, 900_002, 900_003


@pytest.fixture
def window(open_writable_window: OpenWindow, writable_store: Database) -> MainWindow:
    with writable_store.transaction() as session:
        set_setting(session, "UseStatusUpdates", True)
        load_defaults(session, force=True)
    return open_writable_window()


def item_labels(database: Database, order_id: int) -> dict[int, str | None]:
    with database.session() as session:
        rows = session.execute(
            select(LineItem.id, StatusLabel.name)
            .outerjoin(StatusLabel, StatusLabel.id == LineItem.status_label_id)
            .where(LineItem.order_id == order_id)
        )
        return {item_id: name for item_id, name in rows}


def last_change(database: Database) -> int:
    with database.session() as session:
        return session.execute(select(func.max(LabelChange.id))).scalar() or 0


def item_history(database: Database, order_id: int, event: str, after: int) -> list[int | None]:
    """The line items of the history rows ``event`` wrote after change ``after`` (None: the
    order's own label)."""
    with database.session() as session:
        return list(
            session.execute(
                select(LabelChange.line_item_id)
                .where(
                    LabelChange.order_id == order_id,
                    LabelChange.event == event,
                    LabelChange.id > after,
                )
                .order_by(LabelChange.line_item_id)
            ).scalars()
        )


def open_item_dialog(qtbot: QtBot, window: MainWindow, action_name: str) -> ItemActionDialog:
    with qtbot.waitSignal(window.order_actions.dialog_did_open) as opened:
        getattr(window.order_actions, action_name).trigger()
    dialog = opened.args[0]
    assert isinstance(dialog, ItemActionDialog)
    return dialog


def click_row(qtbot: QtBot, dialog: ItemActionDialog, row: int) -> None:
    """Click the item's name: a click anywhere on a row toggles its check box."""
    rect = dialog.table.visualItemRect(dialog.table.item(row, 2))
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_backorder__the_checked_item_gets_the_label_history_and_a_record(
    qtbot: QtBot, window: MainWindow, writable_store: Database
) -> None:
    (showcase,) = select_rows(window, 0, 0)
    before = last_change(writable_store)
    dialog = open_item_dialog(qtbot, window, "backorder_action")
    assert SHOWCASE_NUMBER in dialog.windowTitle()
    assert dialog.table.rowCount() == 3
    dialog.ok_button.click()  # nothing checked yet: flagged, stays open
    assert dialog.isVisible()
    assert dialog.items_error.text() == "Check at least one item."
    click_row(qtbot, dialog, 1)
    assert dialog.checked_item_ids() == [BOWL]
    with qtbot.waitSignal(window.order_actions.action_did_finish) as finished:
        dialog.ok_button.click()
    assert (finished.args[0].done, finished.args[0].failed) == (1, [])

    labels = item_labels(writable_store, showcase)
    assert labels[BOWL] == "Backordered"
    assert labels[MUG] == "Order Shipped"  # untouched
    # The order's label was "Backordered" already: only the bowl's label changed.
    assert item_history(writable_store, showcase, "Item Backordered", before) == [BOWL]
    assert label_of(writable_store, showcase) == "Backordered"
    assert queued(writable_store, showcase) == [("item_backordered", "Backordered")]


def test_cancel_items__two_checked_items_are_cancelled_and_the_order_is_not(
    qtbot: QtBot, window: MainWindow, writable_store: Database
) -> None:
    (showcase,) = select_rows(window, 0, 0)
    before = last_change(writable_store)
    dialog = open_item_dialog(qtbot, window, "cancel_items_action")
    dialog.set_checked([BOWL, PLATES])
    with qtbot.waitSignal(window.order_actions.action_did_finish):
        dialog.ok_button.click()
    labels = item_labels(writable_store, showcase)
    assert (labels[BOWL], labels[PLATES]) == ("Item Cancelled", "Item Cancelled")
    assert labels[MUG] != "Item Cancelled"
    assert item_history(writable_store, showcase, "Item Cancel", before) == [BOWL, PLATES]
    with writable_store.session() as session:
        assert session.get_one(Order, showcase).shipping_state == "partially_shipped"


def test_drop_ship__the_checked_item_is_drop_shipped(
    qtbot: QtBot, window: MainWindow, writable_store: Database
) -> None:
    (showcase,) = select_rows(window, 0, 0)
    before = last_change(writable_store)
    dialog = open_item_dialog(qtbot, window, "drop_ship_action")
    dialog.set_checked([PLATES])
    with qtbot.waitSignal(window.order_actions.action_did_finish):
        dialog.ok_button.click()
    assert item_labels(writable_store, showcase)[PLATES] == "Drop Shipped"
    assert item_history(writable_store, showcase, "Drop Ship Ordered", before) == [PLATES]


def test_return__from_the_detail_pane_returns_the_items_selected_there(
    qtbot: QtBot, window: MainWindow, writable_store: Database
) -> None:
    (showcase,) = select_rows(window, 0, 0)
    before = last_change(writable_store)
    pane = window.detail
    qtbot.waitUntil(lambda: pane.shown_order is not None and pane.shown_order.id == showcase)
    table = pane.items_table
    table.selectionModel().select(
        table.model().index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    assert pane.selected_item_ids() == [MUG]
    pane.item_menu_requested.emit(QPoint(10, 10))
    menu = table.findChild(QMenu, "itemMenu")
    assert isinstance(menu, QMenu)
    by_text = {action.text(): action for action in menu.actions()}
    assert list(by_text) == [
        "Ship Selected Item…",
        "Backorder Selected Item…",
        "Cancel Selected Item…",
        "Return Selected Item…",
        "Drop Ship Selected Item…",
    ]
    with qtbot.waitSignal(window.order_actions.dialog_did_open) as opened:
        by_text["Return Selected Item…"].trigger()
    menu.close()
    dialog = opened.args[0]
    assert isinstance(dialog, ItemActionDialog)
    assert dialog.checked_item_ids() == [MUG]  # what was selected in the pane
    # The plates never shipped, so they cannot come back: shown, but not checkable.
    plates_box = dialog.table.item(2, 0)
    assert plates_box is not None
    assert not plates_box.flags() & Qt.ItemFlag.ItemIsEnabled
    assert "Not shipped" in plates_box.toolTip()
    with qtbot.waitSignal(window.order_actions.action_did_finish):
        dialog.ok_button.click()
    labels = item_labels(writable_store, showcase)
    assert labels[MUG] == "Item Returned"
    assert labels[BOWL] == "Order Shipped"
    assert item_history(writable_store, showcase, "Item Returned", before) == [MUG]
    assert queued(writable_store, showcase) == [("item_returned", "Backordered")]


def test_ship_items__only_items_left_to_ship_can_be_checked(
    qtbot: QtBot, window: MainWindow, writable_store: Database
) -> None:
    (showcase,) = select_rows(window, 0, 0)
    before = last_change(writable_store)
    dialog = open_item_dialog(qtbot, window, "ship_items_action")
    enabled = [
        bool(box.flags() & Qt.ItemFlag.ItemIsEnabled)
        for box in (dialog.table.item(row, 0) for row in range(3))
        if box is not None
    ]
    assert enabled == [False, False, True]
    dialog.set_checked([MUG, PLATES])  # the mug shipped already: stays unchecked
    assert dialog.checked_item_ids() == [PLATES]
    assert dialog.tracking is not None
    dialog.tracking.tracking_edit.setPlainText("1ZPLATES0001")
    dialog.ok_button.click()  # a number without its carrier: flagged, stays open
    assert dialog.isVisible()
    assert dialog.tracking.carrier_error.text() == "Which carrier has these tracking numbers?"
    dialog.tracking.carrier_combo.setCurrentText("GLS")
    with qtbot.waitSignal(window.order_actions.action_did_finish):
        dialog.ok_button.click()
    with writable_store.session() as session:
        assert session.get_one(Order, showcase).shipping_state == "shipped"
        shipment = session.execute(
            select(Shipment)
            .join(ShipmentItem, ShipmentItem.shipment_id == Shipment.id)
            .where(ShipmentItem.line_item_id == PLATES)
        ).scalar_one()
        assert shipment.carrier == "GLS"
        assert [t.number for t in shipment.tracking_numbers] == ["1ZPLATES0001"]
        assert [(i.line_item_id, i.quantity) for i in shipment.items] == [(PLATES, 1)]
    assert label_of(writable_store, showcase) == "Order Shipped"
    assert item_labels(writable_store, showcase)[PLATES] == "Item Shipped"
    assert item_history(writable_store, showcase, "Item Shipped", before) == [PLATES]


def test_item_dialog__an_order_without_items_says_so(qtbot: QtBot, window: MainWindow) -> None:
    select_rows(window, 1, 1)  # the generated orders have no line items
    dialog = open_item_dialog(qtbot, window, "backorder_action")
    assert dialog.table.rowCount() == 0
    assert not dialog.ok_button.isEnabled()
    dialog.reject()


def test_add_item__a_bad_price_is_flagged_then_the_item_is_added(
    qtbot: QtBot, window: MainWindow, writable_store: Database
) -> None:
    (order_id,) = select_rows(window, 1, 1)
    before = last_change(writable_store)
    with writable_store.session() as session:
        total_before = session.get_one(Order, order_id).total
    with qtbot.waitSignal(window.order_actions.dialog_did_open) as opened:
        window.order_actions.add_item_action.trigger()
    dialog = opened.args[0]
    assert isinstance(dialog, AddItemDialog)
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert dialog.name_error.text() == "Give the item a name."
    assert "is not an amount" in dialog.price_error.text()
    qtbot.keyClicks(dialog.sku_edit, "TEA-GRN-100")
    dialog.name_edit.setText("Grüner Tee „Sencha“, 100 g")  # keyClicks types Latin-1 only
    qtbot.keyClicks(dialog.price_edit, "12.505")
    dialog.ok_button.click()
    assert dialog.name_error.text() == ""
    assert dialog.price_error.text() == "A price has at most two decimals (cents)."
    dialog.price_edit.setText("12.50")
    dialog.quantity_spin.setValue(3)
    with qtbot.waitSignal(window.order_actions.action_did_finish):
        dialog.ok_button.click()

    with writable_store.session() as session:
        (item,) = session.execute(select(LineItem).where(LineItem.order_id == order_id)).scalars()
        assert (item.sku, item.name, item.quantity, item.unit_price) == (
            "TEA-GRN-100",
            "Grüner Tee „Sencha“, 100 g",
            3,
            Decimal("12.50"),
        )
        assert session.get_one(Order, order_id).total == total_before + Decimal("37.50")
        item_id = item.id
    assert item_labels(writable_store, order_id)[item_id] == "Item Added"
    assert item_history(writable_store, order_id, "Item Add", before) == [item_id]
