"""The stack controller: claims status updates from the stack, sends them, and settles each one.

One feed thread and a pool of ``concurrency`` worker threads. The feed thread claims records ahead
in batches (one transaction for many records) into a local buffer (claim_buffer.py) the workers
block on, and deletes delivered records in batches, one fenced transaction per batch: two write
transactions per record used to cost more than a send to a fast cart. At most ``concurrency``
records are being sent at once. Claim only hands out the head record of each order, so an order
never has two records in flight and its updates leave in the order they were queued; a batched
delete only delays the next record of that order by a few milliseconds. A heartbeat thread keeps
this controller's claims alive (claims last as long as the heartbeat, not as long as a guess at
the send time), recovers
the claims of controllers that stopped heartbeating, and in Shared mode holds the shared lease.

Every settle is fenced by the claim token: a controller that lost its claim (paused past its lease,
say) changes nothing, and the lost fence is logged as a warning. Nothing a cart, the network or the
database does may end the loop: unexpected exceptions become RetryLater with their text.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

from ordermanager.db.engine import Database
from ordermanager.settings import StackControllerMode
from ordermanager.stack import backoff
from ordermanager.stack import queue as stack_queue
from ordermanager.stack.claim_buffer import ClaimBuffer, default_capacity
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
        claim_ahead: int | None = None,
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
        self._senders = SenderPool(sender_factory, _with_status_maps(delivery, database))
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
        # Records held claimed at most: waiting for a worker, being sent, or waiting for the delete.
        self.claim_ahead = claim_ahead or default_capacity(concurrency)
        self._buffer = ClaimBuffer(self.claim_ahead, self._wakeup.set)
        self._stopping = threading.Event()
        self._heartbeat_stop = threading.Event()
        # Carts that accepted an update since the last heartbeat, and when (carts table).
        self._sent_to: dict[int, datetime] = {}
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
        self._spawn(self._feed_loop, "stack-controller-feed")
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
                claimed, asked = self._feed()
                if asked and not claimed and self._buffer.idle():
                    break
                self._wakeup.wait(self._feed_wait(dry=asked > len(claimed)))
        finally:
            self.stop()
        return self.stats.since(before, time.monotonic() - started)

    def pause(self) -> None:
        """Stop claiming new records; sends in flight finish."""
        self._paused.set()
        self._set_state("paused")
        self._wakeup.set()  # the feed loop gives back what it claimed ahead

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
        self._buffer.close()
        self._release_ready()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.name != HEARTBEAT_THREAD:
                thread.join(max(deadline - time.monotonic(), 0.0))
        self._release_ready()  # anything the feed thread claimed while stopping
        # Delivered records leave the stack now, not with the next controller's repeat.
        self._settler.delivered_batch(self._buffer.take_delivered(), self._stopping)
        for record in self._buffer.sending():
            # Still sending after the timeout: give it back. The late answer settles nothing
            # (the fence is gone); the record is sent again with the same idempotency key.
            self._settler.release(record)
        # The heartbeat kept our claims alive while sends finished; now it may go.
        self._heartbeat_stop.set()
        for thread in self._threads:
            if thread.name == HEARTBEAT_THREAD:
                thread.join(5.0)
        try:
            self._write_carts_sent()
        except Exception as exc:  # the database may be what stopped us; the figure can wait
            log.warning("stack controller: could not record the carts' last delivery: %s", exc)
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

    def _feed_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                claimed, asked = self._feed()
            except Exception as exc:  # database away: say so, try again at the polling floor
                log.warning("stack controller: claiming failed: %s", exc)
                self.stats.error(f"Could not read the stack: {trim_error(str(exc))}")
                self._stopping.wait(1.0)
                continue
            self._wakeup.wait(self._feed_wait(dry=asked > len(claimed)))

    def _feed(self) -> tuple[list[ClaimedRecord], int]:
        """One turn of the feed loop: top up the buffer, deleting what was delivered in the same
        transaction, or only delete when that is due. Returns what was claimed and how many
        were asked for (0: no claim tried)."""
        may_claim = not self._paused.is_set() and self._is_leader
        if not may_claim:
            self._release_ready()
        flush = self._buffer.flush_in() == 0.0
        # A due delete also tops up the buffer (one transaction for both): fewer, larger
        # transactions leave the workers more of the GIL.
        room = self._buffer.room(after_flush=True)
        if not (may_claim and (flush or self._buffer.wants_more()) and room):
            if flush:
                self._settler.delivered_batch(self._buffer.take_delivered(), self._stopping)
            return [], 0
        delivered = self._buffer.take_delivered()
        room = self._buffer.room()
        skip = self._buffer.busy_orders()
        if self._once:
            with self._lock:
                skip |= self._failed_orders
        try:
            with self._write_lock:
                deleted, claimed = stack_queue.delete_delivered_then_claim(
                    self.database,
                    [(r.id, r.claim_token) for r in delivered],
                    self.controller_id,
                    limit=room,
                    lease=self.lease,
                    queued_by=self.workstation if self.mode is StackControllerMode.LOCAL else None,
                    skip_orders=skip,
                )
        except Exception:
            # Nothing was deleted (the transaction rolled back): delete on its own, retrying.
            self._settler.delivered_batch(delivered, self._stopping)
            raise
        self._settler.deleted(delivered, deleted)
        if claimed:
            self._buffer.add(claimed)
        return claimed, room

    def _feed_wait(self, *, dry: bool) -> float | None:
        """How long the feed loop may sleep: until the pending deletes are due, or (nothing more
        was due) until the next record is; workers and wake-ups interrupt it."""
        flush = self._buffer.flush_in()
        due = self._seconds_until_due() if dry else None
        waits = [w for w in (flush, due) if w is not None]
        return min(waits) if waits else None

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
            record = self._buffer.take()
            if record is None:
                return
            outcome = self._send(record)
            if isinstance(outcome, Delivered):
                # The cart has it whatever the database says next: count it once, here.
                self.stats.delivered()
                self._sent_to[record.cart_id] = datetime.now(UTC)
                self._buffer.delivered(record)
                self._report()
            else:
                try:
                    self._settle_failure(record, outcome)
                finally:
                    self._buffer.finished(record)

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

    def _settle_failure(self, record: ClaimedRecord, outcome: Outcome) -> None:
        if isinstance(outcome, Rejected):
            self._settler.hold(record, outcome.error, self._stopping)
        else:
            assert isinstance(outcome, RetryLater)
            delay = outcome.retry_after
            if delay is None:
                delay = backoff.full_jitter(record.attempts, base=self.backoff_base)
            when = datetime.now(UTC) + timedelta(seconds=delay)
            self._settler.reschedule(record, outcome.error, when, self._stopping)
        if self._once:  # not retried in this run
            with self._lock:
                self._failed_orders.add(record.order_id)
        self._report()

    def _release_ready(self) -> None:
        self._settler.release_batch(self._buffer.take_ready())

    def _write_carts_sent(self) -> None:
        from ordermanager.stack import controllers

        sent, self._sent_to = self._sent_to, {}
        if sent:
            with self._write_lock:
                controllers.mark_carts_sent(self.database, sent)

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
                        mode=self.mode.value,
                        workstation=self.workstation,
                    )
                if alive is False:
                    # Another controller presumed us dead (we were frozen past the lease) and
                    # released our claims; our late settles will fail their fence, as they must.
                    log.warning("stack controller: was presumed dead; its claims were released")
                    self.stats.error("This controller missed its heartbeats; claims were released.")
                self._write_carts_sent()
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
        return self._buffer.sending_count()

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


def _with_status_maps(delivery: DeliveryConfig | None, database: Database) -> DeliveryConfig:
    """The delivery settings with each cart's status mapping read from this database (cached a
    few seconds, so an edit in the Carts dialog reaches waiting updates without a restart)."""
    from ordermanager.carts.status_map import StatusMapCache, load_status_map

    def load(cart_id: int) -> Any:
        with database.session() as session:
            return load_status_map(session, cart_id)

    config = delivery or DeliveryConfig()
    if config.status_maps is not None:
        return config
    return dataclasses.replace(config, status_maps=StatusMapCache(load).get)
