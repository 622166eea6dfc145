"""Runs sync cycles inside the app, off the GUI thread, and reports them by signal.

A sync cycle talks to a cart for minutes and writes page by page, so it runs neither on the GUI
thread nor on ui/tasks.py's shared threads (it would hold up every other read or write for its
whole length): it gets a small pool of its own. One cycle per cart at a time; a second request
for a cart already waiting or running is ignored. Cancel is seen by the cycle between pages
(``run_sync``'s ``is_cancelled``): what was committed stays and the cursor does not move.

Workers only call core code and emit plain dataclasses; the runner's state (which carts wait,
which run, their progress) is changed on the GUI thread alone, through queued signals.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal, SignalInstance

from ordermanager.carts.protocol import CartConfig, Connector
from ordermanager.db.engine import Database
from ordermanager.db.models import Cart
from ordermanager.errors import OrderManagerError
from ordermanager.sync.cycle import SyncCancelled, SyncResult, run_sync

log = logging.getLogger(__name__)

# Carts synced at the same time; more only makes them queue for the database's write lock.
PARALLEL_SYNCS = 2
# How long closing the app waits for cycles to reach their next page boundary.
STOP_TIMEOUT = 5.0

# Opens a cart's connector; None means the registry's (secrets from the keyring).
Opener = Callable[[CartConfig], Connector]


@dataclass(frozen=True)
class SyncProgress:
    cart_id: int
    cart_name: str
    done: int  # orders handled so far; -1: waiting for a free worker
    total: int | None  # when the cart says how many match

    @property
    def waiting(self) -> bool:
        return self.done < 0

    def text(self) -> str:
        if self.waiting:
            return f"{self.cart_name}: waiting to start"
        if self.done == 0 and self.total is None:
            return f"{self.cart_name}: asking the cart for changed orders…"
        of = f" of {self.total:,}" if self.total is not None else ""
        return f"{self.cart_name}: Downloading order {self.done:,}{of}"


@dataclass(frozen=True)
class SyncOutcome:
    cart_id: int
    cart_name: str
    result: SyncResult | None
    error: str = ""
    cancelled: bool = False

    def text(self) -> str:
        if self.cancelled:
            done = self.result.downloaded if self.result is not None else 0
            return (
                f"{self.cart_name}: sync cancelled after {done:,} orders. The orders already "
                "saved stay; the next sync starts again from the same point."
            )
        if self.error or self.result is None:
            return f"{self.cart_name}: sync failed: {self.error}"
        r = self.result
        return (
            f"{self.cart_name}: {r.downloaded:,} orders downloaded — {r.created:,} new, "
            f"{r.updated:,} updated, {len(r.skipped):,} skipped."
        )


class _Cancelled(SyncCancelled):
    """Cancelled before the cycle began: nothing was asked or written."""


class SyncRunner(QObject):
    # Public signals, always on the GUI thread.
    sync_did_start = Signal(object)  # SyncProgress (queued or starting)
    sync_progressed = Signal(object)  # SyncProgress
    sync_did_finish = Signal(object)  # SyncOutcome
    busy_changed = Signal(bool)

    # From the workers; queued to the GUI thread, where the state changes.
    _worker_started = Signal(object)
    _worker_progressed = Signal(object)
    _worker_finished = Signal(object)

    def __init__(
        self,
        database: Database,
        parent: QObject | None = None,
        *,
        opener: Opener | None = None,
        parallel: int = PARALLEL_SYNCS,
    ) -> None:
        super().__init__(parent)
        self._database = database
        self._opener = opener  # None: the registry's, secrets from the keyring
        self._pool = ThreadPoolExecutor(parallel, thread_name_prefix="ordermanager-sync")
        self._cancels: dict[int, threading.Event] = {}
        self._futures: dict[int, Future[None]] = {}
        self._progress: dict[int, SyncProgress] = {}
        self._closing = False
        queued = Qt.ConnectionType.QueuedConnection
        self._worker_started.connect(self._started, queued)
        self._worker_progressed.connect(self._progressed, queued)
        self._worker_finished.connect(self._finished, queued)

    # -- asking --------------------------------------------------------------------------------

    @property
    def is_busy(self) -> bool:
        return bool(self._cancels)

    def active_ids(self) -> frozenset[int]:
        """Carts waiting for or running a cycle in this app."""
        return frozenset(self._cancels)

    def progress_of(self, cart_id: int) -> SyncProgress | None:
        return self._progress.get(cart_id)

    def progress(self) -> list[SyncProgress]:
        return list(self._progress.values())

    # -- acting --------------------------------------------------------------------------------

    def sync(self, cart_id: int, cart_name: str = "") -> bool:
        """Start a cycle for this cart; False when one is already waiting or running."""
        if self._closing or cart_id in self._cancels:
            return False
        was_busy = self.is_busy
        cancel = threading.Event()
        self._cancels[cart_id] = cancel
        waiting = SyncProgress(cart_id, cart_name or f"Cart {cart_id}", -1, None)
        self._progress[cart_id] = waiting
        self._futures[cart_id] = self._pool.submit(self._work, cart_id, waiting.cart_name, cancel)
        self.sync_did_start.emit(waiting)
        if not was_busy:
            self.busy_changed.emit(True)
        return True

    def sync_many(self, carts: Iterable[tuple[int, str]]) -> list[int]:
        """Start cycles for these (id, name) pairs; the ids actually started."""
        return [cart_id for cart_id, name in carts if self.sync(cart_id, name)]

    def cancel(self, cart_id: int | None = None) -> None:
        """Cancel this cart's cycle (every cycle: None) at its next page boundary."""
        for key, event in self._cancels.items():
            if cart_id is None or key == cart_id:
                event.set()

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Closing: cancel everything, wait up to ``timeout`` for the cycles to stop."""
        self._closing = True
        self.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)
        pending = [f for f in self._futures.values() if not f.done()]
        if pending:
            wait_for(pending, timeout)

    # -- the worker side (pool threads) ----------------------------------------------------

    def _work(self, cart_id: int, cart_name: str, cancel: threading.Event) -> None:
        handled = 0  # orders handled when cancelled: for the message
        try:
            if cancel.is_set():
                raise _Cancelled(f"Sync of cart '{cart_name}' was cancelled.")
            cart_name = self._name_of(cart_id) or cart_name
            self._emit("_worker_started", SyncProgress(cart_id, cart_name, 0, None))

            def report(done: int, total: int | None) -> None:
                nonlocal handled
                handled = done
                self._emit("_worker_progressed", SyncProgress(cart_id, cart_name, done, total))

            result = run_sync(
                self._database,
                cart_id,
                progress=report,
                is_cancelled=cancel.is_set,
                opener=self._opener,
            )
            outcome = SyncOutcome(cart_id, cart_name, result)
        except SyncCancelled:
            partial = SyncResult(cart_id, cart_name, downloaded=handled)
            outcome = SyncOutcome(cart_id, cart_name, partial, cancelled=True)
        except OrderManagerError as exc:
            outcome = SyncOutcome(cart_id, cart_name, None, error=str(exc))
        except Exception as exc:  # a bug or a database failure must not kill the worker
            log.exception("sync of cart %s failed", cart_id)
            outcome = SyncOutcome(cart_id, cart_name, None, error=str(exc) or type(exc).__name__)
        self._emit("_worker_finished", outcome)

    def _name_of(self, cart_id: int) -> str:
        with self._database.session() as session:
            cart = session.get(Cart, cart_id)
            return cart.name if cart is not None else ""

    def _emit(self, signal_name: str, value: object) -> None:
        if self._closing:
            return
        # RuntimeError: the runner was deleted while the cycle ran (the app is closing); even
        # reaching its signal then raises, so that happens in here too.
        with contextlib.suppress(RuntimeError):
            signal: SignalInstance = getattr(self, signal_name)
            signal.emit(value)

    # -- the GUI side ----------------------------------------------------------------------

    def _started(self, progress: SyncProgress) -> None:
        if progress.cart_id in self._cancels:
            self._progress[progress.cart_id] = progress
            self.sync_progressed.emit(progress)

    def _progressed(self, progress: SyncProgress) -> None:
        if progress.cart_id in self._cancels:
            self._progress[progress.cart_id] = progress
            self.sync_progressed.emit(progress)

    def _finished(self, outcome: SyncOutcome) -> None:
        self._cancels.pop(outcome.cart_id, None)
        self._futures.pop(outcome.cart_id, None)
        self._progress.pop(outcome.cart_id, None)
        self.sync_did_finish.emit(outcome)
        if not self.is_busy:
            self.busy_changed.emit(False)
