"""The stack's line in the main window's status bar: controller state and queue depth at all times,
in warning colours when records are on hold or nothing is sending. A click opens the status window.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QToolButton, QWidget

from ordermanager.stack.records import StackOverview
from ui.stack.health import Health, describe
from ui.stack.monitor import StackMonitor
from ui.stack.runner import StackControllerRunner

NORMAL_STYLE = "QToolButton { border: none; padding: 0 6px; }"
WARNING_STYLE = (
    "QToolButton { border: none; padding: 0 6px; color: white; background: #c42b1c;"
    " border-radius: 3px; font-weight: 600; }"
)


class StackStatusButton(QToolButton):
    # The words shown changed (tests wait on it).
    health_changed = Signal(object)  # Health

    def __init__(
        self, monitor: StackMonitor, runner: StackControllerRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("stackStatus")
        self.setAutoRaise(True)
        self._monitor = monitor
        self._runner = runner
        self.health: Health | None = None
        monitor.overview_changed.connect(self._show)
        runner.state_changed.connect(lambda _state: self._show(monitor.overview))
        self._show(monitor.overview)

    def _show(self, overview: StackOverview | None) -> None:
        health = describe(self._runner.state, overview)
        self.health = health
        self.setText(health.summary if overview is not None else "Stack: reading…")
        self.setStyleSheet(
            WARNING_STYLE if health.warning and overview is not None else NORMAL_STYLE
        )
        self.setToolTip("Stack Controller Status (Ctrl+Shift+S)")
        self.health_changed.emit(health)
