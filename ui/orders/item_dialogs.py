"""The line-item dialogs: choose items of one order (Ship, Backorder, Cancel, Return, Drop Ship
items) and Add Item….

The item actions of the core act on whole line items (no quantities), so the dialog lists the
order's items with a check box each and shows the quantities for reference. Items an action
cannot apply to (nothing left to ship, nothing shipped to return) are shown but cannot be checked,
with the reason in their tooltip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ordermanager.errors import InvalidInputError
from ordermanager.orders.detail import ItemDetail
from ordermanager.orders.payments import parse_amount
from ui.formatting import money
from ui.orders.action_dialogs import TrackingFields, dialog_frame, error_label, show_error

# Why an item cannot take the action, or '' when it can.
Eligibility = Callable[[ItemDetail], str]
SKU_MAX_LENGTH = 100
NAME_MAX_LENGTH = 200
QUANTITY_MAX = 100_000
PRICE_LIMIT = Decimal(1_000_000_000)
_COLUMNS = ("", "SKU", "Item", "Qty", "Shipped", "Status")


def any_item(_item: ItemDetail) -> str:
    return ""


def left_to_ship(item: ItemDetail) -> str:
    return "" if item.shipped_quantity < item.quantity else "Already shipped in full."


def was_shipped(item: ItemDetail) -> str:
    return "" if item.shipped_quantity > 0 else "Not shipped, so it cannot come back."


class ItemActionDialog(QDialog):
    """The items of one order with a check box each; OK needs at least one checked."""

    def __init__(
        self,
        title: str,
        intro: str,
        items: Sequence[ItemDetail],
        currency: str,
        *,
        ok_text: str,
        eligible: Eligibility = any_item,
        checked: Sequence[int] = (),
        with_tracking: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("itemActionDialog")
        self.setWindowTitle(title)
        self._ids = [item.id for item in items]
        self.items_error = error_label(self, "itemsError")

        self.table = QTableWidget(len(items), len(_COLUMNS), self)
        self.table.setObjectName("itemTable")
        self.table.setHorizontalHeaderLabels(list(_COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        for row, item in enumerate(items):
            reason = eligible(item)
            box = QTableWidgetItem()
            flags = Qt.ItemFlag.ItemIsUserCheckable
            if not reason:
                flags |= Qt.ItemFlag.ItemIsEnabled
            box.setFlags(flags)
            wanted = not reason and (item.id in checked or (not checked and len(items) == 1))
            box.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)
            self.table.setItem(row, 0, box)
            texts = (
                item.sku,
                item.name,
                f"{item.quantity:,}",
                f"{item.shipped_quantity:,}",
                item.label or "",
            )
            for column, text in enumerate(texts, start=1):
                cell = QTableWidgetItem(text)
                cell.setFlags(Qt.ItemFlag.ItemIsEnabled if not reason else Qt.ItemFlag.NoItemFlags)
                if column in (3, 4):
                    cell.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                cell.setToolTip(reason or f"{item.name} — {money(item.unit_price, currency)} each")
                self.table.setItem(row, column, cell)
            box.setToolTip(reason or "Include this item")
        header = self.table.horizontalHeader()
        for column in range(len(_COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        rows = min(len(items), 10)
        self.table.setMinimumSize(
            560,
            self.table.horizontalHeader().sizeHint().height()
            + 8
            + (rows * self.table.verticalHeader().defaultSectionSize()),
        )
        # Clicking anywhere on a row toggles it, not only the small box.
        self.table.cellClicked.connect(self._toggle)
        self.table.itemChanged.connect(lambda _item: show_error(self.items_error, ""))

        form = QVBoxLayout()
        form.addWidget(self.table)
        form.addWidget(self.items_error)
        # Ship Items… records the shipment's tracking numbers with it.
        self.tracking = TrackingFields(self, required=False) if with_tracking else None
        if self.tracking is not None:
            tracking_form = QFormLayout()
            self.tracking.add_rows(tracking_form)
            form.addLayout(tracking_form)
        self.ok_button = dialog_frame(self, intro, form, ok_text)

    def _toggle(self, row: int, column: int) -> None:
        box = self.table.item(row, 0)
        if column == 0 or box is None or not box.flags() & Qt.ItemFlag.ItemIsEnabled:
            return
        checked = box.checkState() == Qt.CheckState.Checked
        box.setCheckState(Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked)

    def set_checked(self, item_ids: Sequence[int]) -> None:
        for row, item_id in enumerate(self._ids):
            box = self.table.item(row, 0)
            if box is not None and box.flags() & Qt.ItemFlag.ItemIsEnabled:
                wanted = item_id in item_ids
                box.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)

    def checked_item_ids(self) -> list[int]:
        found: list[int] = []
        for row, item_id in enumerate(self._ids):
            box = self.table.item(row, 0)
            if box is not None and box.checkState() == Qt.CheckState.Checked:
                found.append(item_id)
        return found

    def accept(self) -> None:
        fine = self.tracking is None or self.tracking.validate()
        if not self.checked_item_ids():
            show_error(self.items_error, "Check at least one item.")
            self.table.setFocus()
            return
        if fine:
            super().accept()


class AddItemDialog(QDialog):
    """SKU, name, quantity and unit price of an item to add to one order."""

    def __init__(self, intro: str, currency: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addItemDialog")
        self.setWindowTitle("Add Item")
        self.sku_edit = QLineEdit(self)
        self.sku_edit.setObjectName("sku")
        self.sku_edit.setMaxLength(SKU_MAX_LENGTH)
        self.sku_edit.setPlaceholderText("Optional")
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("itemName")
        self.name_edit.setMaxLength(NAME_MAX_LENGTH)
        self.quantity_spin = QSpinBox(self)
        self.quantity_spin.setObjectName("quantity")
        self.quantity_spin.setRange(1, QUANTITY_MAX)
        self.quantity_spin.setGroupSeparatorShown(True)
        self.price_edit = QLineEdit(self)
        self.price_edit.setObjectName("unitPrice")
        self.price_edit.setPlaceholderText("For example 24.90")
        self.name_error = error_label(self, "nameError")
        self.quantity_error = error_label(self, "quantityError")
        self.price_error = error_label(self, "priceError")
        self.name_edit.textEdited.connect(lambda _t: show_error(self.name_error, ""))
        self.quantity_spin.valueChanged.connect(lambda _v: show_error(self.quantity_error, ""))
        self.price_edit.textEdited.connect(lambda _t: show_error(self.price_error, ""))

        form = QFormLayout()
        form.addRow("&SKU:", self.sku_edit)
        form.addRow("&Name:", self.name_edit)
        form.addRow("", self.name_error)
        form.addRow("&Quantity:", self.quantity_spin)
        form.addRow("", self.quantity_error)
        form.addRow(f"Unit &price ({currency}):", self.price_edit)
        form.addRow("", self.price_error)
        self.ok_button = dialog_frame(self, intro, form, "Add Item")
        self.name_edit.setMinimumWidth(300)

    def sku(self) -> str:
        return self.sku_edit.text().strip()

    def name(self) -> str:
        return self.name_edit.text().strip()

    def quantity(self) -> int:
        return self.quantity_spin.value()

    def unit_price(self) -> Decimal:
        return parse_amount(self.price_edit.text(), allow_zero=True)

    def validate(self) -> bool:
        problems: list[tuple[QWidget, QLabel, str]] = []
        if not self.name():
            problems.append((self.name_edit, self.name_error, "Give the item a name."))
        if self.quantity() < 1:
            problems.append((self.quantity_spin, self.quantity_error, "At least 1."))
        price_problem = ""
        try:
            price = self.unit_price()
        except InvalidInputError as exc:
            price_problem = str(exc)
        else:
            if price >= PRICE_LIMIT:
                price_problem = f"A price is less than {PRICE_LIMIT:,}; check the digits."
            elif price != price.quantize(Decimal("0.01")):
                price_problem = "A price has at most two decimals (cents)."
        if price_problem:
            problems.append((self.price_edit, self.price_error, price_problem))
        shown = {id(label): text for _field, label, text in problems}
        for label in (self.name_error, self.quantity_error, self.price_error):
            show_error(label, shown.get(id(label), ""))
        if problems:
            problems[0][0].setFocus()
        return not problems

    def accept(self) -> None:
        if self.validate():
            super().accept()
