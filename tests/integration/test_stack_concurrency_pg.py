"""Four controllers, each with its own Database (connection pool), drain one stack on the real
PostgreSQL. No crashes here, so the cart must see every record exactly once, and each order's
records in the order they were queued."""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack

import pytest

from ordermanager.db.engine import Database
from ordermanager.db.location import DatabaseLocation
from ordermanager.db.migrate import open_database
from tests.stack_support import seed
from tests.stack_support.cart_server import Behaviour, CartServer
from tests.stack_support.harness import (
    SECRET,
    assert_order_fifo,
    running,
    wait_stack_empty,
)

pytestmark = pytest.mark.postgres

CONTROLLERS = 4
RECORDS = 1000
ORDERS = 100


def test_four_controllers__no_record_twice_and_per_order_fifo(
    pg_db: Database, pg_location: DatabaseLocation
) -> None:
    with CartServer(secret=SECRET) as server:
        server.behave("/status", Behaviour(latency=0.001))
        seed.generic_cart(pg_db, "Script Store", server.url())
        seeded = seed.records(pg_db, seed.orders(pg_db, "Script Store", ORDERS), RECORDS)
        databases = [open_database(pg_location) for _ in range(CONTROLLERS)]
        try:
            with ExitStack() as stack:
                # A small claim-ahead: 4 x 8 claims fit in the 100 order heads, so all four
                # controllers must claim side by side (the default would let two take them all).
                controllers = [
                    stack.enter_context(
                        running(db, concurrency=4, claim_ahead=8, workstation=f"workstation-{n}")
                    )
                    for n, db in enumerate(databases)
                ]
                wait_stack_empty(pg_db, timeout=60)
                sent = [c.snapshot().sent_total for c in controllers]
        finally:
            for db in databases:
                db.dispose()
        hits = server.hits()

    counts = Counter(h.idempotency_key for h in hits)
    assert counts == Counter(seeded.keys), "some record reached the cart twice, or never"
    assert_order_fifo(hits, seeded.key_order)
    assert sum(sent) == RECORDS
    # They really shared the work (a controller that claimed nothing would hide a lock-out).
    assert all(n > 0 for n in sent), sent
