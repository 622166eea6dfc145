"""The demo store's connector: answers like a real cart so a new user sees the whole loop.

No network: a short, varying latency, now and then a transient failure (which the controller
retries with backoff, as it would for a real cart), OK otherwise.
"""

from __future__ import annotations

import random
import threading
from typing import TYPE_CHECKING

from ordermanager.stack.delivery import Delivered, Outcome, RetryLater

if TYPE_CHECKING:
    from ordermanager.stack.queue import ClaimedRecord

DEMO_FAILURE = "Demo cart: temporarily unavailable (503)"


class DemoSender:
    def __init__(
        self,
        *,
        min_latency: float = 0.05,
        max_latency: float = 0.3,
        failure_rate: float = 0.05,
        rng: random.Random | None = None,
    ) -> None:
        self.min_latency, self.max_latency = min_latency, max_latency
        self.failure_rate = failure_rate
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        # Set by close() so a stopping controller is not kept waiting by fake latency.
        self._closed = threading.Event()

    def send(self, record: ClaimedRecord) -> Outcome:
        with self._rng_lock:
            latency = self._rng.uniform(self.min_latency, self.max_latency)
            fails = self._rng.random() < self.failure_rate
        self._closed.wait(latency)
        if fails:
            return RetryLater(DEMO_FAILURE)
        return Delivered("Demo cart: OK")

    def close(self) -> None:
        self._closed.set()
