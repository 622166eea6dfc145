"""The Status Events table: one row per built-in event with its labels, Notify Cart and Enabled.

The model holds plain ``Assignment`` rows from the core. An edit does not write anything itself:
it asks (``change_requested``) and the editor writes it in the background, with Undo, and then
hands the model the stored rows again. Events whose status update another event can swallow
(``ordermanager.status.conflicts``) are marked with a warning icon and a tooltip.
"""

from __future__ import annotations

from collections import defaultdict
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyle

from ordermanager.status.conflicts import SuppressedUpdate, suppressed_updates
from ordermanager.status.events import Assignment

NONE_TEXT = "(none)"
NOT_USED_TEXT = "—"

EventKeyRole = Qt.ItemDataRole.UserRole + 1
LabelChoicesRole = Qt.ItemDataRole.UserRole + 2

_AnyIndex = QModelIndex | QPersistentModelIndex
WARNING_COLOR = QColor("#9a5b00")


class Column(IntEnum):
    EVENT = 0
    ITEM_STATUS = 1
    ORDER_STATUS = 2
    NOTIFY_CART = 3
    ENABLED = 4


HEADERS = {
    Column.EVENT: "Event",
    Column.ITEM_STATUS: "Item Status",
    Column.ORDER_STATUS: "Order Status",
    Column.NOTIFY_CART: "Notify Cart",
    Column.ENABLED: "Enabled",
}

# The core's keyword for each editable column (set_assignment's argument names).
FIELDS = {
    Column.ITEM_STATUS: "item_label",
    Column.ORDER_STATUS: "order_label",
    Column.NOTIFY_CART: "notify_cart",
    Column.ENABLED: "enabled",
}

FieldValue = str | bool | None


def field_value(row: Assignment, column: Column) -> FieldValue:
    values: dict[Column, FieldValue] = {
        Column.ITEM_STATUS: row.item_label,
        Column.ORDER_STATUS: row.order_label,
        Column.NOTIFY_CART: row.notify_cart,
        Column.ENABLED: row.enabled,
    }
    return values[column]


class StatusEventsModel(QAbstractTableModel):
    # An edit the operator made: event key, set_assignment keyword, new value.
    change_requested = Signal(str, str, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Assignment] = []
        self._labels: list[str] = []
        # event name -> the warnings about updates of that event that can be swallowed
        self._suppressed: dict[str, list[SuppressedUpdate]] = {}

    # -- contents ----------------------------------------------------------------------------

    @property
    def labels(self) -> list[str]:
        return list(self._labels)

    def assignment(self, row: int) -> Assignment:
        return self._rows[row]

    def row_of(self, event_key: str) -> int | None:
        for row, assignment in enumerate(self._rows):
            if assignment.event.key.value == event_key:
                return row
        return None

    def suppressions(self) -> list[SuppressedUpdate]:
        """Events with Notify Cart whose update another event can swallow (the core's rule)."""
        return suppressed_updates(self._rows)

    def set_assignments(self, rows: list[Assignment], labels: list[str]) -> None:
        """Show the stored rows; the same events in the same order repaint instead of a reset,
        so an open editor and the current cell survive the refresh after each edit."""
        self._labels = list(labels)
        same = [r.event.key for r in rows] == [r.event.key for r in self._rows]
        if same and rows:
            self._rows = list(rows)
            self._find_suppressed()
            last = self.index(len(rows) - 1, len(Column) - 1)
            self.dataChanged.emit(self.index(0, 0), last)
            return
        self.beginResetModel()
        self._rows = list(rows)
        self._find_suppressed()
        self.endResetModel()

    def _find_suppressed(self) -> None:
        found: dict[str, list[SuppressedUpdate]] = defaultdict(list)
        for warning in suppressed_updates(self._rows):
            found[warning.event].append(warning)
        self._suppressed = dict(found)

    # -- QAbstractTableModel -----------------------------------------------------------------

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        return None

    def flags(self, index: _AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        column = Column(index.column())
        if column in (Column.NOTIFY_CART, Column.ENABLED):
            return flags | Qt.ItemFlag.ItemIsUserCheckable
        if self._applies(self._rows[index.row()], column):
            return flags | Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = Column(index.column())
        if role == EventKeyRole:
            return row.event.key.value
        if column == Column.EVENT:
            return self._event_data(row, role)
        if column in (Column.NOTIFY_CART, Column.ENABLED):
            if role == Qt.ItemDataRole.CheckStateRole:
                checked = bool(field_value(row, column))
                return Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
            return None
        return self._label_data(row, column, role)

    def _event_data(self, row: Assignment, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return row.event.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._suppression_tip(row)
        if role == Qt.ItemDataRole.DecorationRole and row.event.name in self._suppressed:
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Qt.ItemDataRole.ForegroundRole and not row.enabled:
            return QGuiApplication.palette().color(
                QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
            )
        return None

    def _label_data(self, row: Assignment, column: Column, role: int) -> Any:
        applies = self._applies(row, column)
        label = field_value(row, column)
        if role == Qt.ItemDataRole.DisplayRole:
            if not applies:
                return NOT_USED_TEXT
            return label or ""
        if role == Qt.ItemDataRole.EditRole:
            return label or ""
        if role == LabelChoicesRole:
            return self.labels
        if role == Qt.ItemDataRole.ToolTipRole:
            if not applies:
                what = "an item" if column == Column.ITEM_STATUS else "an order"
                return f"{row.event.name} does not set {what} status."
            return self._suppression_tip(row)
        if role == Qt.ItemDataRole.ForegroundRole:
            if not applies or not row.enabled:
                return QGuiApplication.palette().color(
                    QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text
                )
            if row.event.name in self._suppressed:
                return WARNING_COLOR
        return None

    def _suppression_tip(self, row: Assignment) -> str | None:
        warnings = self._suppressed.get(row.event.name)
        return "\n".join(w.message for w in warnings) if warnings else None

    def setData(self, index: _AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or not self.flags(index) & (
            Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable
        ):
            return False
        row = self._rows[index.row()]
        column = Column(index.column())
        new: FieldValue
        if column in (Column.NOTIFY_CART, Column.ENABLED):
            if role != Qt.ItemDataRole.CheckStateRole:
                return False
            new = Qt.CheckState(value) == Qt.CheckState.Checked
        else:
            if role != Qt.ItemDataRole.EditRole:
                return False
            text = str(value or "").strip()
            new = None if text in ("", NONE_TEXT) else text
        if new == field_value(row, column):
            return False
        # The stored row comes back after the write; until then the view shows the old value.
        self.change_requested.emit(row.event.key.value, FIELDS[column], new)
        return True

    @staticmethod
    def _applies(row: Assignment, column: Column) -> bool:
        if column == Column.ITEM_STATUS:
            return row.event.takes_item_label
        if column == Column.ORDER_STATUS:
            return row.event.takes_order_label
        return True
