"""The one bridge between the GUI thread and core work: run a call in the background, get its
result back on the GUI thread by signal.

Writes go through one serial thread so they never race each other; reads share a small pool.
The callables run with no access to widgets and must return plain data (ids, frozen
dataclasses), never ORM objects. A result whose receiver was deleted, or that arrives while the
manager is shutting down, is dropped instead of touching a dead widget.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal

log = logging.getLogger(__name__)

T = TypeVar("T")

READ_THREADS = 2


@dataclass(frozen=True)
class _Outcome:
    task_id: int
    result: Any
    error: BaseException | None


@dataclass(frozen=True)
class _Callbacks:
    on_done: Callable[[Any], None]
    on_error: Callable[[BaseException], None] | None
    owner: QObject | None


class TaskManager(QObject):
    """Runs core calls off the GUI thread. One per application window tree; no global instance."""

    # Emitted from worker threads; the queued connection hands it to the GUI thread.
    _task_did_finish = Signal(object)
    # A task failed and nobody asked to hear about it: the message, for a status bar.
    task_did_fail = Signal(str)

    def __init__(self, parent: QObject | None = None, *, read_threads: int = READ_THREADS) -> None:
        super().__init__(parent)
        self._serial = ThreadPoolExecutor(1, thread_name_prefix="ordermanager-write")
        self._pool = ThreadPoolExecutor(read_threads, thread_name_prefix="ordermanager-read")
        self._ids = itertools.count(1)
        self._pending: dict[int, _Callbacks] = {}
        self._closing = False
        self._task_did_finish.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def is_shutting_down(self) -> bool:
        return self._closing

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[BaseException], None] | None = None,
        *,
        write: bool = False,
        owner: QObject | None = None,
    ) -> Future[None] | None:
        """Call ``fn()`` in the background and ``on_done(result)`` on the GUI thread.

        ``owner`` (by default the object ``on_done`` is bound to, when that is a QObject) must
        still exist when the result arrives, or the result is dropped. ``write=True`` runs the
        call on the serial database-write thread. Returns None once shutting down.
        """
        if self._closing:
            return None
        if owner is None:
            bound = getattr(on_done, "__self__", None)
            owner = bound if isinstance(bound, QObject) else None
        task_id = next(self._ids)
        self._pending[task_id] = _Callbacks(on_done, on_error, owner)
        executor = self._serial if write else self._pool
        return executor.submit(self._call, task_id, fn)

    def _call(self, task_id: int, fn: Callable[[], Any]) -> None:
        if self._closing:
            return
        started = time.perf_counter()
        try:
            outcome = _Outcome(task_id, fn(), None)
        except BaseException as exc:  # delivered to on_error on the GUI thread
            outcome = _Outcome(task_id, None, exc)
        log.debug("task %d took %.1f ms", task_id, (time.perf_counter() - started) * 1000)
        if self._closing:
            return
        # RuntimeError: the manager itself was deleted while this ran (shutdown without waiting).
        with contextlib.suppress(RuntimeError):
            self._task_did_finish.emit(outcome)

    def _deliver(self, outcome: _Outcome) -> None:
        callbacks = self._pending.pop(outcome.task_id, None)
        if callbacks is None or self._closing:
            return
        if callbacks.owner is not None and not shiboken6.isValid(callbacks.owner):
            return
        if outcome.error is None:
            callbacks.on_done(outcome.result)
        elif callbacks.on_error is not None:
            callbacks.on_error(outcome.error)
        else:
            log.error("background task failed", exc_info=outcome.error)
            self.task_did_fail.emit(str(outcome.error) or type(outcome.error).__name__)

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking work and drop every result not yet delivered; wait for running calls."""
        self._closing = True
        self._pending.clear()
        self._serial.shutdown(wait=wait, cancel_futures=True)
        self._pool.shutdown(wait=wait, cancel_futures=True)


class ProgressRelay(QObject):
    """Lets a background call report progress and see a cancel request from the GUI thread.

    ``report`` may be called as often as the work likes; it passes on at most one update every
    ``interval`` seconds (and always the last one), so a fast loop cannot flood the event queue.
    """

    progress_changed = Signal(int, int)

    def __init__(self, parent: QObject | None = None, *, interval: float = 0.05) -> None:
        super().__init__(parent)
        self._interval = interval
        self._last = 0.0
        self._cancelled = threading.Event()

    def report(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < self._interval:
            return
        self._last = now
        # RuntimeError: the dialog listening went away; the work goes on or sees the cancel.
        with contextlib.suppress(RuntimeError):
            self.progress_changed.emit(done, total)

    def cancel(self) -> None:
        self._cancelled.set()

    def is_cancelled(self) -> bool:
        return self._cancelled.is_set()
