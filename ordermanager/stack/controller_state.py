"""What a stack controller knows about itself, and how it settles records safely.

Kept apart from the loop in controller.py: the counters behind ``snapshot()`` and the heartbeat,
and the settle step, which must survive a database that is briefly away (a settle that fails is
tried again while the controller runs; the claim keeps the record from anyone else meanwhile).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from ordermanager.db.engine import Database
from ordermanager.stack import queue as stack_queue
from ordermanager.stack.delivery import trim_error
from ordermanager.stack.queue import ClaimedRecord

SOURCE = "stack-controller"


@dataclass(frozen=True)
class ControllerSnapshot:
    """A plain copy of a controller's state for the GUI and the CLI (safe across threads)."""

    state: str  # running | paused | stopping | stopped | waiting for the shared lease
    mode: str
    controller_id: str
    in_flight: int
    sent_total: int
    failed_total: int
    sends_last_minute: int
    last_ok_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    workstation: str = ""
    held_total: int = 0
    lost_claims: int = 0


@dataclass(frozen=True)
class DrainResult:
    """What one ``run_until_idle`` did."""

    delivered: int
    retry_later: int
    held: int
    lost_claims: int
    seconds: float

    def summary(self) -> str:
        return (
            f"{self.delivered} delivered, {self.retry_later} to retry later, {self.held} held, "
            f"{self.lost_claims} lost claims, in {self.seconds:.1f} s"
        )


@dataclass
class Totals:
    sent_total: int = 0  # delivered (the cart said OK)
    failed_total: int = 0  # attempts that did not deliver
    retry_later: int = 0
    held_total: int = 0
    lost_claims: int = 0
    last_ok_at: datetime | None = None
    last_error: str = ""
    last_error_at: datetime | None = None


class Stats:
    """Thread-safe counters of one controller."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._totals = Totals()
        self._sends: deque[float] = deque()

    def copy(self) -> Totals:
        with self._lock:
            return replace(self._totals)

    def sending(self) -> None:
        now = time.monotonic()
        with self._lock:
            self._sends.append(now)
            self._trim(now)

    def delivered(self) -> None:
        with self._lock:
            self._totals.sent_total += 1
            self._totals.last_ok_at = datetime.now(UTC)

    def failed(self, error: str, *, held: bool) -> None:
        with self._lock:
            self._totals.failed_total += 1
            if held:
                self._totals.held_total += 1
            else:
                self._totals.retry_later += 1
            self._set_error(error)

    def lost_claim(self) -> None:
        with self._lock:
            self._totals.lost_claims += 1

    def error(self, error: str) -> None:
        with self._lock:
            self._set_error(error)

    def _set_error(self, error: str) -> None:
        self._totals.last_error = trim_error(error)
        self._totals.last_error_at = datetime.now(UTC)

    def sends_last_minute(self) -> int:
        with self._lock:
            self._trim(time.monotonic())
            return len(self._sends)

    def _trim(self, now: float) -> None:
        while self._sends and self._sends[0] < now - 60.0:
            self._sends.popleft()

    def snapshot(
        self, *, state: str, mode: str, controller_id: str, in_flight: int, workstation: str
    ) -> ControllerSnapshot:
        per_minute = self.sends_last_minute()
        t = self.copy()
        return ControllerSnapshot(
            state=state,
            mode=mode,
            controller_id=controller_id,
            in_flight=in_flight,
            sent_total=t.sent_total,
            failed_total=t.failed_total,
            sends_last_minute=per_minute,
            last_ok_at=t.last_ok_at,
            last_error=t.last_error,
            last_error_at=t.last_error_at,
            workstation=workstation,
            held_total=t.held_total,
            lost_claims=t.lost_claims,
        )

    def for_heartbeat(self) -> Any:
        """The registry's ControllerStats for ``controllers.heartbeat``."""
        from ordermanager.stack.controllers import ControllerStats

        per_minute = self.sends_last_minute()
        t = self.copy()
        return ControllerStats(
            sent_total=t.sent_total,
            failed_total=t.failed_total,
            sends_last_minute=per_minute,
            last_ok_at=t.last_ok_at,
            last_error=t.last_error,
            last_error_at=t.last_error_at,
        )

    def since(self, before: Totals, seconds: float) -> DrainResult:
        t = self.copy()
        return DrainResult(
            delivered=t.sent_total - before.sent_total,
            retry_later=t.retry_later - before.retry_later,
            held=t.held_total - before.held_total,
            lost_claims=t.lost_claims - before.lost_claims,
            seconds=seconds,
        )


