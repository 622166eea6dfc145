"""Backoff bounds, Retry-After parsing, transient vs permanent (ordermanager.stack.backoff)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordermanager.stack import backoff

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=2**32))
def test_full_jitter__within_zero_and_capped_ceiling(attempts: int, seed: int) -> None:
    delay = backoff.full_jitter(attempts, rng=random.Random(seed))
    assert 0.0 <= delay <= min(300.0, 2.0 ** min(attempts, 64))
    assert delay <= backoff.CAP_SECONDS


@given(st.integers(min_value=0, max_value=200))
def test_backoff_ceiling__doubles_until_the_cap(attempts: int) -> None:
    ceiling = backoff.backoff_ceiling(attempts)
    assert ceiling == min(300.0, float(2**attempts))
    assert backoff.backoff_ceiling(attempts + 1) >= ceiling


def test_full_jitter__spreads_over_the_whole_range() -> None:
    rng = random.Random(7)
    delays = [backoff.full_jitter(8, rng=rng) for _ in range(2000)]  # ceiling 256 s
    # Full jitter, not "ceiling plus a little": the low and the high quarter both get picked.
    assert min(delays) < 64 and max(delays) > 192
    assert all(0 <= d <= 256 for d in delays)


@given(st.integers(min_value=0, max_value=10**9))
def test_retry_after_seconds__clamped_to_one_second_and_fifteen_minutes(seconds: int) -> None:
    parsed = backoff.parse_retry_after(str(seconds), NOW)
    assert parsed == min(max(float(seconds), 1.0), 900.0)


@given(st.integers(min_value=-10_000, max_value=10_000))
def test_retry_after_http_date__seconds_from_now_clamped(offset: int) -> None:
    header = format_datetime(NOW + timedelta(seconds=offset), usegmt=True)
    assert backoff.parse_retry_after(header, NOW) == min(max(float(offset), 1.0), 900.0)


@pytest.mark.parametrize("value", [None, "", "   ", "soon", "-5", "1.5", "Thu, 99 Foo 2026"])
def test_retry_after__unreadable_values_give_none(value: str | None) -> None:
    assert backoff.parse_retry_after(value, NOW) is None


def test_retry_after__imf_fixdate_example_from_the_rfc() -> None:
    now = datetime(2015, 10, 21, 7, 27, 0, tzinfo=UTC)
    assert backoff.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 60.0


@pytest.mark.parametrize(
    ("status", "transient"),
    [
        (408, True),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (599, True),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (409, False),
        (422, False),
        (200, False),
        (302, False),
    ],
)
def test_status_classification(status: int, transient: bool) -> None:
    assert backoff.is_transient_status(status) is transient


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (httpx.ConnectTimeout("x"), True),
        (httpx.ReadTimeout("x"), True),
        (httpx.WriteTimeout("x"), True),
        (httpx.PoolTimeout("x"), True),
        (httpx.ConnectError("x"), True),
        (httpx.ReadError("x"), True),
        (httpx.RemoteProtocolError("x"), True),
        (ConnectionResetError(), True),
        (httpx.UnsupportedProtocol("x"), False),
        (httpx.InvalidURL("x"), False),
        (ValueError("x"), False),
    ],
)
def test_exception_classification(error: BaseException, transient: bool) -> None:
    assert backoff.is_transient_exception(error) is transient
