"""The Carts dialog (Setup ▸ Carts…) and the carts list it shares with the Store Setup
Wizard's Carts page: every cart with its kind, store URL, download mode, sync interval and last
sync, and Add… / Edit… / Remove, which open the cart form (``ui.carts.cart_form``).

The list is read in the background (``ordermanager.carts.admin.list_carts``); each change is
saved by the form or by Remove at once, and the list is read again afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ordermanager.carts import admin
from ordermanager.db.engine import Database
from ordermanager.errors import OrderManagerError
from ui.carts.cart_form import CartFormDialog
from ui.tasks import TaskManager
from ui.wizard.fields import ERROR_COLOR, ERROR_STYLE, hint_label

TITLE = "Carts"
HEADERS = ["Cart", "Kind", "Store URL", "Download mode", "Sync every", "Last sync"]


def _ask_to_remove(parent: QWidget, cart: admin.CartInfo) -> bool:
    answer = QMessageBox.question(
        parent,
        "Remove Cart",
        f"Remove cart “{cart.name}” and its secrets from this store?\n\n"
        "Only a cart without orders can be removed.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class CartsWidget(QWidget):
    """The carts list with Add… / Edit… / Remove. ``carts_did_load`` after each read,
    ``carts_did_change`` after a cart was added, changed or removed."""

    carts_did_load = Signal()
    carts_did_change = Signal()
    form_did_open = Signal(object)  # the CartFormDialog, for whoever wants to watch it

    def __init__(self, database: Database, tasks: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("cartsWidget")
        self._database = database
        self._tasks = tasks
        self.carts: list[admin.CartInfo] = []
        # Asked before a cart is removed; a test answers for the operator.
        self.confirm_remove: Callable[[QWidget, admin.CartInfo], bool] = _ask_to_remove

        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setObjectName("cartsTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.empty_label = QLabel("This store has no carts yet: Add… connects one.", self)
        self.empty_label.setObjectName("noCarts")
        self.empty_label.hide()
        self.message_label = QLabel(self)
        self.message_label.setObjectName("cartsMessage")
        self.message_label.setWordWrap(True)
        self.message_label.hide()

        self.add_button = QPushButton("&Add…", self)
        self.add_button.setObjectName("addCartButton")
        self.edit_button = QPushButton("&Edit…", self)
        self.edit_button.setObjectName("editCartButton")
        self.remove_button = QPushButton("&Remove", self)
        self.remove_button.setObjectName("removeCartButton")
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button):
            button.setAutoDefault(False)  # Enter belongs to the dialog or wizard, not to these
            buttons.addWidget(button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addLayout(buttons)
        layout.addWidget(self.message_label)

        self.add_button.clicked.connect(lambda: self.open_form(None))
        self.edit_button.clicked.connect(self._edit_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self._edit_selected())
        self._update_buttons()

    # -- the list ----------------------------------------------------------------------------

    def reload(self) -> None:
        database = self._database

        def load() -> list[admin.CartInfo]:
            with database.session() as session:
                return admin.list_carts(session)

        self._tasks.run(load, self.show_carts, self._failed, owner=self)

    def show_carts(self, carts: list[admin.CartInfo]) -> None:
        selected = self.selected()
        self.carts = carts
        self.table.setRowCount(len(carts))
        for row, cart in enumerate(carts):
            kind = cart.title
            name = cart.name if cart.enabled else f"{cart.name} (disabled)"
            keys_missing = cart.connector_installed and not cart.has_secrets and not cart.demo
            cells = (
                name,
                kind,
                cart.base_url or "—",
                admin.DOWNLOAD_MODE_TITLES.get(cart.download_mode, cart.download_mode),
                f"{cart.sync_interval_minutes} min",
                # Words, not only colour: this cart cannot sync from this computer.
                "keys missing: Edit…" if keys_missing else _when(cart.last_sync_at),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if keys_missing and column in (0, len(cells) - 1):
                    # It cannot sync like this; say so where the operator looks first.
                    item.setToolTip(
                        "No secrets for this cart in this computer's keyring: Edit… to enter them."
                    )
                    item.setForeground(QBrush(QColor(ERROR_COLOR)))
                self.table.setItem(row, column, item)
            if selected is not None and cart.id == selected.id:
                self.table.selectRow(row)
        self.table.setVisible(bool(carts))
        self.empty_label.setVisible(not carts)
        self._update_buttons()
        self.carts_did_load.emit()

    def selected(self) -> admin.CartInfo | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.carts):
            return None
        return self.carts[rows[0].row()]

    def select_cart(self, name: str) -> None:
        for row, cart in enumerate(self.carts):
            if cart.name == name:
                self.table.selectRow(row)

    def _update_buttons(self) -> None:
        has = self.selected() is not None
        self.edit_button.setEnabled(has)
        self.remove_button.setEnabled(has)

    # -- changing ----------------------------------------------------------------------------

    def _edit_selected(self) -> None:
        cart = self.selected()
        if cart is not None:
            self.open_form(cart)

    def open_form(self, cart: admin.CartInfo | None) -> CartFormDialog:
        form = CartFormDialog(
            self._database,
            self._tasks,
            cart=cart,
            taken_names=[c.name for c in self.carts],
            parent=self,
        )
        form.cart_did_save.connect(self._form_saved)
        form.finished.connect(form.deleteLater)
        if form.mapping_editor is not None:
            form.mapping_editor.mapping_did_save.connect(
                lambda _label: self.carts_did_change.emit()
            )
        self.form_did_open.emit(form)
        form.open()
        return form

    def _form_saved(self, info: admin.CartInfo) -> None:
        self._say(f"Saved cart “{info.name}”.", error=False)
        self.carts_did_change.emit()
        self.reload()

    def remove_selected(self) -> None:
        cart = self.selected()
        if cart is None or not self.confirm_remove(self, cart):
            return
        database = self._database

        def removed(name: str) -> None:
            self._say(f"Removed cart “{name}” and its secrets.", error=False)
            self.carts_did_change.emit()
            self.reload()

        self._tasks.run(
            lambda: admin.remove_cart(database, cart.id),
            removed,
            self._failed,
            write=True,
            owner=self,
        )

    def _failed(self, error: BaseException) -> None:
        detail = str(error) if isinstance(error, OrderManagerError) else f"unexpected: {error}"
        self._say(detail, error=True)

    def _say(self, text: str, *, error: bool) -> None:
        self.message_label.setText(text)
        self.message_label.setStyleSheet(ERROR_STYLE if error else "color: #1e7b34;")
        self.message_label.show()


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


class CartsDialog(QDialog):
    """Setup ▸ Carts…: the carts list in a window of its own."""

    def __init__(self, database: Database, tasks: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("cartsDialog")
        self.setWindowTitle(TITLE)
        self.carts = CartsWidget(database, tasks, self)
        note = hint_label(
            "The web stores whose orders come into Order Manager. Secrets (API keys, tokens) are "
            "kept in this computer's system keyring, never in the store's database. Edit… a cart "
            "for its Status Mapping: what each status label does in that cart.",
            self,
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.carts, 1)
        layout.addWidget(buttons)
        self.resize(900, 420)
        self.carts.reload()


def open_carts_dialog(parent: QWidget, database: Database, tasks: TaskManager) -> CartsDialog:
    """Open the Carts dialog (non-modal to the event loop, deleted when closed)."""
    dialog = CartsDialog(database, tasks, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
