"""The Status Events editor on a real store: drop-downs, check boxes, Undo, defaults, warnings."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from ordermanager.db.engine import Database
from ordermanager.status.defaults import load_defaults
from ordermanager.status.events import CATALOGUE, Assignment, Event, get_assignment, set_assignment
from ui.main_window import MainWindow
from ui.status_events import editor as editor_module
from ui.status_events.editor import StatusEventsDialog, StatusEventsEditor
from ui.status_events.labels_dialog import LabelsDialog
from ui.status_events.model import NONE_TEXT, Column, StatusEventsModel
from ui.tasks import TaskManager


def stored(database: Database, event: Event) -> Assignment:
    with database.session() as session:
        return get_assignment(session, event)


@pytest.fixture
def editor(
    qtbot: QtBot, writable_store: Database, tasks: TaskManager
) -> Iterator[StatusEventsEditor]:
    with writable_store.transaction() as session:
        load_defaults(session, force=True)
    dialog = StatusEventsDialog(writable_store, tasks)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.editor.assignments_did_load):
        dialog.show()
    yield dialog.editor
    dialog.close()


def cell(editor: StatusEventsEditor, event: Event, column: Column) -> QModelIndex:
    row = editor.model.row_of(event.value)
    assert row is not None
    return editor.model.index(row, column)


def choose_in_combo(
    qtbot: QtBot, editor: StatusEventsEditor, index: QModelIndex, text: str
) -> None:
    """Open the cell's drop-down as the operator would and pick ``text``."""
    view = editor.view
    view.setCurrentIndex(index)
    view.edit(index)
    combo = view.indexWidget(index) or view.findChild(QComboBox, "labelCombo")
    assert isinstance(combo, QComboBox)
    found = combo.findText(text)
    assert found >= 0, f"{text!r} is not offered"
    combo.setCurrentIndex(found)
    combo.activated.emit(found)


def test_model__passes_the_model_tester(
    qtmodeltester: ModelTester, editor: StatusEventsEditor
) -> None:
    qtmodeltester.check(editor.model)


def test_model__empty_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    qtmodeltester.check(StatusEventsModel())


def test_combo__changes_the_stored_order_label(
    qtbot: QtBot, editor: StatusEventsEditor, writable_store: Database
) -> None:
    index = cell(editor, Event.ORDER_APPROVED, Column.ORDER_STATUS)
    assert index.data() == "Approved"
    with qtbot.waitSignal(editor.assignment_did_change):
        choose_in_combo(qtbot, editor, index, "Payment Received")
    assert stored(writable_store, Event.ORDER_APPROVED).order_label == "Payment Received"
    assert index.data() == "Payment Received"


def test_combo__none_clears_the_label(
    qtbot: QtBot, editor: StatusEventsEditor, writable_store: Database
) -> None:
    index = cell(editor, Event.ITEM_SHIPPED, Column.ITEM_STATUS)
    with qtbot.waitSignal(editor.assignment_did_change):
        choose_in_combo(qtbot, editor, index, NONE_TEXT)
    assert stored(writable_store, Event.ITEM_SHIPPED).item_label is None


def test_label_cell__of_an_item_only_event_cannot_take_an_order_label(
    editor: StatusEventsEditor,
) -> None:
    index = cell(editor, Event.ITEM_SHIPPED, Column.ORDER_STATUS)
    assert not index.flags() & Qt.ItemFlag.ItemIsEditable
    assert index.data() == "—"


