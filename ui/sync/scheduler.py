"""Syncs each cart on its own interval while the app runs: once a minute, asks the core which
carts are due (off the GUI thread) and starts their cycles through the SyncRunner.

The question is asked of the database, not of a timer per cart, so a cycle run by another
workstation, the command line or Sync Now moves the next one for everybody, and a cart whose
cycle is still running anywhere is not started twice (ordermanager.sync.schedule).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer, Signal

from ordermanager.db.engine import Database
from ordermanager.sync.schedule import CartTiming, installed_kinds, is_due, read_timings
from ui.sync.runner import SyncRunner
from ui.tasks import TaskManager

CHECK_INTERVAL_MS = 60_000


class SyncScheduler(QObject):
    # After each check: the ids of the carts whose cycles it started (maybe none).
    check_did_finish = Signal(list)
    check_did_fail = Signal(str)

    def __init__(
        self,
        database: Database,
        tasks: TaskManager,
        runner: SyncRunner,
        parent: QObject | None = None,
        *,
        interval_ms: int = CHECK_INTERVAL_MS,
        kinds: Collection[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._database = database
        self._tasks = tasks
        self._runner = runner
        self._kinds = kinds  # None: the installed connectors
        self._asking = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check_now)

    @property
    def is_running(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        """Check at once (a cart may have been due for hours), then every interval."""
        self._timer.start()
        self.check_now()

    def stop(self) -> None:
        self._timer.stop()

    def check_now(self) -> None:
        if self._asking:
            return
        self._asking = True

        def ask() -> list[CartTiming]:
            now = datetime.now(UTC)
            kinds = installed_kinds() if self._kinds is None else self._kinds
            with self._database.session() as session:
                return [t for t in read_timings(session, now) if is_due(t, now, kinds)]

        self._tasks.run(ask, self._start_due, self._failed, owner=self)

    def _start_due(self, due: list[CartTiming]) -> None:
        self._asking = False
        if not self.is_running:  # stopped while asking: start nothing
            self.check_did_finish.emit([])
            return
        started = self._runner.sync_many((t.cart_id, t.name) for t in due)
        self.check_did_finish.emit(started)

    def _failed(self, error: BaseException) -> None:
        self._asking = False
        self.check_did_fail.emit(str(error) or type(error).__name__)
