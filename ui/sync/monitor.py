"""Watches every cart's sync status in the database for the Sync Status window.

Other workstations sync the same carts, so the database is where the truth is. The statuses are
read on ui/tasks.py's read pool every few seconds while someone watches, and at once when a cycle
of this app starts or ends; a read still under way is not asked again.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer, Signal

from ordermanager.db.engine import Database
from ordermanager.sync.status import CartSyncStatus, cart_sync_statuses
from ui.tasks import TaskManager

REFRESH_INTERVAL_MS = 5000


class SyncStatusMonitor(QObject):
    statuses_changed = Signal(object)  # list[CartSyncStatus]
    read_did_fail = Signal(str)

    def __init__(
        self,
        database: Database,
        tasks: TaskManager,
        parent: QObject | None = None,
        *,
        kinds: Collection[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._database = database
        self._tasks = tasks
        self._kinds = kinds  # None: the installed connectors
        self._reading = False
        self._again = False
        self.statuses: list[CartSyncStatus] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_INTERVAL_MS)
        self._timer.timeout.connect(self.refresh)

    def start(self) -> None:
        self._timer.start()
        self.refresh()

    def stop(self) -> None:
        self._timer.stop()

    def refresh(self) -> None:
        if self._reading:
            self._again = True  # something changed while reading: read once more after
            return
        self._reading = True
        self._again = False

        def read() -> list[CartSyncStatus]:
            with self._database.session() as session:
                return cart_sync_statuses(session, datetime.now(UTC), kinds=self._kinds)

        self._tasks.run(read, self._show, self._failed, owner=self)

    def _show(self, statuses: list[CartSyncStatus]) -> None:
        self._reading = False
        self.statuses = statuses
        self.statuses_changed.emit(statuses)
        if self._again:
            self.refresh()

    def _failed(self, error: BaseException) -> None:
        self._reading = False
        self.read_did_fail.emit(str(error) or type(error).__name__)