def test_notify_cart__toggles_and_ctrl_z_undoes_it(
    qtbot: QtBot, editor: StatusEventsEditor, writable_store: Database
) -> None:
    index = cell(editor, Event.ORDER_APPROVED, Column.NOTIFY_CART)
    assert not stored(writable_store, Event.ORDER_APPROVED).notify_cart
    with qtbot.waitSignal(editor.assignment_did_change):
        editor.model.setData(index, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert stored(writable_store, Event.ORDER_APPROVED).notify_cart
    assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert editor.undo_button.isEnabled()

    window = editor.window()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    editor.view.setFocus()
    with qtbot.waitSignal(editor.assignment_did_change):
        QTest.keyClick(editor.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not stored(writable_store, Event.ORDER_APPROVED).notify_cart
    assert not editor.undo_button.isEnabled()


def test_undo__restores_the_previous_labels_one_change_at_a_time(
    qtbot: QtBot, editor: StatusEventsEditor, writable_store: Database
) -> None:
    index = cell(editor, Event.ORDER_ON_HOLD, Column.ORDER_STATUS)
    for label in ("Backordered", "Cancelled"):
        with qtbot.waitSignal(editor.assignment_did_change):
            choose_in_combo(qtbot, editor, index, label)
    assert stored(writable_store, Event.ORDER_ON_HOLD).order_label == "Cancelled"
    with qtbot.waitSignal(editor.assignment_did_change):
        editor.undo_button.click()
    assert stored(writable_store, Event.ORDER_ON_HOLD).order_label == "Backordered"
    with qtbot.waitSignal(editor.assignment_did_change):
        editor.undo_button.click()
    assert stored(writable_store, Event.ORDER_ON_HOLD).order_label == "On Hold"


def test_enabled__unchecking_disables_the_event(
    qtbot: QtBot, editor: StatusEventsEditor, writable_store: Database
) -> None:
    index = cell(editor, Event.ORDER_SHIPPED, Column.ENABLED)
    with qtbot.waitSignal(editor.assignment_did_change):
        editor.model.setData(index, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert not stored(writable_store, Event.ORDER_SHIPPED).enabled


SWALLOWED = "Order Shipped sends no update to the cart when Order Completed ran first"


@pytest.fixture
def bare_editor(
    qtbot: QtBot, writable_store: Database, tasks: TaskManager
) -> Iterator[StatusEventsEditor]:
    """The editor on a store whose events were never set: no labels, nothing notifies."""
    dialog = StatusEventsDialog(writable_store, tasks)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.editor.assignments_did_load):
        dialog.show()
    yield dialog.editor
    dialog.close()


def test_warning__shows_when_another_event_swallows_a_notifying_events_update(
    qtbot: QtBot, bare_editor: StatusEventsEditor
) -> None:
    editor = bare_editor
    assert not editor.warning_label.isVisibleTo(editor)
    for event in (Event.ORDER_SHIPPED, Event.ORDER_COMPLETED):
        with qtbot.waitSignal(editor.assignment_did_change):
            index = cell(editor, event, Column.ORDER_STATUS)
            choose_in_combo(qtbot, editor, index, "Order Shipped")
    assert not editor.warning_label.isVisibleTo(editor)  # nothing notifies the cart yet

    notify = cell(editor, Event.ORDER_SHIPPED, Column.NOTIFY_CART)
    with qtbot.waitSignal(editor.assignment_did_change):
        editor.model.setData(notify, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert editor.warning_label.isVisibleTo(editor)
    assert SWALLOWED in editor.warning_label.text()
    event_cell = cell(editor, Event.ORDER_SHIPPED, Column.EVENT)
    assert SWALLOWED in event_cell.data(Qt.ItemDataRole.ToolTipRole)
    assert event_cell.data(Qt.ItemDataRole.DecorationRole) is not None

    with qtbot.waitSignal(editor.assignment_did_change):
        editor.model.setData(notify, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert editor.model.suppressions() == []
    assert not editor.warning_label.isVisibleTo(editor)
    assert event_cell.data(Qt.ItemDataRole.DecorationRole) is None


def test_load_defaults__asks_first_when_it_would_overwrite_changes(
    qtbot: QtBot,
    editor: StatusEventsEditor,
    writable_store: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with writable_store.transaction() as session:
        set_assignment(session, Event.ORDER_APPROVED, order_label="Cancelled")
    asked: list[str] = []
    answer = QMessageBox.StandardButton.No

    def question(_parent: object, _title: str, text: str, *args: object) -> object:
        asked.append(text)
        return answer

    monkeypatch.setattr(editor_module.QMessageBox, "question", question)
    with qtbot.waitSignal(editor.assignments_did_load):
        editor.reload()
    editor.defaults_button.click()
    qtbot.waitUntil(lambda: len(asked) == 1)
    assert "Order Approved" in asked[0]
    assert stored(writable_store, Event.ORDER_APPROVED).order_label == "Cancelled"

    answer = QMessageBox.StandardButton.Yes
    with qtbot.waitSignal(editor.defaults_did_load):
        editor.defaults_button.click()
    assert len(asked) == 2
    assert stored(writable_store, Event.ORDER_APPROVED).order_label == "Approved"
    assert cell(editor, Event.ORDER_APPROVED, Column.ORDER_STATUS).data() == "Approved"


def test_load_defaults__does_not_ask_when_nothing_would_be_lost(
    qtbot: QtBot, editor: StatusEventsEditor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        editor_module.QMessageBox, "question", lambda *args: pytest.fail("asked needlessly")
    )
    with qtbot.waitSignal(editor.defaults_did_load):
        editor.defaults_button.click()


def test_enter_statuses__opens_the_label_list(qtbot: QtBot, editor: StatusEventsEditor) -> None:
    editor.labels_button.click()
    dialog = editor.findChild(LabelsDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: "Order Shipped" in dialog.label_names())
    dialog.close()


def test_setup_menu__opens_status_events_and_status_labels(
    qtbot: QtBot, open_writable_window: Callable[[], MainWindow]
) -> None:
    window = open_writable_window()
    menus = [action.text() for action in window.menuBar().actions()]
    assert "&Setup" in menus
    window.status_events_action.trigger()
    events = window.findChild(StatusEventsDialog)
    assert isinstance(events, StatusEventsDialog)
    qtbot.waitUntil(lambda: events.editor.model.rowCount() == len(CATALOGUE))
    events.close()

    window.status_labels_action.trigger()
    labels = window.findChild(LabelsDialog)
    assert isinstance(labels, LabelsDialog)
    qtbot.waitUntil(lambda: "Backordered" in labels.label_names())
    labels.close()


def test_undo_button__names_the_change_it_undoes(qtbot: QtBot, editor: StatusEventsEditor) -> None:
    index = cell(editor, Event.ORDER_APPROVED, Column.ENABLED)
    with qtbot.waitSignal(editor.assignment_did_change):
        editor.model.setData(index, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert editor.undo_button.toolTip() == "Undo Order Approved: Enabled (Ctrl+Z)"


def test_space__toggles_notify_cart_from_the_keyboard(
    qtbot: QtBot, editor: StatusEventsEditor, writable_store: Database
) -> None:
    index = cell(editor, Event.PAYMENT_RECEIVED, Column.NOTIFY_CART)
    editor.view.setFocus()
    editor.view.setCurrentIndex(index)
    with qtbot.waitSignal(editor.assignment_did_change):
        QTest.keyClick(editor.view.viewport(), Qt.Key.Key_Space)
    assert stored(writable_store, Event.PAYMENT_RECEIVED).notify_cart


def test_enter__in_the_table_does_not_close_the_window(
    qtbot: QtBot, editor: StatusEventsEditor
) -> None:
    dialog = editor.window()
    editor.view.setFocus()
    editor.view.setCurrentIndex(cell(editor, Event.ORDER_SHIPPED, Column.EVENT))
    QTest.keyClick(editor.view, Qt.Key.Key_Return)
    assert dialog.isVisible()
