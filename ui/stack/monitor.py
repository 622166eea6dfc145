"""Watches the stack in the database: the overview for the status bar, and the record list while
the Stack Controller Status window is open.

Every workstation, and any external controller, writes to the same tables, so the database is the
one place that knows the whole truth (queue depth, records on hold, which controllers are alive).
Reads run on the read pool; a read still under way is not asked again, so a slow server never
piles up work.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from ordermanager.db.engine import Database
from ordermanager.stack.records import (
    StackOverview,
    StackRecordView,
    list_records,
    stack_overview,
)
from ui.tasks import TaskManager

OVERVIEW_INTERVAL_MS = 2000
# The window lists at most this many records: enough to act on, cheap to read every refresh.
RECORD_LIMIT = 500


class StackMonitor(QObject):
    overview_changed = Signal(object)  # StackOverview
    records_changed = Signal(object)  # list[StackRecordView]
    read_did_fail = Signal(str)

    def __init__(self, database: Database, tasks: TaskManager, parent: QObject | None = None):
        super().__init__(parent)
        self._database = database
        self._tasks = tasks
        self._reading = False
        self._watch_records = 0
        self.overview: StackOverview | None = None
        self.records: list[StackRecordView] = []
        self._timer = QTimer(self)
        self._timer.setInterval(OVERVIEW_INTERVAL_MS)
        self._timer.timeout.connect(self.refresh)

    def start(self) -> None:
        self._timer.start()
        self.refresh()

    def stop(self) -> None:
        self._timer.stop()

    def watch_records(self, on: bool) -> None:
        """The status window asks for the record list while it is open."""
        self._watch_records = max(0, self._watch_records + (1 if on else -1))
        if on:
            self.refresh()

    def refresh(self) -> None:
        if self._reading:
            return
        self._reading = True
        with_records = self._watch_records > 0

        def read() -> tuple[StackOverview, list[StackRecordView] | None]:
            overview = stack_overview(self._database)
            records = list_records(self._database, limit=RECORD_LIMIT) if with_records else None
            return overview, records

        self._tasks.run(read, self._show, self._failed, owner=self)

    def _show(self, result: tuple[StackOverview, list[StackRecordView] | None]) -> None:
        self._reading = False
        overview, records = result
        self.overview = overview
        self.overview_changed.emit(overview)
        if records is not None:
            self.records = records
            self.records_changed.emit(records)

    def _failed(self, error: BaseException) -> None:
        self._reading = False
        self.read_did_fail.emit(str(error) or type(error).__name__)
