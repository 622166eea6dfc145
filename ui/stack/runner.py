"""The stack controller inside the app (Local and Shared modes): start, pause, stop, and report.

The controller's loop is core code (``ordermanager.stack.controller``) with its own threads; this
wrapper only starts and stops it and turns its snapshots into a Qt signal for the GUI thread. In
External mode nothing runs here: a headless ``ordermanager stack-controller`` sends the updates,
and the window only watches the database.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from ordermanager.db.engine import Database
from ordermanager.settings import StackControllerMode, get_setting
from ordermanager.stack.controller import StackController
from ordermanager.stack.controller_state import ControllerSnapshot
from ui.tasks import TaskManager

log = logging.getLogger(__name__)

# How long closing the window waits for sends in flight before it releases them to the stack.
STOP_TIMEOUT = 5.0
# How often the GUI asks the running controller for its figures. Asking (rather than being told
# on every send) keeps a fast drain from flooding the GUI thread with events.
SNAPSHOT_INTERVAL_MS = 1000


@dataclass(frozen=True)
class RunnerState:
    """What the status bar and the status window say about the controller of this app."""

    mode: str  # local | shared | external
    state: str  # running | paused | stopped | waiting for the shared lease | external
    snapshot: ControllerSnapshot | None
    problem: str = ""  # why it could not start, when it could not


class StackControllerRunner(QObject):
    # A RunnerState, on the GUI thread, whenever the controller reports or changes state.
    state_changed = Signal(object)

    def __init__(self, database: Database, tasks: TaskManager, parent: QObject | None = None):
        super().__init__(parent)
        self._database = database
        self._tasks = tasks
        self._controller: StackController | None = None
        self._mode = StackControllerMode.LOCAL.value
        self._state = RunnerState(self._mode, "stopped", None)
        self._timer = QTimer(self)
        self._timer.setInterval(SNAPSHOT_INTERVAL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def state(self) -> RunnerState:
        return self._state

    @property
    def is_running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        """Read the mode setting, then start a controller unless the mode is External."""
        if self._controller is not None:
            self.resume()
            return

        def read_mode() -> str:
            with self._database.session() as session:
                return str(get_setting(session, "StackControllerMode"))

        self._tasks.run(read_mode, self._start_in_mode, self._could_not_start, owner=self)

    def _start_in_mode(self, mode: str) -> None:
        self._mode = mode
        if self._controller is not None:
            return
        if mode == StackControllerMode.EXTERNAL.value:
            self._publish(RunnerState(mode, "external", None))
            return
        try:
            controller = StackController(self._database, mode=mode)
            controller.start()
        except Exception as exc:  # a controller that cannot start must not take the app down
            log.exception("the stack controller could not start")
            self._could_not_start(exc)
            return
        self._controller = controller
        self._timer.start()
        self._publish(RunnerState(mode, "running", controller.snapshot()))

    def _could_not_start(self, error: BaseException) -> None:
        message = str(error) or type(error).__name__
        self._publish(RunnerState(self._mode, "stopped", None, problem=message))

    def pause(self) -> None:
        if self._controller is not None:
            self._controller.pause()
            self._publish(RunnerState(self._mode, "paused", self._controller.snapshot()))

    def resume(self) -> None:
        if self._controller is not None:
            self._controller.resume()
            self._publish(RunnerState(self._mode, "running", self._controller.snapshot()))

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop sending: in-flight sends finish or go back to the stack within ``timeout``."""
        controller, self._controller = self._controller, None
        if controller is None:
            return
        self._timer.stop()
        with contextlib.suppress(Exception):  # closing must go on whatever the network does
            controller.stop(timeout)
        self._publish(RunnerState(self._mode, "stopped", controller.snapshot()))

    def restart(self) -> None:
        """After the mode setting changed: stop, then start in the mode now set."""
        self.stop()
        self.start()

    def _poll(self) -> None:
        if self._controller is not None:
            snapshot = self._controller.snapshot()
            self._publish(RunnerState(self._mode, snapshot.state, snapshot))

    def _publish(self, state: RunnerState) -> None:
        self._state = state
        self.state_changed.emit(state)
