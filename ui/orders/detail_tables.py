"""Small read-only tables inside the order detail (items, shipments, payments, label history).

``RecordTableModel`` holds rows of ready-made strings; ``RecordTable`` is a view that grows to
fit its rows, because the detail pane scrolls as a whole and a table scrolling inside a
scrolling pane is awkward to use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
)
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QSizePolicy, QTableView, QWidget

_AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class RecordColumn:
    title: str
    align_right: bool = False
    stretch: bool = False  # takes the width left over (the one long text column)


class RecordTableModel(QAbstractTableModel):
    def __init__(self, columns: Sequence[RecordColumn], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._rows: list[tuple[str, ...]] = []
        self._tips: list[str | None] = []

    @property
    def columns(self) -> list[RecordColumn]:
        return list(self._columns)

    def set_rows(self, rows: Sequence[Sequence[str]], tips: Sequence[str | None] = ()) -> None:
        self.beginResetModel()
        self._rows = [tuple(row) + ("",) * (len(self._columns) - len(row)) for row in rows]
        self._tips = list(tips) + [None] * (len(rows) - len(tips))
        self.endResetModel()

    def text(self) -> str:
        """Every cell, one row a line: what the table says, for copying and for tests."""
        return "\n".join("\t".join(row) for row in self._rows)

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tips[index.row()] or self._rows[index.row()][index.column()] or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(self._columns[index.column()])
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section].title
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(self._columns[section])
        return None

    def flags(self, index: _AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )


def _alignment(column: RecordColumn) -> Qt.AlignmentFlag:
    horizontal = Qt.AlignmentFlag.AlignRight if column.align_right else Qt.AlignmentFlag.AlignLeft
    return horizontal | Qt.AlignmentFlag.AlignVCenter


class RecordTable(QTableView):
    """A table as tall as its rows; columns sized to their contents, one stretching."""

    def __init__(self, columns: Sequence[RecordColumn], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record_model = RecordTableModel(columns, self)
        self.setModel(self.record_model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        rows = self.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        for index, column in enumerate(columns):
            mode = (
                QHeaderView.ResizeMode.Stretch
                if column.stretch
                else QHeaderView.ResizeMode.ResizeToContents
            )
            header.setSectionResizeMode(index, mode)
        self.record_model.modelReset.connect(self.updateGeometry)

    def set_rows(self, rows: Sequence[Sequence[str]], tips: Sequence[str | None] = ()) -> None:
        self.record_model.set_rows(rows, tips)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        rows = self.record_model.rowCount()
        height = self.horizontalHeader().sizeHint().height()
        height += rows * self.verticalHeader().defaultSectionSize()
        height += 2 * self.frameWidth()
        scroll = self.horizontalScrollBar()
        if scroll.isVisible():
            height += scroll.sizeHint().height()
        return QSize(hint.width(), height)

    def minimumSizeHint(self) -> QSize:
        return QSize(120, self.sizeHint().height())
