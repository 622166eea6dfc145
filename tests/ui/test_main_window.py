"""The main window on a real store: rows, search, detail, shortcuts, remembered layout."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from ordermanager.orders.query import SortColumn
from tests.ui.conftest import (
    SHOWCASE_CUSTOMER,
    SHOWCASE_NUMBER,
    SHOWCASE_TRACKING,
    STORE_ORDERS,
)
from ui import main_window as main_window_module
from ui.main_window import MainWindow
from ui.orders.detail import EMPTY_TEXT
from ui.orders.detail_tables import RecordTable
from ui.orders.model import OrderIdRole
from ui.orders.state import column_index

OpenWindow = Callable[[], MainWindow]


def detail_text(window: MainWindow) -> str:
    """Everything the detail pane says, from its labels and its tables."""
    labels = [label.text() for label in window.detail.findChildren(QLabel) if label.isVisible()]
    tables = [table.record_model.text() for table in window.detail.findChildren(RecordTable)]
    return "\n".join(labels + tables)


def activate(qtbot: QtBot, window: MainWindow) -> None:
    window.activateWindow()
    window.raise_()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def test_window__shows_rows_and_the_order_count(open_window: OpenWindow) -> None:
    window = open_window()
    model = window.model
    assert model.rowCount() == STORE_ORDERS + 1
    assert model.index(0, 0).data() == SHOWCASE_NUMBER  # newest first
    assert window.count_label.text() == f"{STORE_ORDERS + 1:,} orders"
    assert "store.sqlite3" in window.database_label.text()


def test_ctrl_f__focuses_the_search_field(qtbot: QtBot, open_window: OpenWindow) -> None:
    window = open_window()
    activate(qtbot, window)
    window.table.setFocus()
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.filter_bar.search_edit.hasFocus())


def test_typing_a_search__narrows_the_list_and_esc_clears_it(
    qtbot: QtBot, open_window: OpenWindow
) -> None:
    window = open_window()
    activate(qtbot, window)
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    search = window.filter_bar.search_edit
    qtbot.waitUntil(search.hasFocus)
    QTest.keyClicks(search, "quellm")
    qtbot.waitUntil(lambda: window.model.rowCount() == 1)
    assert window.model.index(0, 2).data() == SHOWCASE_CUSTOMER
    assert window.count_label.text() == f"1 of {STORE_ORDERS + 1:,} orders match"
    QTest.keyClick(search, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.model.rowCount() == STORE_ORDERS + 1)
    assert search.text() == ""


def test_label_and_cart_choices__filter_the_list(qtbot: QtBot, open_window: OpenWindow) -> None:
    window = open_window()
    bar = window.filter_bar
    qtbot.waitUntil(lambda: bar.label_combo.count() > 1 and bar.cart_combo.count() > 1)
    with qtbot.waitSignal(window.model.counts_changed):
        bar.label_combo.setCurrentIndex(bar.label_combo.findText("Backordered"))
    backordered = window.model.rowCount()
    assert 0 < backordered < STORE_ORDERS
    with qtbot.waitSignal(window.model.counts_changed):
        bar.cart_combo.setCurrentIndex(bar.cart_combo.findText("Juniper & Co"))
    assert 0 < window.model.rowCount() < backordered
    assert bar.clear_button.isEnabled()
    with qtbot.waitSignal(window.model.counts_changed):
        bar.clear_button.click()
    assert window.model.rowCount() == STORE_ORDERS + 1


def test_selecting_an_order__shows_its_detail(qtbot: QtBot, open_window: OpenWindow) -> None:
    window = open_window()
    assert window.detail.message == EMPTY_TEXT
    showcase_id = window.model.index(0, 0).data(OrderIdRole)
    with qtbot.waitSignal(window.detail.detail_did_load) as signal:
        window.table.selectRow(0)
    assert signal.args == [showcase_id]
    text = detail_text(window)
    assert SHOWCASE_CUSTOMER in text
    for tracking in SHOWCASE_TRACKING:
        assert tracking in text
    assert f"Order {SHOWCASE_NUMBER}" in text
    assert "Stoneware mug, grey" in text
    assert "Order Received → Payment Received" in text
    assert "€218.00" in text


def test_selection__follows_the_keyboard_to_another_order(
    qtbot: QtBot, open_window: OpenWindow
) -> None:
    window = open_window()
    with qtbot.waitSignal(window.detail.detail_did_load):
        window.table.selectRow(0)
    window.table.setFocus()
    second = window.model.index(1, 0).data(OrderIdRole)
    with qtbot.waitSignal(window.detail.detail_did_load) as signal:
        QTest.keyClick(window.table, Qt.Key.Key_Down)
    assert signal.args == [second]


def test_window_state__is_restored_on_the_next_run(qtbot: QtBot, open_window: OpenWindow) -> None:
    window = open_window()
    window.setGeometry(QRect(40, 60, 711, 577))  # inside the 800x800 offscreen screen
    window.splitter.setSizes([350, 150])
    window.table.horizontalHeader().resizeSection(column_index(SortColumn.CUSTOMER), 321)
    with qtbot.waitSignal(window.model.modelReset):
        window.table.horizontalHeader().setSortIndicator(
            column_index(SortColumn.TOTAL), Qt.SortOrder.AscendingOrder
        )
    geometry = window.geometry()
    splitter = window.splitter.sizes()
    window.close()

    again = open_window()
    assert again.geometry() == geometry
    assert again.splitter.sizes() == splitter
    assert again.table.columnWidth(column_index(SortColumn.CUSTOMER)) == 321
    assert again.model.order_sort.column is SortColumn.TOTAL
    assert not again.model.order_sort.descending


def test_f5__reloads_the_list(qtbot: QtBot, open_window: OpenWindow) -> None:
    window = open_window()
    activate(qtbot, window)
    before = window.model.generation
    with qtbot.waitSignal(window.model.counts_changed):
        QTest.keyClick(window, Qt.Key.Key_F5)
    assert window.model.generation == before + 1
    assert window.model.rowCount() == STORE_ORDERS + 1


def test_database_menu__says_which_database_and_how_to_change_it(
    open_window: OpenWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window()
    shown: list[str] = []
    monkeypatch.setattr(
        main_window_module.QMessageBox,
        "information",
        lambda _parent, _title, text, *args: shown.append(text),
    )
    window.open_database_action.trigger()
    assert len(shown) == 1
    assert window.database.location.display() in shown[0]
    assert "--database-url" in shown[0]
