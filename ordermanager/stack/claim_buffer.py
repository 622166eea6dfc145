"""The stack controller's local buffer: records claimed ahead, records being sent, and delivered
records waiting for their batched delete.

Claiming and deleting one record at a time cost two write transactions per record, which on a
fast cart took more time than the send itself. The controller's feed loop claims up to
``capacity`` records in one transaction into this buffer, and workers block on it (no polling)
to take the next record. Delivered records collect here and leave the stack in one fenced delete
per batch: when enough have collected, when the workers would otherwise idle, or after
``flush_after`` seconds.

Safe because claims live as long as the controller's heartbeat: a record held here is claimed
like one being sent, and at a crash every claim is recovered with the heartbeat. A record
delivered but not yet deleted at a crash is sent again under the same idempotency key
(at-least-once). Per-order FIFO is untouched: claim hands out only the head of each order, and an
order's next record becomes claimable only once the delete of its head committed.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from ordermanager.stack.queue import ClaimedRecord

CLAIM_AHEAD_PER_WORKER = 8
MIN_CLAIM_AHEAD = 64
FLUSH_AFTER = 0.025  # seconds a delivered record may wait for its batched delete


def default_capacity(concurrency: int) -> int:
    """How many records a controller holds claimed at most (buffered, sending or delivered)."""
    return max(concurrency * CLAIM_AHEAD_PER_WORKER, MIN_CLAIM_AHEAD)


class ClaimBuffer:
    def __init__(
        self, capacity: int, kick: Callable[[], None], *, flush_after: float = FLUSH_AFTER
    ) -> None:
        self.capacity = max(capacity, 1)
        # Below this many ready records the feed loop claims more; this many delivered records
        # are deleted without waiting for ``flush_after``.
        self.low_water = max(self.capacity // 2, 1)
        self.flush_batch = max(self.capacity // 2, 1)
        self.flush_after = flush_after
        self._kick = kick  # wakes the feed loop
        self._cond = threading.Condition()
        self._ready: deque[ClaimedRecord] = deque()
        self._sending: dict[int, ClaimedRecord] = {}
        self._delivered: list[ClaimedRecord] = []
        self._first_delivered_at = 0.0
        self._closed = False

    # -- workers ----------------------------------------------------------------------------

    def take(self) -> ClaimedRecord | None:
        """The next record to send, waiting for one; None once the buffer is closed."""
        with self._cond:
            while not self._ready and not self._closed:
                if self._delivered:
                    self._kick()  # idle workers: delete what was delivered, claim what it frees
                self._cond.wait()
            if self._closed:
                return None
            record = self._ready.popleft()
            self._sending[record.id] = record
            kick = len(self._ready) == self.low_water - 1 or not self._ready
        if kick:
            self._kick()
        return record

    def delivered(self, record: ClaimedRecord) -> None:
        """The cart said OK: the record waits for the next batched delete."""
        with self._cond:
            self._sending.pop(record.id, None)
            if not self._delivered:
                self._first_delivered_at = time.monotonic()
            self._delivered.append(record)
            kick = len(self._delivered) >= self.flush_batch or not self._ready
        if kick:
            self._kick()

    def finished(self, record: ClaimedRecord) -> None:
        """The record was settled otherwise (rescheduled, held, released): its place is free."""
        with self._cond:
            self._sending.pop(record.id, None)
        self._kick()

    # -- the feed loop ----------------------------------------------------------------------

    def add(self, records: list[ClaimedRecord]) -> None:
        with self._cond:
            self._ready.extend(records)
            self._cond.notify(len(records))

    def room(self, *, after_flush: bool = False) -> int:
        """How many more records may be claimed now (``after_flush``: once the delivered records
        waiting here are deleted)."""
        with self._cond:
            held = len(self._ready) + len(self._sending)
            if not after_flush:
                held += len(self._delivered)
            return max(self.capacity - held, 0)

    def wants_more(self) -> bool:
        with self._cond:
            return len(self._ready) < self.low_water

    def flush_in(self) -> float | None:
        """Seconds until the delivered records should be deleted (0: now); None: none wait."""
        with self._cond:
            if not self._delivered:
                return None
            if len(self._delivered) >= self.flush_batch or not self._ready:
                return 0.0
            return max(self._first_delivered_at + self.flush_after - time.monotonic(), 0.0)

    def take_delivered(self) -> list[ClaimedRecord]:
        with self._cond:
            batch, self._delivered = self._delivered, []
            return batch

    def take_ready(self) -> list[ClaimedRecord]:
        """Every record not yet handed to a worker (to release on pause, lost lease or stop)."""
        with self._cond:
            records = list(self._ready)
            self._ready.clear()
            return records

    def busy_orders(self) -> set[int]:
        """Orders with a record held here: never claim a second record of them."""
        with self._cond:
            held = [*self._ready, *self._sending.values(), *self._delivered]
            return {record.order_id for record in held}

    def sending(self) -> list[ClaimedRecord]:
        with self._cond:
            return list(self._sending.values())

    def sending_count(self) -> int:
        with self._cond:
            return len(self._sending)

    def idle(self) -> bool:
        """Nothing ready, being sent or waiting for its delete."""
        with self._cond:
            return not (self._ready or self._sending or self._delivered)

    def close(self) -> None:
        """Workers waiting in ``take`` get None; records still ready stay for ``take_ready``."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
