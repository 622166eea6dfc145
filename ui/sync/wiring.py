"""The sync feature as the main window uses it: the runner, the scheduler, the status monitor and
the Sync Status window, with their menu actions. The main window keeps one SyncFeature and calls
``install_menus``, ``start`` (once shown, like the stack controller) and ``stop`` (on close).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from ordermanager.db.engine import Database
from ui.sync.monitor import SyncStatusMonitor
from ui.sync.runner import Opener, SyncRunner
from ui.sync.scheduler import SyncScheduler
from ui.sync.status_window import SyncStatusWindow
from ui.tasks import TaskManager

SYNC_STATUS_SHORTCUT = "Ctrl+Shift+Y"
SYNC_NOW_SHORTCUT = "Ctrl+Shift+N"


class SyncFeature(QObject):
    def __init__(
        self,
        database: Database,
        tasks: TaskManager,
        window: QWidget,
        *,
        opener: Opener | None = None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self.runner = SyncRunner(database, self, opener=opener)
        self.scheduler = SyncScheduler(database, tasks, self.runner, self)
        self.monitor = SyncStatusMonitor(database, tasks, self)
        self.status_window: SyncStatusWindow | None = None
        self.status_action = QAction("S&ync Status", window)
        self.status_action.setShortcut(QKeySequence(SYNC_STATUS_SHORTCUT))
        self.status_action.setStatusTip(
            "When each cart last downloaded orders, what was skipped, and when the next sync is"
        )
        # From anywhere in the app, dialogs included, like Stack Controller Status.
        self.status_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.status_action.triggered.connect(self.show_status)
        self.sync_now_action = QAction("Sync &Now", window)
        self.sync_now_action.setShortcut(QKeySequence(SYNC_NOW_SHORTCUT))
        self.sync_now_action.setStatusTip("Download new and changed orders from every cart now")
        self.sync_now_action.triggered.connect(self.sync_now)
        window.addAction(self.status_action)
        window.addAction(self.sync_now_action)

    def install_menus(self, view_menu: QMenu, sync_menu: QMenu) -> None:
        view_menu.addAction(self.status_action)
        sync_menu.addAction(self.sync_now_action)
        sync_menu.addSeparator()
        sync_menu.addAction(self.status_action)

    def start(self) -> None:
        """Sync each cart on its interval from now on (checks at once, then every minute)."""
        self.scheduler.start()

    def stop(self) -> None:
        """Closing the app: no new cycles; running ones stop at their next page."""
        self.scheduler.stop()
        self.monitor.stop()
        self.runner.stop()

    def show_status(self) -> SyncStatusWindow:
        if self.status_window is None:
            self.status_window = SyncStatusWindow(self.runner, self.monitor, self._window)
        self.status_window.show()
        self.status_window.raise_()
        self.status_window.activateWindow()
        return self.status_window

    def sync_now(self) -> None:
        """Sync ▸ Sync Now: every scheduled cart, shown in the Sync Status window."""
        window = self.show_status()
        if self.monitor.statuses is not None:
            window.sync_all()
            return

        def once(_statuses: object) -> None:
            self.monitor.statuses_changed.disconnect(once)
            window.sync_all()

        self.monitor.statuses_changed.connect(once)
