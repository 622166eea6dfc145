"""Operator actions from the main window on a real store: ship, tracking, cancel, approve, label.

Each test turns UseStatusUpdates on and loads the default status events first, so an action
gives its label and, with Notify Cart, queues a status update on the stack.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any

import pytest
from PySide6.QtCore import QDate, QItemSelection, QItemSelectionModel, QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QMenu, QMessageBox, QProgressDialog, QPushButton, QToolBar
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ordermanager.db.engine import Database
from ordermanager.db.models import (
    LabelChange,
    Order,
    Shipment,
    StatusLabel,
    StatusUpdate,
    TrackingNumber,
)
from ordermanager.orders import actions as core_actions
from ordermanager.orders.bulk import run_bulk
from ordermanager.orders.query import fetch_orders
from ordermanager.settings import set_setting
from ordermanager.status.defaults import load_defaults
from tests.ui.conftest import SHOWCASE_NUMBER
from ui.main_window import MainWindow
from ui.orders import action_runner
from ui.orders.action_dialogs import SetLabelDialog, ShipDateDialog, ShipDialog
from ui.orders.action_runner import ActionOutcome
from ui.orders.model import OrderIdRole

OpenWindow = Callable[[], MainWindow]
TRACKING = "1Z999AA10000000042"


@pytest.fixture
def window(open_writable_window: OpenWindow, writable_store: Database) -> MainWindow:
    with writable_store.transaction() as session:
        set_setting(session, "UseStatusUpdates", True)
        load_defaults(session, force=True)
    return open_writable_window()


def select_rows(window: MainWindow, first: int, last: int) -> list[int]:
    model = window.model
    selection = QItemSelection(model.index(first, 0), model.index(last, 0))
    flags = (
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    )
    window.table.selectionModel().select(selection, flags)
    window.table.selectionModel().setCurrentIndex(
        model.index(first, 0), QItemSelectionModel.SelectionFlag.NoUpdate
    )
    return [model.index(row, 0).data(OrderIdRole) for row in range(first, last + 1)]


def label_of(database: Database, order_id: int) -> str | None:
    with database.session() as session:
        return session.execute(
            select(StatusLabel.name)
            .join(Order, Order.status_label_id == StatusLabel.id)
            .where(Order.id == order_id)
        ).scalar_one_or_none()


def queued(database: Database, order_id: int) -> list[tuple[str, str | None]]:
    with database.session() as session:
        rows = session.execute(
            select(StatusUpdate.event, StatusUpdate.order_label)
            .where(StatusUpdate.order_id == order_id)
            .order_by(StatusUpdate.id)
        )
        return [(event, label) for event, label in rows]


def history(database: Database, order_id: int) -> list[str]:
    with database.session() as session:
        return list(
            session.execute(
                select(LabelChange.event)
                .where(LabelChange.order_id == order_id)
                .order_by(LabelChange.id)
            ).scalars()
        )


def unshipped_rows(window: MainWindow, database: Database, wanted: int) -> list[int]:
    """Rows near the top whose orders have not shipped (so they can be cancelled)."""
    ids = {window.model.index(row, 0).data(OrderIdRole): row for row in range(1, 60)}
    with database.session() as session:
        found = session.execute(
            select(Order.id).where(Order.id.in_(ids), Order.shipping_state == "unshipped")
        ).scalars()
        rows = sorted(ids[order_id] for order_id in found)
    assert len(rows) >= wanted
    return rows[:wanted]


def test_ship__with_tracking_and_carrier_creates_the_shipment_label_and_stack_record(
    qtbot: QtBot, window: MainWindow, writable_store: Database
) -> None:
    (showcase,) = select_rows(window, 0, 0)
    assert window.model.index(0, 0).data() == SHOWCASE_NUMBER
    with qtbot.waitSignal(window.order_actions.dialog_did_open) as opened:
        window.order_actions.ship_action.trigger()
    dialog = opened.args[0]
    assert isinstance(dialog, ShipDialog)
    assert SHOWCASE_NUMBER in dialog.windowTitle()
    line_edit = dialog.carrier_combo.lineEdit()
    assert line_edit is not None
    qtbot.keyClicks(line_edit, "UPS")
    qtbot.keyClicks(dialog.tracking_edit, TRACKING)
    with qtbot.waitSignal(window.order_actions.action_did_finish) as finished:
        dialog.ok_button.click()
    outcome = finished.args[0]
    assert isinstance(outcome, ActionOutcome)
    assert (outcome.done, outcome.failed) == (1, [])

    with writable_store.session() as session:
        shipment = session.execute(
            select(Shipment)
            .join(TrackingNumber, TrackingNumber.shipment_id == Shipment.id)
            .where(Shipment.order_id == showcase, TrackingNumber.number == TRACKING)
        ).scalar_one()
        assert shipment.carrier == "UPS"
        state = session.get_one(Order, showcase).shipping_state
    assert state == "shipped"
    assert label_of(writable_store, showcase) == "Order Shipped"
    assert ("order_shipped", "Order Shipped") in queued(writable_store, showcase)


def test_enter_tracking__a_bad_number_is_flagged_at_the_field(
    qtbot: QtBot, window: MainWindow, writable_store: Database
) -> None:
    (order_id,) = select_rows(window, 1, 1)
    with qtbot.waitSignal(window.order_actions.dialog_did_open) as opened:
        window.order_actions.tracking_action.trigger()
    dialog = opened.args[0]
    assert isinstance(dialog, ShipDialog)
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert dialog.tracking_error.text() == "Give at least one tracking number."
    qtbot.keyClicks(dialog.tracking_edit, "X" * 101)
    assert not dialog.tracking_error.isVisibleTo(dialog)  # typing clears the flag
    dialog.ok_button.click()
    assert "at most 100 characters" in dialog.tracking_error.text()
    dialog.tracking_edit.setPlainText(TRACKING)
    dialog.ok_button.click()
    assert dialog.carrier_error.text() == "Which carrier has these tracking numbers?"
    dialog.carrier_combo.setCurrentText("DHL")
    with qtbot.waitSignal(window.order_actions.action_did_finish):
        dialog.ok_button.click()
    with writable_store.session() as session:
        numbers = session.execute(
            select(TrackingNumber.number)
            .join(Shipment, Shipment.id == TrackingNumber.shipment_id)
            .where(Shipment.order_id == order_id, Shipment.carrier == "DHL")
        ).scalars()
        assert list(numbers) == [TRACKING]
    assert label_of(writable_store, order_id) == "Tracking Entered"
    assert queued(writable_store, order_id) == [("tracking_number_entered", "Tracking Entered")]


def test_cancel__when_confirmed_cancels_the_order(
    qtbot: QtBot, window: MainWindow, writable_store: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = unshipped_rows(window, writable_store, 1)[0]
    (order_id,) = select_rows(window, row, row)
    asked: list[str] = []

    def yes(_parent: object, _title: str, text: str, *args: object) -> object:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes)
    with qtbot.waitSignal(window.order_actions.action_did_finish):
        window.order_actions.cancel_action.trigger()
    assert len(asked) == 1
    with writable_store.session() as session:
        assert session.get_one(Order, order_id).shipping_state == "cancelled"
    assert label_of(writable_store, order_id) == "Order Cancelled"
    assert queued(writable_store, order_id) == [("order_cancel", "Order Cancelled")]


def test_cancel__when_not_confirmed_changes_nothing(
    window: MainWindow, writable_store: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = unshipped_rows(window, writable_store, 1)[0]
    (order_id,) = select_rows(window, row, row)
    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.No)
    window.order_actions.cancel_action.trigger()
    with writable_store.session() as session:
        assert session.get_one(Order, order_id).shipping_state == "unshipped"
    assert queued(writable_store, order_id) == []


def test_approve__on_three_selected_orders_labels_each(
    qtbot: QtBot, window: MainWindow, writable_store: Database
) -> None:
    ids = select_rows(window, 1, 3)
    assert window.table.selected_order_ids() == ids
    with qtbot.waitSignal(window.order_actions.action_did_finish) as finished:
        window.order_actions.approve_action.trigger()
    assert finished.args[0].done == 3
    assert [label_of(writable_store, order_id) for order_id in ids] == ["Approved"] * 3
    assert "Approve: 3 orders done." in window.statusBar().currentMessage()


def test_shortcut__ctrl_shift_h_holds_the_selected_order(
    qtbot: QtBot, window: MainWindow, writable_store: Database
) -> None:
    window.activateWindow()
    (order_id,) = select_rows(window, 2, 2)
    window.table.setFocus()
    with qtbot.waitSignal(window.order_actions.action_did_finish):
        QTest.keyClick(
            window.table,
            Qt.Key.Key_H,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
    assert label_of(writable_store, order_id) == "On Hold"


def test_ship__failures_are_listed_by_order_number_and_the_rest_is_done(
    qtbot: QtBot, window: MainWindow, writable_store: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the showcase order has line items; the two after it have nothing to ship.
    ids = select_rows(window, 0, 2)
    numbers = [window.model.index(row, 0).data() for row in (1, 2)]
    warned: list[str] = []
    monkeypatch.setattr(
        QMessageBox,
        "warning",
        lambda _parent, _title, text, *args: warned.append(text),
    )
    with qtbot.waitSignal(window.order_actions.dialog_did_open) as opened:
        window.order_actions.ship_action.trigger()
    dialog = opened.args[0]
    assert isinstance(dialog, ShipDialog)
    with qtbot.waitSignal(window.order_actions.action_did_finish) as finished:
        dialog.ok_button.click()
    outcome = finished.args[0]
    assert outcome.done == 1
    assert len(warned) == 1
    for number in numbers:
        assert f"{number}: Order {number} has nothing left to ship." in warned[0]
    assert label_of(writable_store, ids[0]) == "Order Shipped"
    with writable_store.session() as session:
        shipments = session.execute(
            select(func.count()).where(Shipment.order_id.in_(ids[1:]))
        ).scalar()
    assert shipments == 0


def test_set_label__gives_the_chosen_label(
    qtbot: QtBot, window: MainWindow, writable_store: Database
) -> None:
    (order_id,) = select_rows(window, 4, 4)
    with qtbot.waitSignal(window.order_actions.dialog_did_open) as opened:
        window.order_actions.label_action.trigger()
    dialog = opened.args[0]
    assert isinstance(dialog, SetLabelDialog)
    dialog.accept()  # nothing chosen yet: flagged, stays open
    assert dialog.label_error.text() == "Choose the label to set."
    dialog.label_combo.setCurrentIndex(dialog.label_combo.findText("Backordered"))
    with qtbot.waitSignal(window.order_actions.action_did_finish):
        dialog.accept()
    assert label_of(writable_store, order_id) == "Backordered"


def test_actions__are_disabled_without_a_selection(window: MainWindow) -> None:
    window.table.clearSelection()
    assert not window.order_actions.approve_action.isEnabled()
    select_rows(window, 0, 0)
    assert window.order_actions.approve_action.isEnabled()


def test_bulk__cancel_in_the_progress_dialog_keeps_what_is_done_and_stops(
    qtbot: QtBot, window: MainWindow, writable_store: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = select_rows(window, 1, 30)
    gate = threading.Event()
    real_approve = core_actions.approve

    def slow_first(session: Session, order_id: int, **kwargs: Any) -> object:
        if order_id == ids[0]:
            assert gate.wait(10), "the test never let the first order through"
        return real_approve(session, order_id, **kwargs)

    monkeypatch.setattr(core_actions, "approve", slow_first)
    monkeypatch.setattr(action_runner, "run_bulk", partial(run_bulk, chunk_size=1))
    window.order_actions.approve_action.trigger()
    assert not window.order_actions.approve_action.isEnabled()  # one action at a time
    qtbot.waitUntil(lambda: _visible_progress(window) is not None)
    progress = _visible_progress(window)
    assert progress is not None
    with qtbot.waitSignal(window.order_actions.action_did_finish) as finished:
        qtbot.mouseClick(progress.findChild(QPushButton), Qt.MouseButton.LeftButton)
        gate.set()
    outcome = finished.args[0]
    assert outcome.cancelled
    assert outcome.done == 1
    labels = [label_of(writable_store, order_id) for order_id in ids]
    assert labels[0] == "Approved"
    assert labels.count("Approved") == 1
    assert "cancelled before the end" in window.statusBar().currentMessage()
    assert window.order_actions.approve_action.isEnabled()


def _visible_progress(window: MainWindow) -> QProgressDialog | None:
    found = window.findChild(QProgressDialog, "actionProgress")
    return found if isinstance(found, QProgressDialog) and found.isVisible() else None


def test_context_menu__offers_the_actions_for_the_selection(window: MainWindow) -> None:
    select_rows(window, 0, 1)
    window.table.customContextMenuRequested.emit(QPoint(20, 20))
    menu = window.table.findChild(QMenu)
    assert isinstance(menu, QMenu)
    texts = [action.text() for action in menu.actions()]
    assert texts == [
        "&Approve",
        "&Hold",
        "&Release Hold",
        "&Ship…",
        "Enter Ship &Date…",
        "Enter &Tracking…",
        "Set &Label…",
        "&Cancel Order",
        "",  # item-level
        "Shi&p Items…",
        "&Backorder Items…",
        "Ca&ncel Items…",
        "R&eturn Items…",
        "Dr&op Ship Items…",
        "Add I&tem…",
        "",  # money
        "Log &Payment…",
        "Re&fund…",
    ]
    # Two orders: the actions on one order's items or money are off, and say why.
    assert not window.order_actions.backorder_action.isEnabled()
    assert "exactly one order" in window.order_actions.backorder_action.toolTip()
    assert window.order_actions.release_hold_action.isEnabled()
    menu.close()


def test_approve__reaches_selected_rows_whose_page_was_never_loaded(
    qtbot: QtBot, window: MainWindow, writable_store: Database
) -> None:
    first, last = 2_500, 2_510
    assert not window.model.is_row_loaded(first)
    select_rows(window, first, last)
    with writable_store.session() as session:
        wanted = [
            row.id
            for row in fetch_orders(
                session, window.model.order_filter, window.model.order_sort, first, 11
            )
        ]
    with qtbot.waitSignal(window.order_actions.action_did_finish) as finished:
        window.order_actions.approve_action.trigger()
    assert finished.args[0].done == 11
    assert [label_of(writable_store, order_id) for order_id in wanted] == ["Approved"] * 11


def test_enter_ship_date__a_far_date_is_flagged_then_both_orders_get_the_day(
    qtbot: QtBot, window: MainWindow, writable_store: Database
) -> None:
    ids = select_rows(window, 1, 2)
    with qtbot.waitSignal(window.order_actions.dialog_did_open) as opened:
        window.order_actions.ship_date_action.trigger()
    dialog = opened.args[0]
    assert isinstance(dialog, ShipDateDialog)
    assert dialog.day() == date.today()  # the default
    assert "2 orders" in " ".join(label.text() for label in dialog.findChildren(QLabel))
    far = date.today() + timedelta(days=400)
    dialog.date_edit.setDate(QDate(far.year, far.month, far.day))
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert dialog.date_error.text() == "That is more than a year from now; check the year."
    wanted = date.today() + timedelta(days=3)
    dialog.date_edit.setDate(QDate(wanted.year, wanted.month, wanted.day))
    assert not dialog.date_error.isVisibleTo(dialog)
    with qtbot.waitSignal(window.order_actions.action_did_finish) as finished:
        dialog.ok_button.click()
    assert finished.args[0].done == 2
    with writable_store.session() as session:
        days = [session.get_one(Order, order_id).ship_date for order_id in ids]
    assert days == [wanted, wanted]
    assert [label_of(writable_store, order_id) for order_id in ids] == ["Ship Date Set"] * 2
    assert [history(writable_store, order_id) for order_id in ids] == [["Ship Date Entered"]] * 2


def test_release_hold__releases_the_held_orders(
    qtbot: QtBot, window: MainWindow, writable_store: Database
) -> None:
    ids = select_rows(window, 3, 4)
    with qtbot.waitSignal(window.order_actions.action_did_finish):
        window.order_actions.hold_action.trigger()
    assert [label_of(writable_store, order_id) for order_id in ids] == ["On Hold"] * 2
    with qtbot.waitSignal(window.order_actions.action_did_finish) as finished:
        window.order_actions.release_hold_action.trigger()
    assert finished.args[0].done == 2
    assert [label_of(writable_store, order_id) for order_id in ids] == ["Approved"] * 2
    expected = ["Order On Hold", "Order Released From Hold"]
    assert [history(writable_store, order_id) for order_id in ids] == [expected] * 2


def test_order_menu__is_grouped_and_the_toolbar_keeps_the_frequent_actions(
    window: MainWindow,
) -> None:
    toolbar = window.findChild(QToolBar, "orderToolbar")
    assert isinstance(toolbar, QToolBar)
    assert [a.text() for a in toolbar.actions()] == [
        "&Approve",
        "&Hold",
        "&Ship…",
        "Enter &Tracking…",
        "Set &Label…",
    ]
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Order" and a.menu())
    assert isinstance(menu, QMenu)
    texts = [a.text() for a in menu.actions()]
    assert texts.count("") == 2  # order-level | item-level | money
    assert "&Import Tracking…" in texts
    # Every shortcut in the window is used once.
    keys = [
        a.shortcut().toString() for a in window.findChildren(QAction) if not a.shortcut().isEmpty()
    ]
    assert len(keys) == len(set(keys))
    # Ctrl+Shift+S is the Stack Controller Status window's, and no order action's.
    assert window.stack_status_action.shortcut().toString() == "Ctrl+Shift+S"
