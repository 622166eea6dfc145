"""The order list's view: a QTableView set up for a long, lazily loaded list.

Rows all have one height (so the view never asks the model for every row to lay out), the
header shows and changes the sort, and the current row is reported as an order id. When the
current row's page has not arrived yet (the operator pressed End on a million orders), the id is
reported as soon as it has.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ordermanager.orders.query import OrderSort
from ui.orders.model import OrderIdRole, OrderListModel
from ui.orders.state import COLUMNS, column_index


class OrderTableView(QTableView):
    # The order whose detail should show: its id, or None when no order is current.
    current_order_changed = Signal(object)

    def __init__(self, model: OrderListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._current_id: int | None = None
        self._wanted_id: int | None = None  # to select again after the list is replaced
        self.setModel(model)
        self.setObjectName("orderTable")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)

        rows = self.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)

        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        header.setMinimumSectionSize(40)
        for index, column in enumerate(COLUMNS):
            header.resizeSection(index, column.width)
        self.show_sort(model.order_sort)
        # Enabling sorting asks the model to sort by the indicator, which now matches it.
        self.setSortingEnabled(True)

        selection = self.selectionModel()
        selection.currentRowChanged.connect(self._current_row_changed)
        model.dataChanged.connect(self._rows_did_load)
        model.modelAboutToBeReset.connect(self._list_will_reset)
        model.modelReset.connect(self._list_did_reset)

    def order_model(self) -> OrderListModel:
        model = self.model()
        assert isinstance(model, OrderListModel)
        return model

    @property
    def current_order_id(self) -> int | None:
        return self._current_id

    def show_sort(self, sort: OrderSort) -> None:
        order = Qt.SortOrder.DescendingOrder if sort.descending else Qt.SortOrder.AscendingOrder
        self.horizontalHeader().setSortIndicator(column_index(sort.column), order)

    def save_header(self) -> QByteArray:
        return self.horizontalHeader().saveState()

    def restore_header(self, state: QByteArray) -> bool:
        header = self.horizontalHeader()
        if state.isEmpty() or not header.restoreState(state):
            return False
        # The restored indicator is the remembered sort; restoreState does not tell the model.
        self.order_model().sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        return True

    def selected_order_ids(self) -> list[int]:
        ids = (index.data(OrderIdRole) for index in self.selectionModel().selectedRows())
        return [order_id for order_id in ids if order_id is not None]

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        order_id = current.data(OrderIdRole) if current.isValid() else None
        if order_id is None and current.isValid():
            return  # its page is on its way; _rows_did_load reports it
        self._report(order_id)

    def _rows_did_load(self, top_left: QModelIndex, bottom_right: QModelIndex) -> None:
        current = self.currentIndex()
        if current.isValid() and top_left.row() <= current.row() <= bottom_right.row():
            self._report(current.data(OrderIdRole))

    def _report(self, order_id: int | None) -> None:
        if order_id != self._current_id:
            self._current_id = order_id
            self.current_order_changed.emit(order_id)

    def _list_will_reset(self) -> None:
        self._wanted_id = self._current_id

    def _list_did_reset(self) -> None:
        # Keep the same order selected when it is still in the (loaded part of the) list.
        row = None
        if self._wanted_id is not None:
            row = self.order_model().row_of_order(self._wanted_id)
        self._wanted_id = None
        if row is None:
            self.scrollToTop()
            self._report(None)
            return
        index = self.model().index(row, 0)
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.selectionModel().setCurrentIndex(index, flags)
        self.scrollTo(index)
