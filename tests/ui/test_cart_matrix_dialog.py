"""Help ▸ Shopping Cart Matrix shows the same rows as docs/shopping-cart-matrix.md."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from ordermanager.carts.matrix import COLUMNS, matrix_rows
from ui.carts.matrix_dialog import ShoppingCartMatrixDialog
from ui.main_window import MainWindow


def test_help_menu_opens_the_matrix_with_every_cart_kind(
    qtbot: QtBot, open_window: Callable[[], MainWindow]
) -> None:
    window = open_window()
    window.cart_matrix_action.trigger()
    qtbot.waitUntil(
        lambda: any(isinstance(w, ShoppingCartMatrixDialog) for w in QApplication.topLevelWidgets())
    )
    dialog = next(
        w for w in QApplication.topLevelWidgets() if isinstance(w, ShoppingCartMatrixDialog)
    )
    rows = matrix_rows()
    table = dialog.table
    assert table.rowCount() == len(rows) and table.columnCount() == len(COLUMNS) + 1
    shown = {
        table.item(r, 0).text(): [table.item(r, c).text() for c in range(1, table.columnCount())]
        for r in range(table.rowCount())
    }
    assert shown == {row.title: row.cells() for row in rows}
    # Every connector downloads orders.
    assert all(cells[0] == "yes" for cells in shown.values())
    assert {"WooCommerce", "Shopify", "Magento 2", "BigCommerce", "Vendure"} <= set(shown)
    dialog.close()
