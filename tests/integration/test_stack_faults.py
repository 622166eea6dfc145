"""Carts that misbehave: a cart that never answers, 429 with Retry-After, a burst of 500s, and a
body that is not OK. The cart server logs arrival times, so deadlines are checked where the
requests land."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from ordermanager.db.engine import Database
from tests.stack_support import seed
from tests.stack_support.cart_server import Behaviour, CartServer
from tests.stack_support.harness import SECRET, delivery, running, wait_stack_empty, wait_until


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    with CartServer(secret=SECRET) as cart:
        yield cart


def test_cart_that_never_answers__stalls_no_other_order(
    sqlite_db: Database, server: CartServer
) -> None:
    server.behave("/stuck", Behaviour(never_answer=True))
    seed.generic_cart(sqlite_db, "Stuck Store", server.url("/stuck"))
    seed.generic_cart(sqlite_db, "Good Store", server.url("/ok"))
    stuck = seed.records(sqlite_db, seed.orders(sqlite_db, "Stuck Store", 1, prefix="S"), 2)
    good = seed.records(sqlite_db, seed.orders(sqlite_db, "Good Store", 10, prefix="G"), 40)
    with running(sqlite_db, concurrency=2, delivery=delivery(read_timeout=2.0)):
        # Every good record arrives while the stuck cart still has not answered its first one.
        server.wait_for(lambda hits: len([h for h in hits if h.path == "/ok"]) == 40)
        stuck_hits = server.hits("/stuck")
        assert len(stuck_hits) == 1 and stuck_hits[0].idempotency_key == stuck.keys[0]
        # Then the read timeout ends the stuck attempt: an error to retry, not a lost record.
        wait_until(
            lambda: seed.stack_rows(sqlite_db)[0].attempts == 1, what="the stuck attempt to end"
        )
    rows = seed.stack_rows(sqlite_db)
    assert sorted(r.idempotency_key for r in rows) == sorted(stuck.keys)  # good ones all gone
    assert "no answer in time" in rows[0].last_error and rows[0].state == "queued"
    assert Counter(h.idempotency_key for h in server.hits("/ok")) == Counter(good.keys)


def test_429_with_retry_after__no_request_before_the_deadline(
    any_db: Database, server: CartServer
) -> None:
    server.script("/status", [Behaviour(429, "Too many requests", retry_after="2")])
    seed.generic_cart(any_db, "Script Store", server.url())
    seeded = seed.records(any_db, seed.orders(any_db, "Script Store", 1), 1)
    with running(any_db, poll_interval=0.1):
        server.wait_for(lambda hits: len(hits) == 1)
        row = wait_until(
            lambda: next((r for r in seed.stack_rows(any_db) if r.attempts == 1), None),
            what="the 429 saved",
        )
        assert "HTTP 429: Too many requests" in row.last_error
        assert row.next_attempt_at - row.last_error_at >= timedelta(seconds=1.9)
        hits = server.wait_for(lambda hits: len(hits) == 2)
        wait_stack_empty(any_db)
    first, second = hits
    assert first.idempotency_key == second.idempotency_key == seeded.keys[0]
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 2.0  # arrival times at the cart, same clock


def test_500_burst__backs_off_and_recovers(sqlite_db: Database, server: CartServer) -> None:
    any_db = sqlite_db
    burst = 5
    server.script("/status", [Behaviour(500, "Internal Server Error")] * burst)
    seed.generic_cart(any_db, "Script Store", server.url())
    seeded = seed.records(any_db, seed.orders(any_db, "Script Store", 1), 3)
    attempts_seen: list[int] = []
    base = 0.05
    with running(any_db, poll_interval=0.05, backoff_base=base):

        def saved_failures() -> bool:
            rows = seed.stack_rows(any_db)
            if rows and rows[0].attempts and rows[0].attempts not in attempts_seen:
                attempts_seen.append(rows[0].attempts)
                # Backed off: the next attempt is scheduled, not immediate, and within the
                # full-jitter ceiling for this attempt.
                delay = (rows[0].next_attempt_at - rows[0].last_error_at).total_seconds()
                assert 0 <= delay <= base * 2 ** (rows[0].attempts - 1) + 0.01
                assert "HTTP 500: Internal Server Error" in rows[0].last_error
            return len(server.hits()) > burst

        wait_until(saved_failures, what="the burst to pass")
        wait_stack_empty(any_db)
    hits = server.hits()
    assert [h.status for h in hits] == [500] * burst + [200] * 3
    assert [h.idempotency_key for h in hits] == [seeded.keys[0]] * (burst + 1) + seeded.keys[1:]
    assert attempts_seen and attempts_seen == sorted(attempts_seen)
    assert all(b.at >= a.at for a, b in itertools.pairwise(hits))


def test_garbage_body__is_an_error_kept_with_the_record(
    sqlite_db: Database, server: CartServer
) -> None:
    any_db = sqlite_db
    page = "<html><body>Warning: mysqli_connect(): Access denied</body></html>"
    server.behave("/status", Behaviour(200, page))
    seed.generic_cart(any_db, "Script Store", server.url())
    seeded = seed.records(any_db, seed.orders(any_db, "Script Store", 1), 2)
    with running(any_db):
        row = wait_until(
            lambda: next((r for r in seed.stack_rows(any_db) if r.state == "held"), None),
            what="the record held",
        )
    rows = seed.stack_rows(any_db)
    assert [r.idempotency_key for r in rows] == seeded.keys  # nothing deleted
    assert row.idempotency_key == seeded.keys[0] and row.attempts == 1
    assert "answered 200 without OK" in row.last_error and "Access denied" in row.last_error
    assert row.last_error_at is not None and row.last_error_at <= datetime.now(UTC)
    assert len(server.hits()) == 1  # the second waits behind the held head of its order