class Settler:
    """Applies an outcome to the stack through the fenced queue functions."""

    # Waits between tries of a settle the database refused (then every 5 s until stopped).
    RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)

    def __init__(
        self,
        database: Database,
        stats: Stats,
        log: logging.Logger,
        write_lock: AbstractContextManager[object] | None = None,
    ) -> None:
        self.database = database
        self.stats = stats
        self.log = log
        self.write_lock = write_lock or contextlib.nullcontext()

    def delivered(self, record: ClaimedRecord, stopping: threading.Event) -> None:
        # The cart has it whatever the database says next: count it once, here.
        self.stats.delivered()
        kept = self._retrying(
            "delete",
            record,
            stopping,
            lambda: stack_queue.delete_delivered(self.database, record.id, record.claim_token),
        )
        if kept is False:
            self._lost(record, "delivered, but another controller had claimed it meanwhile")

    def delivered_batch(self, records: list[ClaimedRecord], stopping: threading.Event) -> None:
        """Delete delivered records in one fenced transaction (counted when the cart said OK)."""
        if not records:
            return
        deleted = self._retrying(
            "delete",
            records[0],
            stopping,
            lambda: stack_queue.delete_delivered_many(
                self.database, [(r.id, r.claim_token) for r in records]
            ),
            batch=True,
        )
        if deleted is not None:  # None: stopping; the claims lapse, the records are sent again
            self.deleted(records, deleted)

    def deleted(self, records: list[ClaimedRecord], deleted: set[int]) -> None:
        """After a batched delete: a delivered record it did not delete had lost its claim."""
        for record in records:
            if record.id not in deleted:
                self._lost(record, "delivered, but another controller had claimed it meanwhile")

    def reschedule(
        self, record: ClaimedRecord, error: str, when: datetime, stopping: threading.Event
    ) -> None:
        self.stats.failed(error, held=False)
        kept = self._retrying(
            "reschedule",
            record,
            stopping,
            lambda: stack_queue.reschedule(
                self.database, record.id, record.claim_token, error=error, next_attempt_at=when
            ),
        )
        if kept is False:
            self._lost(record, f"failed ({error}), but had lost its claim")
        else:
            self.log.info("record %s: %s; next attempt %s", record.id, error, when.isoformat())

    def hold(self, record: ClaimedRecord, error: str, stopping: threading.Event) -> None:
        self.stats.failed(error, held=True)
        kept = self._retrying(
            "hold",
            record,
            stopping,
            lambda: stack_queue.hold(self.database, record.id, record.claim_token, error=error),
        )
        if kept is False:
            self._lost(record, f"was rejected ({error}), but had lost its claim")
        elif kept:
            self.log.warning("record %s held: %s", record.id, error)
            self.event("error", f"Held: {error}", record)

    def release_batch(self, records: list[ClaimedRecord]) -> None:
        """Give back records claimed ahead but never sent, in one transaction (pause, stop, a
        lost lease): one write per record made a stop with a full buffer take a while."""
        if not records:
            return
        try:
            with self.write_lock:
                stack_queue.release_many(self.database, [(r.id, r.claim_token) for r in records])
        except Exception as exc:  # the claims lapse with our heartbeat anyway
            self.log.warning("%d claimed records: could not release them: %s", len(records), exc)

    def release(self, record: ClaimedRecord) -> None:
        try:
            with self.write_lock:
                stack_queue.release(self.database, record.id, record.claim_token)
        except Exception as exc:  # the claim lapses with our heartbeat anyway
            self.log.warning("record %s: could not release its claim: %s", record.id, exc)

    def event(self, level: str, message: str, record: ClaimedRecord | None = None) -> None:
        """A row in event_log (in a transaction of its own); never raises."""
        try:
            from ordermanager.eventlog import log_event

            with self.write_lock, self.database.transaction() as session:
                log_event(
                    session,
                    SOURCE,
                    level,
                    message,
                    order_id=record.order_id if record else None,
                    record_id=record.id if record else None,
                )
        except Exception as exc:
            self.log.warning("could not write to the event log: %s", exc)

    def _lost(self, record: ClaimedRecord, what: str) -> None:
        self.stats.lost_claim()
        message = f"Record {record.id} {what}; the other controller's result stands."
        self.log.warning(message)
        self.event("warning", message, record)

    def _retrying(
        self,
        what: str,
        record: ClaimedRecord,
        stopping: threading.Event,
        action: Any,
        *,
        batch: bool = False,
    ) -> Any:
        """Run a settle until the database takes it. None: gave up because we are stopping (the
        claim then lapses and the record is tried again, with the same idempotency key).
        ``batch``: the action's own answer is returned (the set of ids deleted)."""
        attempt = 0
        while True:
            try:
                with self.write_lock:
                    answer = action()
                return answer if batch else bool(answer)
            except Exception as exc:
                delay = self.RETRY_DELAYS[min(attempt, len(self.RETRY_DELAYS) - 1)]
                attempt += 1
                self.log.warning("record %s: %s failed (%s); trying again", record.id, what, exc)
                self.stats.error(f"Could not update the stack: {exc}")
                if stopping.wait(delay) and attempt > 3:
                    return None
