"""The records on the stack as a table: Order | Cart | Label | State | Attempts | Next attempt |
Last error. Held records stand out, because they wait for an operator.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ordermanager.stack.records import StackRecordView
from ui.formatting import local_time

_AnyIndex = QModelIndex | QPersistentModelIndex

RecordIdRole = Qt.ItemDataRole.UserRole + 1
HELD_BACKGROUND = QColor("#fde7e4")

COLUMNS = ("Order", "Target", "Event", "Label", "State", "Attempts", "Next attempt", "Last error")


def _label(record: StackRecordView) -> str:
    return record.order_label or "(item labels)"


def _next_attempt(record: StackRecordView, now: datetime) -> str:
    if record.state == "held":
        return "waits for an operator"
    if record.state == "in flight":
        return "sending now"
    if record.next_attempt_at <= now:
        return "due now"
    return local_time(record.next_attempt_at)


class StackRecordsModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._all: list[StackRecordView] = []
        self._records: list[StackRecordView] = []  # the rows shown: all, or only the held ones
        self._held_only = False
        self._now = datetime.now(UTC)

    def set_records(self, records: list[StackRecordView]) -> None:
        self.beginResetModel()
        self._all = list(records)
        self._now = datetime.now(UTC)
        self._choose()
        self.endResetModel()

    def set_held_only(self, on: bool) -> None:
        self.beginResetModel()
        self._held_only = on
        self._choose()
        self.endResetModel()

    def _choose(self) -> None:
        self._records = (
            [r for r in self._all if r.state == "held"] if self._held_only else self._all
        )

    def record(self, row: int) -> StackRecordView:
        return self._records[row]

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        record = self._records[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(record, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == len(COLUMNS) - 1 and record.last_error:
                return record.last_error
            return f"Record {record.id} · idempotency key {record.idempotency_key}"
        if role == Qt.ItemDataRole.BackgroundRole and record.state == "held":
            return QBrush(HELD_BACKGROUND)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 5:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == RecordIdRole:
            return record.id
        return None

    def _text(self, record: StackRecordView, column: int) -> str:
        if column == 0:
            return record.order_number
        if column == 1:
            return record.target
        if column == 2:
            return record.event_name
        if column == 3:
            return _label(record)
        if column == 4:
            return record.state
        if column == 5:
            return str(record.attempts)
        if column == 6:
            return _next_attempt(record, self._now)
        # One line in the table; the whole text is in the tooltip.
        return record.last_error.splitlines()[0] if record.last_error else ""
