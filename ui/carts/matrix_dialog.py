"""Help ▸ Shopping Cart Matrix: what Order Manager can do with each kind of cart.

The rows come from the installed connectors' declared capabilities (``ordermanager.carts.matrix``),
the same source as docs/shopping-cart-matrix.md, so the window and the docs cannot disagree.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ordermanager.carts.matrix import COLUMNS, matrix_rows

_CELL_COLOURS = {"yes": "#e3f4e6", "no": "#f6f6f6", "planned": "#fff6dc"}


class ShoppingCartMatrixDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shoppingCartMatrix")
        self.setWindowTitle("Shopping Cart Matrix")
        rows = matrix_rows()
        headers = ["Cart", *(title for _, title in COLUMNS)]
        self.table = QTableWidget(len(rows), len(headers), self)
        self.table.setHorizontalHeaderLabels(headers)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for r, row in enumerate(rows):
            name = QTableWidgetItem(row.title)
            name.setToolTip(f"Cart kind: {row.kind}")
            self.table.setItem(r, 0, name)
            for c, text in enumerate(row.cells(), start=1):
                cell = QTableWidgetItem(text)
                cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                cell.setBackground(QBrush(QColor(_CELL_COLOURS.get(text, "#ffffff"))))
                self.table.setItem(r, c, cell)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        note = QLabel(
            "<b>Separate invoices</b>: the cart has invoices apart from payment (Magento); on the "
            "other carts “invoiced” means paid, so Wait-For-Invoice waits for payment. "
            "Your own store speaks the generic cart protocol (docs/generic-cart-protocol.md).",
            self,
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(900, 330)
