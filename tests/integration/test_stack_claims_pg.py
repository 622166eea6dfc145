"""Claims and the shared lease under real concurrency on PostgreSQL: separate engines (each its
own connections, as separate workstations have) racing behind a barrier."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import func, insert, select

from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, StatusUpdate
from ordermanager.stack import election, queue
from ordermanager.status.events import Event, event_info
from ordermanager.status.firing import status_update_row
from tests.integration.test_stack_queue import LEASE, T0, make_orders, make_orders_bulk

R = TypeVar("R")


def race(pg_db: Database, workers: int, work: Callable[[Database, int], R]) -> list[R]:
    """Run ``work(database, index)`` on ``workers`` threads, each with its own engine, started
    together behind a barrier; returns the results, raising the first error."""
    databases = [Database(pg_db.location) for _ in range(workers)]
    barrier = threading.Barrier(workers)
    results: list[R | None] = [None] * workers
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            with databases[index].engine.connect():
                pass  # connect before the start, so they really race
            barrier.wait(timeout=30)
            results[index] = work(databases[index], index)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for database in databases:
        database.dispose()
    if errors:
        raise errors[0]
    assert not any(thread.is_alive() for thread in threads)
    return [r for r in results if r is not None]


def test_four_controllers_claim_disjoint_records(pg_db: Database) -> None:
    """2,000 records, each the head of its own order; four controllers claim them in batches of
    ten at the same time: every record is claimed exactly once."""
    total = 2000
    make_orders(pg_db, 1)
    order_ids = make_orders_bulk(pg_db, total)
    with pg_db.transaction() as session:
        cart_id = session.execute(select(Cart.id)).scalar_one()
        rows = [
            status_update_row(
                event_info(Event.ORDER_SHIPPED),
                order_id=order_id,
                order_remote_id="r",
                order_number="1000",
                cart_id=cart_id,
                cart_kind="woocommerce",
                order_label=None,
                order_changed=True,
                item_changes=[],
                tracking=[],
                carrier="",
                now=T0,
            )
            for order_id in order_ids
        ]
        session.execute(insert(StatusUpdate), rows)

    def drain(database: Database, index: int) -> list[int]:
        claimed: list[int] = []
        while batch := queue.claim(database, f"ctl-{index}", limit=10, lease=LEASE):
            claimed.extend(record.id for record in batch)
        return claimed

    claimed = race(pg_db, 4, drain)
    assert len(claimed) == 4
    counts = Counter(rid for ids in claimed for rid in ids)
    assert len(counts) == total and set(counts.values()) == {1}
    with pg_db.session() as session:
        unclaimed = session.execute(
            select(func.count()).where(StatusUpdate.claim_token.is_(None))
        ).scalar_one()
    assert unclaimed == 0


def test_one_order_is_never_in_flight_twice(pg_db: Database) -> None:
    """Four controllers claim from one order's 50 records: only its head can ever be claimed."""
    from tests.integration.test_stack_queue import enqueue

    (order_id,) = make_orders(pg_db, 1)
    first = enqueue(pg_db, order_id, count=50)[0]

    def grab(database: Database, index: int) -> list[int]:
        return [r.id for r in queue.claim(database, f"ctl-{index}", limit=5, lease=LEASE)]

    claimed = [rid for ids in race(pg_db, 4, grab) for rid in ids]
    assert claimed == [first]


def test_racing_for_an_expired_lease_has_one_winner(pg_db: Database) -> None:
    assert election.try_acquire_shared_lease(pg_db, "old", "ws-old", ttl=LEASE, now=T0)
    expired = T0 + LEASE + timedelta(seconds=1)

    def take(database: Database, index: int) -> bool:
        return election.try_acquire_shared_lease(
            database, f"ctl-{index}", f"ws-{index}", ttl=LEASE, now=expired
        )

    wins = race(pg_db, 8, take)
    assert sorted(wins) == [False] * 7 + [True]
    holder = election.shared_lease_holder(pg_db, now=expired)
    assert holder is not None and holder.holder == f"ctl-{wins.index(True)}"
