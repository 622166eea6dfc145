"""When to try a status update again, and whether to try at all.

Full-jitter exponential backoff (AWS "Exponential Backoff And Jitter"): a random delay in
[0, min(cap, base * 2**attempts)] so controllers on several workstations never retry in step.
A cart's own ``Retry-After`` wins over our guess, clamped so a bad header can neither hammer the
cart nor park a record for days.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

BASE_SECONDS = 1.0
CAP_SECONDS = 300.0
RETRY_AFTER_MIN = 1.0
RETRY_AFTER_MAX = 15 * 60.0

# 408 Request Timeout and 429 Too Many Requests are the cart asking us to come back later.
_TRANSIENT_4XX = frozenset({408, 429})


def backoff_ceiling(
    attempts: int, *, base: float = BASE_SECONDS, cap: float = CAP_SECONDS
) -> float:
    """The largest delay full jitter may pick after ``attempts`` failed attempts."""
    # 2**attempts overflows a float long after it passes the cap; stop computing early.
    if attempts >= 64:
        return cap
    return min(cap, base * 2 ** max(attempts, 0))


def full_jitter(
    attempts: int,
    *,
    base: float = BASE_SECONDS,
    cap: float = CAP_SECONDS,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before the next attempt, uniformly in [0, min(cap, base * 2**attempts)]."""
    return (rng or random).uniform(0.0, backoff_ceiling(attempts, base=base, cap=cap))


def clamp_retry_after(seconds: float) -> float:
    return min(max(seconds, RETRY_AFTER_MIN), RETRY_AFTER_MAX)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from ``now`` that a ``Retry-After`` header asks for, clamped to [1 s, 15 min].

    RFC 9110 section 10.2.3 allows delay-seconds or an HTTP-date. None when the header is absent
    or unreadable: the caller then falls back to its own backoff.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return clamp_retry_after(float(int(text)))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # an HTTP-date is always GMT
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return clamp_retry_after((when - current).total_seconds())


def is_transient_status(status_code: int) -> bool:
    """True when an HTTP status means "try again later" rather than "this will never work"."""
    return status_code in _TRANSIENT_4XX or 500 <= status_code <= 599


def is_transient_exception(error: BaseException) -> bool:
    """Timeouts and connection failures are transient: the cart may well be back in a minute.
    Anything else (a bad URL, a protocol error we cannot recover from) is permanent."""
    return isinstance(
        error,
        httpx.TimeoutException
        | httpx.NetworkError
        | httpx.RemoteProtocolError
        | httpx.ProxyError
        | OSError,
    )
