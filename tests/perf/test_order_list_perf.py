"""Benchmark: the order list on a million orders (run with `pytest tests/perf -s`).

Opens the main window offscreen on a large demo store and prints how long the operator waits for
the first rows, a status filter, a search by order number, two sorts and jumps to the middle and
the end of the list, with the longest time the GUI thread went without processing events (a 10 ms
heartbeat timer) and the peak memory. Targets are printed beside the figures; only functional
correctness is asserted, because timings depend on the machine.

The store comes from ORDERMANAGER_PERF_DB (default /tmp/demo-1m.sqlite3), made for example with
`ordermanager --database-url /tmp/demo-1m.sqlite3 demo --orders 1000000`.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer
from PySide6.QtWidgets import QAbstractItemView
from pytestqt.exceptions import TimeoutError
from pytestqt.qtbot import QtBot

from ordermanager.db import location
from ordermanager.db.engine import Database
from ordermanager.db.migrate import open_database
from ordermanager.orders.query import (
    OrderFilter,
    OrderSort,
    SortColumn,
    count_orders,
    fetch_orders,
    list_labels,
)
from ui.main_window import MainWindow
from ui.orders.model import OrderIdRole
from ui.orders.state import column_index
from ui.tasks import TaskManager

pytestmark = pytest.mark.perf

PERF_DB = Path(os.environ.get("ORDERMANAGER_PERF_DB", "/tmp/demo-1m.sqlite3"))
WAIT_MS = 60_000


class Heartbeat(QObject):
    """Ticks every 10 ms on the GUI thread; a long gap between ticks means the GUI was blocked."""

    def __init__(self) -> None:
        super().__init__()
        self._clock = QElapsedTimer()
        self._timer = QTimer(self, interval=10, timerType=Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._last = 0
        self.max_gap_ms = 0

    def start(self) -> None:
        self._clock.start()
        self._last = 0
        self._timer.start()

    def reset(self) -> None:
        self._last = self._clock.elapsed()
        self.max_gap_ms = 0

    def _tick(self) -> None:
        now = self._clock.elapsed()
        self.max_gap_ms = max(self.max_gap_ms, now - self._last)
        self._last = now


@dataclass
class Measure:
    name: str
    target_ms: float | None
    ms: float = 0.0
    max_gap_ms: int = 0


@pytest.fixture
def big_store() -> Iterator[Database]:
    if not PERF_DB.exists():
        pytest.skip(
            f"no benchmark store at {PERF_DB}: make one with `ordermanager --database-url "
            f"{PERF_DB} demo --orders 1000000`, or point ORDERMANAGER_PERF_DB at one"
        )
    database = open_database(location.parse_url(str(PERF_DB)))
    yield database
    database.dispose()


def test_order_list__on_a_million_orders(qtbot: QtBot, big_store: Database) -> None:
    with big_store.session() as session:
        total = count_orders(session)
        labels = dict((name, label_id) for label_id, name in list_labels(session))
        middle_order = fetch_orders(session, OrderFilter(), OrderSort(), total // 2, 1)[0]
    tasks = TaskManager()
    heartbeat = Heartbeat()
    heartbeat.start()
    results: list[Measure] = []
    problems: list[str] = []  # what the window would show in its status bar
    tasks.task_did_fail.connect(problems.append)

    def measure(
        name: str, target_ms: float | None, act: Callable[[], None], done: Callable[[], bool]
    ) -> None:
        heartbeat.reset()
        started = time.perf_counter()
        act()

        def finished() -> bool:
            assert not problems, f"{name}: {problems}"
            return done()

        try:
            qtbot.waitUntil(finished, timeout=WAIT_MS)
        except TimeoutError:
            pytest.fail(f"{name}: not done after {WAIT_MS / 1000:.0f} s")
        elapsed = (time.perf_counter() - started) * 1000
        results.append(Measure(name, target_ms, elapsed, heartbeat.max_gap_ms))

    window: MainWindow | None = None

    def open_window() -> None:
        nonlocal window
        window = MainWindow(big_store, tasks)
        window.model.load_did_fail.connect(problems.append)
        qtbot.addWidget(window)
        window.show()

    try:
        measure(
            "first rows shown",
            1000,
            open_window,
            lambda: window is not None and window.model.is_row_loaded(0),
        )
        assert window is not None
        model, table, bar = window.model, window.table, window.filter_bar
        assert model.rowCount() == total
        qtbot.waitUntil(lambda: bar.label_combo.count() > 1, timeout=WAIT_MS)

        def list_shown(generation: int) -> Callable[[], bool]:
            return lambda: (
                model.generation > generation
                and not model.is_loading
                and (model.rowCount() == 0 or model.is_row_loaded(0))
            )

        label_name = "Backordered" if "Backordered" in labels else next(iter(labels))
        g = model.generation
        measure(
            f"filter: status '{label_name}'",
            150,
            lambda: bar.label_combo.setCurrentIndex(bar.label_combo.findText(label_name)),
            list_shown(g),
        )
        with big_store.session() as session:
            expected = count_orders(session, OrderFilter(label_id=labels[label_name]))
        assert model.rowCount() == expected

        with qtbot.waitSignal(model.counts_changed, timeout=WAIT_MS):
            bar.clear()
        g = model.generation

        def search_number() -> None:
            bar.search_edit.setText(middle_order.number)
            bar.search_edit.returnPressed.emit()  # apply now rather than after the typing pause

        measure(f"search: number {middle_order.number}", 150, search_number, list_shown(g))
        found = [model.index(r, 0).data(OrderIdRole) for r in range(model.rowCount())]
        assert middle_order.id in found
        with qtbot.waitSignal(model.counts_changed, timeout=WAIT_MS):
            bar.clear()

        def jump(name: str, row: int) -> None:
            # A reset view lays itself out on the next pass of the event loop; until then its
            # scroll bar cannot reach the row (scrollTo would stop at the top).
            scroll = table.verticalScrollBar()
            qtbot.waitUntil(lambda: scroll.maximum() >= row - table.height(), timeout=WAIT_MS)
            measure(
                name,
                None,
                lambda: table.scrollTo(
                    model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter
                ),
                lambda: model.is_row_loaded(row),
            )
            with big_store.session() as session:
                expected_row = fetch_orders(session, sort=model.order_sort, offset=row, limit=1)[0]
            assert model.index(row, 0).data(OrderIdRole) == expected_row.id

        jump("jump to the middle (by placed)", total // 2)
        jump("jump to the end (by placed)", total - 1)
        for column, descending in ((SortColumn.CUSTOMER, False), (SortColumn.TOTAL, True)):
            g = model.generation
            order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
            measure(
                f"sort by {column.value}",
                None,
                lambda column=column, order=order: table.horizontalHeader().setSortIndicator(
                    column_index(column), order
                ),
                list_shown(g),
            )
            with big_store.session() as session:
                first = fetch_orders(session, sort=OrderSort(column, descending), limit=1)[0]
            assert model.index(0, 0).data(OrderIdRole) == first.id

        jump("jump to the middle (by total)", total // 2)
        assert model.cached_pages <= 30
    finally:
        tasks.shutdown(wait=True)
        if window is not None:
            window.close()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _print_table(total, results, peak_mb)


def _print_table(total: int, results: list[Measure], peak_mb: float) -> None:
    lines = [
        "",
        f"Order list on {total:,} orders ({PERF_DB}), offscreen",
        f"{'measure':<34} {'time':>10} {'target':>10} {'max GUI gap':>12}",
        "-" * 69,
    ]
    for m in results:
        target = f"<= {m.target_ms:,.0f} ms" if m.target_ms else "—"
        verdict = "" if not m.target_ms else ("  ok" if m.ms <= m.target_ms else "  OVER")
        lines.append(f"{m.name:<34} {m.ms:>7,.0f} ms {target:>10} {m.max_gap_ms:>9} ms{verdict}")
    lines.append("-" * 69)
    verdict = "ok" if peak_mb <= 500 else "OVER"
    lines.append(
        f"{'peak memory (ru_maxrss)':<34} {peak_mb:>7,.0f} MB {'<= 500 MB':>10}  {verdict}"
    )
    worst = max(m.max_gap_ms for m in results)
    lines.append(
        f"{'longest GUI thread stall':<34} {worst:>7,} ms {'<= 100 ms':>10}  "
        f"{'ok' if worst <= 100 else 'OVER'}"
    )
    print("\n".join(lines))
