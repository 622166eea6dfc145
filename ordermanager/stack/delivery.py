"""Sending one stack record to its cart: the outcomes, the sender protocol and the registry.

A sender turns one claimed record into one of three outcomes and never raises for anything a cart
or the network can do: Delivered (the cart said OK: delete the record), RetryLater (transient:
reschedule) or Rejected (permanent: put the record on hold for an operator). The controller keeps
one sender per cart, so each cart gets one long-lived ``httpx.Client`` (pooled keep-alive
connections) and its own rate limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import httpx

if TYPE_CHECKING:
    from ordermanager.stack.queue import ClaimedRecord

ERROR_TEXT_LIMIT = 500
DEFAULT_RATE_PER_SECOND = 10.0


@dataclass(frozen=True)
class Delivered:
    detail: str = ""


@dataclass(frozen=True)
class RetryLater:
    error: str
    retry_after: float | None = None  # seconds, from the cart's Retry-After


@dataclass(frozen=True)
class Rejected:
    error: str  # permanent: the record goes on hold


Outcome = Delivered | RetryLater | Rejected


class Sender(Protocol):
    def send(self, record: ClaimedRecord) -> Outcome: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class DeliveryConfig:
    """How senders talk to carts. Tests shorten the timeouts; the defaults suit real carts."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    write_timeout: float = 10.0
    pool_timeout: float = 5.0
    # Requests per second per cart (a token bucket); 0 or less: no limit.
    rate_per_second: float = DEFAULT_RATE_PER_SECOND
    max_connections: int = 16
    # Only for tests and tools: the shared secret to sign with instead of the keyring's.
    secret_override: str | None = None
    # Each cart's status mapping by cart id (ordermanager.carts.status_map.StatusMapCache.get);
    # the controller sets it. None: connectors use their kind's default mapping.
    status_maps: Callable[..., Any] | None = None  # (cart_id, *, fresh=False) -> StatusMap

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.write_timeout,
            pool=self.pool_timeout,
        )


class RateLimiter:
    """A token bucket shared by the worker threads sending to one cart.

    ``acquire`` blocks the calling worker until a token is free, so a busy cart slows only the
    workers sending to it; the burst equals one second's worth of tokens.
    """

    def __init__(self, rate_per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate_per_second
        self.capacity = max(rate_per_second, 1.0)
        self._tokens = self.capacity
        self._clock = clock
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Take one token, waiting for it if needed. False when ``stop`` was set while waiting."""
        if self.rate <= 0:
            return True
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return True
                wait = (1.0 - self._tokens) / self.rate
            if stop is not None:
                if stop.wait(wait):
                    return False
            else:
                time.sleep(wait)


class UnsupportedCartSender:
    """The answer for cart kinds whose connector is not installed yet: hold, with the reason."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def send(self, record: ClaimedRecord) -> Outcome:
        return Rejected(
            f"No connector for {self.kind or 'this kind of'} carts is installed yet, so status "
            "updates for this cart cannot be sent. Discard the record, or retry it once the "
            "connector is available."
        )

    def close(self) -> None:
        pass


def sender_for(record: ClaimedRecord, config: DeliveryConfig | None = None) -> Sender:
    """The sender for the record's cart. Connectors for other cart kinds plug in here."""
    config = config or DeliveryConfig()
    if record.cart_demo:
        from ordermanager.stack.demo_sender import DemoSender

        return DemoSender()
    kind = record.cart_kind.strip().lower()
    if kind == "generic":
        from ordermanager.stack.generic import GenericSender

        return GenericSender(
            record.cart_name,
            record.cart_base_url,
            config=config,
            secret=config.secret_override,
        )
    from ordermanager.carts.senders import connector_sender

    return connector_sender(record, config) or UnsupportedCartSender(record.cart_kind)


SenderFactory = Callable[["ClaimedRecord"], Sender]


class SenderPool:
    """One sender per cart, created on first use and reused for every later record of that cart.

    Thread-safe: the controller's workers share it. ``close`` closes every sender's client.
    """

    def __init__(self, factory: SenderFactory | None = None, config: DeliveryConfig | None = None):
        self._config = config or DeliveryConfig()
        self._factory: SenderFactory = factory or (lambda r: sender_for(r, self._config))
        self._senders: dict[int, Sender] = {}
        self._limiters: dict[int, RateLimiter] = {}
        self._lock = threading.Lock()

    def get(self, record: ClaimedRecord) -> tuple[Sender, RateLimiter]:
        with self._lock:
            sender = self._senders.get(record.cart_id)
            if sender is None:
                sender = self._factory(record)
                self._senders[record.cart_id] = sender
                self._limiters[record.cart_id] = RateLimiter(self._config.rate_per_second)
            return sender, self._limiters[record.cart_id]

    def close(self) -> None:
        with self._lock:
            senders = list(self._senders.values())
            self._senders.clear()
            self._limiters.clear()
        for sender in senders:
            sender.close()


def trim_error(text: str, limit: int = ERROR_TEXT_LIMIT) -> str:
    """One tidy line of at most ``limit`` characters for the record's last_error."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
