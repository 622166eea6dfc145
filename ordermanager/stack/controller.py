"""The stack controller: claims status updates from the stack, sends them, and settles each one.

One claim thread and a pool of ``concurrency`` worker threads. The claim thread claims at most as
many records as there are idle workers, so no more records are ever in flight than workers; claim
only hands out the head record of each order, so an order never has two records in flight and its
updates leave in the order they were queued. A heartbeat thread keeps this controller's claims
alive (claims last as long as the heartbeat, not as long as a guess at the send time), recovers
the claims of controllers that stopped heartbeating, and in Shared mode holds the shared lease.

Every settle is fenced by the claim token: a controller that lost its claim (paused past its lease,
say) changes nothing, and the lost fence is logged as a warning. Nothing a cart, the network or the
database does may end the loop: unexpected exceptions become RetryLater with their text.
"""

from __future__ import annotations

import contextlib
import logging
import queue as thread_queue
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta

from ordermanager.db.engine import Database
from ordermanager.settings import StackControllerMode
from ordermanager.stack import backoff
from ordermanager.stack import queue as stack_queue
from ordermanager.stack.controller_state import (
    ControllerSnapshot,
    DrainResult,
    Settler,
    Stats,
)
from ordermanager.stack.delivery import (
    Delivered,
    DeliveryConfig,
    Outcome,
    Rejected,
    RetryLater,
    SenderFactory,
    SenderPool,
    trim_error,
)
from ordermanager.stack.queue import ClaimedRecord
from ordermanager.stack.wakeup import Wakeup

__all__ = ["ControllerSnapshot", "DrainResult", "StackController"]

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=15)
WAITING_FOR_LEASE = "waiting for the shared lease"
HEARTBEAT_THREAD = "stack-controller-heartbeat"


