"""Running one operator action on a set of orders, off the GUI thread, and telling how it went.

The work runs on the serial write thread through a core bulk helper (``run_bulk``: a savepoint per
order, so a failing order is undone alone; or a set-based one such as ``bulk_ship``); both commit
per chunk. Many orders get a progress dialog whose Cancel stops after the current chunk, keeping
what is done. Failures are listed in one message by order number and reason.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMainWindow, QMessageBox, QProgressDialog, QWidget
from sqlalchemy import select
from sqlalchemy.orm import Session

from ordermanager.db.engine import Database
from ordermanager.db.models import Order
from ordermanager.errors import OrderManagerError
from ordermanager.orders.bulk import BulkResult, Progress, run_bulk
from ui.tasks import ProgressRelay, TaskManager

CoreAction = Callable[[Session, int], object]
# Runs an action over order ids with progress and a cancel check: run_bulk or a set-based helper.
BulkRunner = Callable[[Database, list[int], Progress, Callable[[], bool]], BulkResult]
# From this many orders on, a progress dialog (with Cancel) shows while the action runs.
PROGRESS_FROM = 2
PROGRESS_DELAY_MS = 400
MAX_LISTED_FAILURES = 25


@dataclass(frozen=True)
class ActionOutcome:
    """What one run of an action did: plain data for the GUI thread."""

    verb: str
    done: int
    failed: list[tuple[str, str]]  # order number, the reason for the operator
    cancelled: bool

    def summary(self) -> str:
        text = f"{self.verb}: {self.done:,} order{'' if self.done == 1 else 's'} done"
        if self.failed:
            text += f", {len(self.failed):,} failed"
        if self.cancelled:
            text += " (cancelled before the end)"
        return text + "."


def per_order(action: CoreAction) -> BulkRunner:
    """``action(session, order_id)`` for each order, each in its own savepoint."""

    def run(
        database: Database,
        order_ids: list[int],
        progress: Progress,
        is_cancelled: Callable[[], bool],
    ) -> BulkResult:
        return run_bulk(database, action, order_ids, progress, is_cancelled)

    return run


class ActionRunner(QObject):
    """Runs one action at a time for a window; ``refresh`` is called after every run."""

    running_changed = Signal(bool)
    run_did_finish = Signal(object)  # the ActionOutcome, after the refresh was asked for

    def __init__(
        self,
        window: QWidget,
        database: Database,
        tasks: TaskManager,
        refresh: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._database = database
        self._tasks = tasks
        self._refresh = refresh
        self._running = False

    @property
    def is_running(self) -> bool:
        return self._running

    def run(self, verb: str, runner: BulkRunner, ids: list[int]) -> None:
        if not ids or self._running:
            return
        relay = ProgressRelay(self)
        progress = None
        if len(ids) >= PROGRESS_FROM:
            progress = self._progress_dialog(verb, len(ids), relay)
        # The collector's full passes walk every object of the app and hold the GIL while they
        # do, so the GUI thread froze for a third of a second at a time during a 10,000-order
        # ship. Frozen, the objects that existed before the run are skipped; what the run
        # creates is still collected. Unfrozen when the run ends.
        gc.freeze()
        database = self._database

        def work() -> ActionOutcome:
            result = runner(database, ids, relay.report, relay.is_cancelled)
            return ActionOutcome(
                verb, len(result.done), _numbered(database, result.failed), result.cancelled
            )

        def finish() -> None:
            gc.unfreeze()
            self._set_running(False)
            if progress is not None:
                progress.close()
                progress.deleteLater()
            relay.deleteLater()

        def done(outcome: ActionOutcome) -> None:
            finish()
            self._report(outcome)

        def failed(error: BaseException) -> None:
            finish()
            QMessageBox.warning(self._window, verb, f"{verb} did not run: {error}")
            self._refresh()

        self._set_running(True)
        self._tasks.run(work, done, failed, write=True, owner=self)

    def run_single(
        self,
        verb: str,
        order_id: int,
        action: CoreAction,
        *,
        refused: Callable[[str], None],
        succeeded: Callable[[], None],
    ) -> None:
        """One order in one write transaction, for a dialog that stays open until it is done:
        the core's refusal (an over-refund, say) goes to ``refused`` so the dialog shows it at
        its field, instead of a message box after the dialog has gone."""
        if self._running:
            refused("Another action is still running; try again when it is done.")
            return
        database = self._database

        def work() -> ActionOutcome:
            with database.transaction() as session:
                action(session, order_id)
            return ActionOutcome(verb, 1, [], False)

        def done(outcome: ActionOutcome) -> None:
            self._set_running(False)
            succeeded()
            self._report(outcome)

        def failed(error: BaseException) -> None:
            self._set_running(False)
            if isinstance(error, OrderManagerError):
                refused(str(error))
                return
            QMessageBox.warning(self._window, verb, f"{verb} did not run: {error}")
            self._refresh()

        self._set_running(True)
        self._tasks.run(work, done, failed, write=True, owner=self)

    def _progress_dialog(self, verb: str, total: int, relay: ProgressRelay) -> QProgressDialog:
        progress = QProgressDialog(f"{verb}: {total:,} orders…", "Cancel", 0, total, self._window)
        progress.setObjectName("actionProgress")
        progress.setWindowTitle(verb)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(PROGRESS_DELAY_MS)  # a quick run never flashes a dialog
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.setValue(0)
        relay.progress_changed.connect(lambda done, _total: progress.setValue(done))
        progress.canceled.connect(relay.cancel)
        return progress

    def _set_running(self, running: bool) -> None:
        self._running = running
        self.running_changed.emit(running)

    def _report(self, outcome: ActionOutcome) -> None:
        if isinstance(self._window, QMainWindow):
            self._window.statusBar().showMessage(outcome.summary(), 10_000)
        if outcome.failed:
            lines = [f"• {number}: {reason}" for number, reason in outcome.failed]
            if len(lines) > MAX_LISTED_FAILURES:
                rest = len(lines) - MAX_LISTED_FAILURES
                lines = [*lines[:MAX_LISTED_FAILURES], f"… and {rest:,} more"]
            done = f"{outcome.done:,} done. " if outcome.done else ""
            QMessageBox.warning(
                self._window,
                outcome.verb,
                f"{done}{len(outcome.failed):,} could not be changed:\n\n" + "\n".join(lines),
            )
        self._refresh()
        self.run_did_finish.emit(outcome)


def _numbered(database: Database, failed: dict[int, str]) -> list[tuple[str, str]]:
    """The failures by order number (what the operator knows)."""
    if not failed:
        return []
    with database.session() as session:
        rows = session.execute(select(Order.id, Order.number).where(Order.id.in_(failed)))
        numbers = {order_id: number for order_id, number in rows}
    return sorted(
        ((numbers.get(order_id, f"id {order_id}"), reason) for order_id, reason in failed.items()),
        key=lambda pair: pair[0],
    )
