"""The order list as a lazy table model: a count and a bounded cache of pages, never every row.

``rowCount`` is the number of matching orders (counted in SQL, in the background). A row the
view paints before its page is here shows a light placeholder and asks for that page; when the
page arrives, only its rows are repainted. At most ``MAX_CACHED_PAGES`` pages are kept (least
recently painted go first), so memory stays flat whether the store has a thousand orders or a
million. Every refresh bumps a generation number; pages and counts from an older generation are
dropped when they arrive.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import partial
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

from ordermanager.db.engine import Database
from ordermanager.orders.query import (
    OrderFilter,
    OrderRow,
    OrderSort,
    count_orders,
    fetch_orders,
)
from ui.formatting import local_time, money
from ui.orders.state import COLUMNS, DEFAULT_SORT
from ui.tasks import TaskManager

PAGE_SIZE = 200
MAX_CACHED_PAGES = 30
MAX_IN_FLIGHT = 2  # page queries running at once; more would only queue in the read pool
MAX_WANTED = 6  # pages waiting for a query; older wishes are forgotten when scrolling fast

OrderIdRole = Qt.ItemDataRole.UserRole + 1
OrderRowRole = Qt.ItemDataRole.UserRole + 2
LoadedRole = Qt.ItemDataRole.UserRole + 3

PLACEHOLDER = "…"

_AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class _Line:
    row: OrderRow
    cells: tuple[str, ...]


@dataclass(frozen=True)
class _FirstPage:
    generation: int
    count: int
    total: int | None
    lines: list[_Line]


@dataclass(frozen=True)
class _Page:
    generation: int
    number: int
    lines: list[_Line]


def _line(row: OrderRow) -> _Line:
    cells = (
        row.number,
        local_time(row.placed_at),
        row.customer_name,
        row.cart_name,
        f"{row.item_count:,}",
        money(row.total, row.currency),
        row.label or "",
        row.payment_title,
        row.shipping_title,
    )
    return _Line(row, cells)


def _fetch_page(
    database: Database, flt: OrderFilter, sort: OrderSort, offset: int, limit: int, count: int
) -> list[_Line]:
    """One page, read from whichever end of the list is nearer.

    OFFSET walks the index from the start, so the last page of a million orders would cost a
    million steps; the same rows are the first page of the reversed sort. Every sort ends in the
    order id, so the reversed order is exactly this order backwards.
    """
    with database.session() as session:
        if offset > count // 2 and count > 0:
            backwards = OrderSort(sort.column, descending=not sort.descending)
            from_end = max(count - offset - limit, 0)
            rows = fetch_orders(session, flt, backwards, from_end, limit)
            rows.reverse()
        else:
            rows = fetch_orders(session, flt, sort, offset, limit)
    return [_line(row) for row in rows]


class OrderListModel(QAbstractTableModel):
    # The list was replaced (new filter, sort or refresh): matching orders, and all orders when
    # known (None while only the filtered count was needed).
    counts_changed = Signal(int, object)
    loading_changed = Signal(bool)
    load_did_fail = Signal(str)

    def __init__(
        self, database: Database, tasks: TaskManager, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._database = database
        self._tasks = tasks
        self._filter = OrderFilter()
        self._sort = DEFAULT_SORT
        self._generation = 0
        self._count = 0
        self._total: int | None = None
        self._counted: OrderFilter | None = None  # the filter self._count was counted for
        self._pages: OrderedDict[int, list[_Line]] = OrderedDict()
        self._wanted: list[int] = []
        self._in_flight: set[int] = set()
        self._failed: set[int] = set()
        self._refreshing = False
        self._placeholder = QColor(
            QGuiApplication.palette().color(QPalette.ColorRole.PlaceholderText)
        )

    # -- what the list shows -------------------------------------------------------------

    @property
    def order_filter(self) -> OrderFilter:
        return self._filter

    @property
    def order_sort(self) -> OrderSort:
        return self._sort

    @property
    def generation(self) -> int:
        """How many times the list was (re)loaded; results of older generations are ignored."""
        return self._generation

    @property
    def count(self) -> int:
        return self._count

    @property
    def total(self) -> int | None:
        return self._total

    @property
    def is_loading(self) -> bool:
        return self._refreshing or bool(self._in_flight)

    @property
    def cached_pages(self) -> int:
        return len(self._pages)

    def set_filter(self, flt: OrderFilter) -> None:
        if flt != self._filter:
            self._filter = flt
            self.refresh()

    def set_sort(self, sort: OrderSort) -> None:
        if sort != self._sort:
            self._sort = sort
            self.refresh()

    def refresh(self, *, recount_all: bool = False) -> None:
        """Count and load the first page again; the old rows stay on screen until then."""
        was_loading = self.is_loading
        self._generation += 1
        self._refreshing = True
        self._wanted.clear()
        if recount_all:
            self._total = None
            self._counted = None
        need_total = self._total is None and not self._filter.is_empty
        # A new sort of the same orders needs no new count.
        known = self._count if self._counted == self._filter else None
        self._tasks.run(
            partial(
                self._load_first_page,
                self._generation,
                self._filter,
                self._sort,
                need_total,
                known,
            ),
            self._first_page_did_load,
            self._load_did_fail,
        )
        if not was_loading:
            self.loading_changed.emit(True)

    def _load_first_page(
        self,
        generation: int,
        flt: OrderFilter,
        sort: OrderSort,
        need_total: bool,
        known_count: int | None,
    ) -> _FirstPage:
        with self._database.session() as session:
            count = count_orders(session, flt) if known_count is None else known_count
            total = count_orders(session) if need_total else None
            rows = fetch_orders(session, flt, sort, 0, PAGE_SIZE) if count else []
        return _FirstPage(generation, count, total, [_line(row) for row in rows])

    def _first_page_did_load(self, page: _FirstPage) -> None:
        if page.generation != self._generation:
            return
        self.beginResetModel()
        self._refreshing = False
        self._count = page.count
        self._counted = self._filter
        if self._filter.is_empty:
            self._total = page.count
        elif page.total is not None:
            self._total = page.total
        self._pages.clear()
        self._in_flight.clear()
        self._failed.clear()
        if page.lines:
            self._pages[0] = page.lines
        self.endResetModel()
        self.counts_changed.emit(self._count, self._total)
        self._loading_may_have_ended()

    def _load_did_fail(self, error: BaseException) -> None:
        self._refreshing = False
        self.load_did_fail.emit(f"The order list could not be loaded: {error}")
        self._loading_may_have_ended()

    # -- pages -------------------------------------------------------------------------------

    def is_row_loaded(self, row: int) -> bool:
        return row // PAGE_SIZE in self._pages

    def order_row(self, row: int) -> OrderRow | None:
        lines = self._pages.get(row // PAGE_SIZE)
        if lines is None:
            return None
        offset = row % PAGE_SIZE
        return lines[offset].row if offset < len(lines) else None

    def row_of_order(self, order_id: int) -> int | None:
        """Where a loaded order sits in the list now, if its page is cached."""
        for number, lines in self._pages.items():
            for offset, line in enumerate(lines):
                if line.row.id == order_id:
                    return number * PAGE_SIZE + offset
        return None

    def _line_at(self, row: int) -> _Line | None:
        number, offset = divmod(row, PAGE_SIZE)
        lines = self._pages.get(number)
        if lines is None:
            self._want(number)
            return None
        self._pages.move_to_end(number)
        return lines[offset] if offset < len(lines) else None

    def _want(self, number: int) -> None:
        if self._refreshing or number in self._in_flight or number in self._failed:
            return
        if number in self._wanted:
            self._wanted.remove(number)
        self._wanted.append(number)
        del self._wanted[:-MAX_WANTED]
        self._pump()

    def _pump(self) -> None:
        was_loading = self.is_loading
        while self._wanted and len(self._in_flight) < MAX_IN_FLIGHT:
            # Newest wish first: after a fast scroll, the rows on screen now matter most.
            number = self._wanted.pop()
            self._in_flight.add(number)
            offset = number * PAGE_SIZE
            limit = min(PAGE_SIZE, self._count - offset)
            generation = self._generation
            self._tasks.run(
                partial(
                    self._read_page,
                    generation,
                    number,
                    self._filter,
                    self._sort,
                    offset,
                    limit,
                    self._count,
                ),
                self._page_did_load,
                partial(self._page_did_fail, generation, number),
            )
        if self.is_loading and not was_loading:
            self.loading_changed.emit(True)

    def _read_page(
        self,
        generation: int,
        number: int,
        flt: OrderFilter,
        sort: OrderSort,
        offset: int,
        limit: int,
        count: int,
    ) -> _Page:
        if generation != self._generation:
            return _Page(generation, number, [])  # already stale: skip the query
        return _Page(
            generation, number, _fetch_page(self._database, flt, sort, offset, limit, count)
        )

    def _page_did_load(self, page: _Page) -> None:
        if page.generation != self._generation:
            return
        self._in_flight.discard(page.number)
        self._pages[page.number] = page.lines
        self._pages.move_to_end(page.number)
        while len(self._pages) > MAX_CACHED_PAGES:
            self._pages.popitem(last=False)
        first = page.number * PAGE_SIZE
        last = min(first + PAGE_SIZE, self._count) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        self._pump()
        self._loading_may_have_ended()

    def _page_did_fail(self, generation: int, number: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._in_flight.discard(number)
        # Not asked again until the next refresh, or every repaint would retry a failing query.
        self._failed.add(number)
        self.load_did_fail.emit(f"Some orders could not be loaded: {error}")
        self._pump()
        self._loading_may_have_ended()

    def _loading_may_have_ended(self) -> None:
        if not self.is_loading:
            self.loading_changed.emit(False)

    # -- QAbstractTableModel -----------------------------------------------------------------

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self._count:
            return None
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = (
                Qt.AlignmentFlag.AlignRight if column.align_right else Qt.AlignmentFlag.AlignLeft
            )
            return horizontal | Qt.AlignmentFlag.AlignVCenter
        line = self._line_at(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            if line is None:
                return PLACEHOLDER if index.column() == 0 else ""
            return line.cells[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._placeholder if line is None else None
        if role == Qt.ItemDataRole.ToolTipRole and line is not None:
            if index.column() == 2 and line.row.customer_email:
                return f"{line.row.customer_name}\n{line.row.customer_email}"
            return None
        if role == OrderIdRole:
            return line.row.id if line is not None else None
        if role == OrderRowRole:
            return line.row if line is not None else None
        if role == LoadedRole:
            return line is not None
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        column = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = (
                Qt.AlignmentFlag.AlignRight if column.align_right else Qt.AlignmentFlag.AlignLeft
            )
            return horizontal | Qt.AlignmentFlag.AlignVCenter
        return None

    def flags(self, index: _AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        descending = order == Qt.SortOrder.DescendingOrder
        self.set_sort(OrderSort(COLUMNS[column].key, descending))