class StackController:
    def __init__(
        self,
        database: Database,
        *,
        mode: StackControllerMode | str,
        concurrency: int = 4,
        lease: timedelta = DEFAULT_LEASE,
        heartbeat_every: float | None = None,
        poll_interval: float = 1.0,
        sender_factory: SenderFactory | None = None,
        workstation: str | None = None,
        listener: Callable[[ControllerSnapshot], None] | None = None,
        delivery: DeliveryConfig | None = None,
        backoff_base: float = backoff.BASE_SECONDS,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.database = database
        self.mode = StackControllerMode(str(mode).lower())
        self.concurrency = concurrency
        self.lease = lease
        self.backoff_base = backoff_base
        self.heartbeat_every = heartbeat_every or max(lease.total_seconds() / 3, 0.05)
        if workstation is None:
            from ordermanager.workstation import workstation_id

            workstation = workstation_id()
        self.workstation = workstation
        self.controller_id = ""
        self._senders = SenderPool(sender_factory, delivery)
        self._wakeup = Wakeup(database, poll_interval=poll_interval)
        self._listener = listener
        self.stats = Stats()
        # SQLite has one writer at a time; threads of one process queue on a Python lock rather
        # than in SQLite's busy handler, which sleeps in steps of milliseconds.
        self._write_lock: AbstractContextManager[object] = (
            threading.Lock() if database.dialect == "sqlite" else contextlib.nullcontext()
        )
        self._settler = Settler(database, self.stats, log, self._write_lock)

        self._lock = threading.Lock()
        self._in_flight: dict[int, ClaimedRecord] = {}
        # Worker slots taken: records in flight plus claims under way. Never above concurrency.
        self._busy = 0
        self._work: thread_queue.Queue[ClaimedRecord | None] = thread_queue.Queue()
        self._stopping = threading.Event()
        self._heartbeat_stop = threading.Event()
        self._stopped = False
        self._paused = threading.Event()
        self._is_leader = self.mode is not StackControllerMode.SHARED
        self._threads: list[threading.Thread] = []
        self._state = "stopped"
        self._last_report = 0.0
        self._once = False
        self._failed_orders: set[int] = set()  # run_until_idle: orders not to retry in this run

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        """Register, then run the claim loop, workers and heartbeat on threads of their own."""
        self._register()
        self._wakeup.start()
        self._spawn(self._claim_loop, "stack-controller-claim")
        for n in range(self.concurrency):
            self._spawn(self._worker_loop, f"stack-controller-worker-{n + 1}")
        self._spawn(self._heartbeat_loop, HEARTBEAT_THREAD)
        self._report(force=True)

    def run_until_idle(self) -> DrainResult:
        """Drain what is due now with the worker pool, then stop (``stack-controller --once``).

        A record that fails is not retried in the same run (its order is skipped), so the run ends
        even when a cart keeps failing; the record waits on the stack for its next attempt.
        """
        started = time.monotonic()
        before = self.stats.copy()
        self._once = True
        self._register()
        for n in range(self.concurrency):
            self._spawn(self._worker_loop, f"stack-controller-worker-{n + 1}")
        self._spawn(self._heartbeat_loop, HEARTBEAT_THREAD)
        try:
            while not self._stopping.is_set():
                free = self._reserve()
                if free == 0:
                    self._wakeup.wait(0.05)
                    continue
                claimed = self._claim(free)
                if not claimed:
                    with self._lock:
                        idle = self._busy == 0
                    if idle:
                        break
                    self._wakeup.wait(0.05)
        finally:
            self.stop()
        return self.stats.since(before, time.monotonic() - started)

    def pause(self) -> None:
        """Stop claiming new records; sends in flight finish."""
        self._paused.set()
        self._set_state("paused")

    def resume(self) -> None:
        self._paused.clear()
        self._set_state("running" if self._is_leader else WAITING_FOR_LEASE)
        self._wakeup.set()

    def wake(self) -> None:
        """Look at the stack now (called after a commit that queued a record)."""
        self._wakeup.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, let sends in flight finish for up to ``timeout`` seconds, release the
        rest to the stack, and unregister. Safe to call more than once."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._set_state("stopping")
        self._stopping.set()
        self._wakeup.set()
        # Records claimed but not yet picked up by a worker go straight back.
        self._release_unstarted()
        for _ in range(self.concurrency):
            self._work.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.name != HEARTBEAT_THREAD:
                thread.join(max(deadline - time.monotonic(), 0.0))
        with self._lock:
            stuck = list(self._in_flight.values())
        for record in stuck:
            # Still sending after the timeout: give it back. The late answer settles nothing
            # (the fence is gone); the record is sent again with the same idempotency key.
            self._settler.release(record)
        # The heartbeat kept our claims alive while sends finished; now it may go.
        self._heartbeat_stop.set()
        for thread in self._threads:
            if thread.name == HEARTBEAT_THREAD:
                thread.join(5.0)
        self._wakeup.close()
        self._senders.close()
        self._unregister()
        self._threads = [t for t in self._threads if t.is_alive()]
        self._set_state("stopped")

    # -- snapshot ---------------------------------------------------------------------------

    def snapshot(self) -> ControllerSnapshot:
        return self.stats.snapshot(
            state=self._state,
            mode=self.mode.value,
            controller_id=self.controller_id,
            in_flight=self._in_flight_count(),
            workstation=self.workstation,
        )

    # -- threads ----------------------------------------------------------------------------

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=self._guarded(target, name), name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _guarded(self, target: Callable[[], None], name: str) -> Callable[[], None]:
        def run() -> None:
            while not self._stopping.is_set():
                try:
                    target()
                    return
                except Exception as exc:  # keep the controller alive, say what happened
                    log.exception("stack controller: %s failed; restarting it", name)
                    self.stats.error(f"Controller error in {name}: {exc}")
                    self._stopping.wait(1.0)

        return run

    def _claim_loop(self) -> None:
        while not self._stopping.is_set():
            if self._paused.is_set() or not self._is_leader:
                self._wakeup.wait()
                continue
            free = self._reserve()
            if free == 0:
                self._wakeup.wait()
                continue
            try:
                claimed = self._claim(free)
            except Exception as exc:  # database away: say so, try again at the polling floor
                log.warning("stack controller: claiming failed: %s", exc)
                self.stats.error(f"Could not read the stack: {trim_error(str(exc))}")
                self._stopping.wait(1.0)
                continue
            if len(claimed) < free:
                # Nothing else is due: sleep until woken, the next due time or the floor.
                self._wakeup.wait(self._seconds_until_due())

    def _reserve(self) -> int:
        """Take every free worker slot for a claim; the claim gives back what it did not use."""
        with self._lock:
            free = max(self.concurrency - self._busy, 0)
            self._busy += free
            return free

    def _claim(self, slots: int, *, hand_out: bool = True) -> list[ClaimedRecord]:
        """Claim up to ``slots`` records into slots the caller reserved (unused ones are freed).
        ``hand_out``: queue them for the workers; otherwise the caller sends them itself."""
        with self._lock:
            busy_orders = {r.order_id for r in self._in_flight.values()}
            if self._once:
                busy_orders |= self._failed_orders
        try:
            with self._write_lock:
                claimed = stack_queue.claim(
                    self.database,
                    self.controller_id,
                    limit=slots,
                    lease=self.lease,
                    queued_by=self.workstation if self.mode is StackControllerMode.LOCAL else None,
                    skip_orders=busy_orders,
                )
        except Exception:
            with self._lock:
                self._busy -= slots
            raise
        with self._lock:
            self._busy -= slots - len(claimed)
            for record in claimed:
                self._in_flight[record.id] = record
        if hand_out:
            for record in claimed:
                self._work.put(record)
        return claimed

    def _seconds_until_due(self) -> float | None:
        try:
            due = stack_queue.next_due_at(
                self.database,
                queued_by=self.workstation if self.mode is StackControllerMode.LOCAL else None,
            )
        except Exception:
            return None
        if due is None:
            return None
        # At least a moment: a record due now that the claim skipped (locked by a concurrent
        # claim on PostgreSQL) must not turn this into a busy loop.
        return max((due - datetime.now(UTC)).total_seconds(), 0.02)

    def _worker_loop(self) -> None:
        while True:
            record = self._work.get()
            if record is None:
                return
            # While there is work, a worker claims its own next record in the slot it holds:
            # no hand-over through the claim thread on the busy path.
            current: ClaimedRecord | None = record
            while current is not None:
                if self._stopping.is_set():
                    self._settler.release(current)
                    self._done(current)
                    break
                try:
                    self._settle(current, self._send(current))
                finally:
                    with self._lock:
                        self._in_flight.pop(current.id, None)
                current = self._claim_next()

    def _claim_next(self) -> ClaimedRecord | None:
        """The next record for the slot this worker holds, or None (slot freed)."""
        if self._stopping.is_set() or self._paused.is_set() or not self._is_leader:
            claimed: list[ClaimedRecord] = []
            with self._lock:
                self._busy -= 1
        else:
            try:
                claimed = self._claim(1, hand_out=False)
            except Exception as exc:  # the claim thread reports and retries at its own pace
                log.warning("stack controller: claiming failed: %s", exc)
                claimed = []
        if not claimed:
            self._wakeup.set()  # a slot is free: the claim thread takes over
            return None
        return claimed[0]

    def _send(self, record: ClaimedRecord) -> Outcome:
        try:
            sender, limiter = self._senders.get(record)
            if not limiter.acquire(self._stopping):
                return RetryLater("The controller stopped before this update was sent.", 1.0)
            self.stats.sending()
            return sender.send(record)
        except Exception as exc:  # a connector bug must not stop the loop or lose the record
            log.exception("stack controller: sending record %s failed unexpectedly", record.id)
            return RetryLater(trim_error(f"Unexpected error while sending: {exc!r}"))

    def _settle(self, record: ClaimedRecord, outcome: Outcome) -> None:
        now = datetime.now(UTC)
        if isinstance(outcome, Delivered):
            self._settler.delivered(record, self._stopping)
        elif isinstance(outcome, Rejected):
            self._settler.hold(record, outcome.error, self._stopping)
            self._remember_failure(record)
        else:
            delay = outcome.retry_after
            if delay is None:
                delay = backoff.full_jitter(record.attempts, base=self.backoff_base)
            self._settler.reschedule(
                record, outcome.error, now + timedelta(seconds=delay), self._stopping
            )
            self._remember_failure(record)
        self._report()

    def _remember_failure(self, record: ClaimedRecord) -> None:
        if self._once:
            with self._lock:
                self._failed_orders.add(record.order_id)

    def _done(self, record: ClaimedRecord) -> None:
        """A record leaves its slot without a successor."""
        with self._lock:
            self._in_flight.pop(record.id, None)
            self._busy -= 1
        self._wakeup.set()  # a worker is free: the claim loop may claim again

    def _release_unstarted(self) -> None:
        while True:
            try:
                record = self._work.get_nowait()
            except thread_queue.Empty:
                return
            if record is not None:
                self._settler.release(record)
                self._done(record)

    def _heartbeat_loop(self) -> None:
        from ordermanager.stack import controllers, election

        while not self._heartbeat_stop.is_set():
            try:
                with self._write_lock:
                    alive = controllers.heartbeat(
                        self.database,
                        self.controller_id,
                        lease=self.lease,
                        state=self._db_state(),
                        stats=self.stats.for_heartbeat(),
                    )
                if alive is False:
                    # Another controller presumed us dead (we were frozen past the lease) and
                    # released our claims; our late settles will fail their fence, as they must.
                    log.warning("stack controller: was presumed dead; its claims were released")
                    self.stats.error("This controller missed its heartbeats; claims were released.")
                with self._write_lock:
                    controllers.recover_dead_controllers(self.database, dead_after=self.lease)
                if self.mode is StackControllerMode.SHARED:
                    with self._write_lock:
                        leader = election.try_acquire_shared_lease(
                            self.database, self.controller_id, self.workstation, ttl=self.lease
                        )
                    if leader != self._is_leader:
                        self._is_leader = leader
                        if not self._paused.is_set():
                            self._set_state("running" if leader else WAITING_FOR_LEASE)
                        self._wakeup.set()
            except Exception as exc:
                log.warning("stack controller: heartbeat failed: %s", exc)
                self.stats.error(f"Heartbeat failed: {trim_error(str(exc))}")
            self._report()
            self._heartbeat_stop.wait(self.heartbeat_every)

    # -- registry ---------------------------------------------------------------------------

    def _register(self) -> None:
        from ordermanager.stack import controllers

        self.controller_id = controllers.register_controller(
            self.database, mode=self.mode.value, workstation=self.workstation
        )
        self._set_state("running" if self._is_leader else WAITING_FOR_LEASE)
        self._settler.event(
            "info",
            f"Stack controller started ({self.mode.value} mode, concurrency {self.concurrency}, "
            f"workstation {self.workstation}).",
        )
        if self.mode is StackControllerMode.SHARED:
            # Try at once, so a lone workstation does not wait a heartbeat before sending.
            from ordermanager.stack import election

            try:
                self._is_leader = election.try_acquire_shared_lease(
                    self.database, self.controller_id, self.workstation, ttl=self.lease
                )
            except Exception as exc:
                log.warning("stack controller: shared lease: %s", exc)
            self._set_state("running" if self._is_leader else WAITING_FOR_LEASE)

    def _unregister(self) -> None:
        from ordermanager.stack import controllers, election

        if not self.controller_id:
            return
        try:
            if self.mode is StackControllerMode.SHARED and self._is_leader:
                election.release_shared_lease(self.database, self.controller_id)
            controllers.unregister_controller(self.database, self.controller_id)
            totals = self.stats.copy()
            self._settler.event(
                "info",
                f"Stack controller stopped: {totals.sent_total} sent, "
                f"{totals.failed_total} failed attempts.",
            )
        except Exception as exc:  # the heartbeat lapses and others recover our claims
            log.warning("stack controller: could not unregister cleanly: %s", exc)

    # -- helpers ----------------------------------------------------------------------------

    def _in_flight_count(self) -> int:
        with self._lock:
            return len(self._in_flight)

    def _db_state(self) -> str:
        if self._stopping.is_set():
            return "stopping"
        return "paused" if self._paused.is_set() else "running"

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self._report(force=True)

    def _report(self, force: bool = False) -> None:
        if self._listener is None:
            return
        now = time.monotonic()
        if not force and now - self._last_report < 0.25:
            return
        self._last_report = now
        try:
            self._listener(self.snapshot())
        except Exception:
            log.exception("stack controller: the snapshot listener failed")
