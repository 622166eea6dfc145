"""The stack controller in-process against a real cart server on 127.0.0.1: draining, modes,
holds, pause, graceful stop, wake-ups, and a loop that survives a connector that raises."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, StackControllerRow, StatusUpdate
from ordermanager.stack import notify
from ordermanager.stack.controller import StackController
from ordermanager.stack.delivery import Delivered, Outcome, SenderPool
from ordermanager.stack.queue import ClaimedRecord
from ordermanager.stack.wakeup import Wakeup
from tests.stack_support import seed
from tests.stack_support.cart_server import Behaviour, CartServer
from tests.stack_support.harness import (
    SECRET,
    assert_order_fifo,
    delivery,
    running,
    wait_stack_empty,
    wait_until,
)


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    with CartServer(secret=SECRET) as cart:
        yield cart


def setup_store(database: Database, server: CartServer, orders: int = 6, records: int = 60):  # type: ignore[no-untyped-def]
    seed.generic_cart(database, "Script Store", server.url())
    order_ids = seed.orders(database, "Script Store", orders)
    return seed.records(database, order_ids, records)


def test_drains_every_record_once__in_order_per_order(any_db: Database, server: CartServer) -> None:
    seeded = setup_store(any_db, server)
    with running(any_db, concurrency=4) as controller:
        wait_stack_empty(any_db)
        snapshot = controller.snapshot()
    hits = server.hits()
    assert Counter(h.idempotency_key for h in hits) == Counter(seeded.keys)
    assert all(h.signature_ok for h in hits)
    assert_order_fifo(hits, seeded.key_order)
    assert snapshot.sent_total == 60 and snapshot.failed_total == 0
    assert snapshot.last_ok_at is not None and snapshot.mode == "external"
    with any_db.session() as session:  # stopped: unregistered, and said so in the log table
        assert session.execute(select(StackControllerRow)).first() is None
    messages = [e.message for e in seed.event_log(any_db)]
    assert any("Stack controller started (external mode" in m for m in messages)
    assert any("Stack controller stopped: 60 sent" in m for m in messages)
    with any_db.session() as session:  # the Sync Status view's "last status update sent"
        (sent_at,) = session.execute(select(Cart.last_status_sent_at)).one()
    assert sent_at is not None and sent_at >= snapshot.last_ok_at.replace(
        microsecond=0
    ) - timedelta(seconds=1)


def test_never_more_in_flight_than_concurrency(sqlite_db: Database, server: CartServer) -> None:
    release = threading.Event()
    server.behave("/status", Behaviour(hold=release))
    setup_store(sqlite_db, server, orders=10, records=10)
    with running(sqlite_db, concurrency=3) as controller:
        server.wait_for(lambda hits: len(hits) == 3)
        with sqlite_db.session() as session:
            claimed = session.execute(
                select(StatusUpdate.id).where(StatusUpdate.claim_token.is_not(None))
            ).all()
        # Three are being sent; the rest may be claimed ahead, never more than claim_ahead.
        assert controller.snapshot().in_flight == 3
        assert 3 <= len(claimed) <= controller.claim_ahead
        assert len(server.hits()) == 3  # nobody else got through while three were held
        release.set()
        wait_stack_empty(sqlite_db)


def test_run_until_idle__drains_due_records_holds_rejects_and_returns(
    any_db: Database, server: CartServer
) -> None:
    seeded = setup_store(any_db, server, orders=4, records=12)
    bad = seed.generic_cart(any_db, "Broken Store", server.url("/missing"))
    server.behave("/missing", Behaviour(404, "Unknown order"))
    bad_orders = seed.orders(any_db, "Broken Store", 1, prefix="B")
    seed.records(any_db, bad_orders, 2)
    later = seed.records(any_db, seeded.order_ids[:1], 1, due_in=3600)  # not due now
    controller = StackController(
        any_db, mode="external", concurrency=2, delivery=delivery(), workstation="w"
    )
    result = controller.run_until_idle()
    assert (result.delivered, result.held, result.retry_later) == (12, 1, 0)
    rows = seed.stack_rows(any_db)
    # The broken cart's head is held with the cart's words; its second record waits behind it
    # (per-order FIFO); the record not yet due was left alone.
    assert [(r.cart_id, r.state, r.attempts) for r in rows] == [
        (bad, "held", 1),
        (bad, "queued", 0),
        (seeded.cart_ids[0], "queued", 0),
    ]
    assert "HTTP 404: Unknown order" in rows[0].last_error
    assert rows[2].idempotency_key == later.keys[0]
    (held_log,) = [e for e in seed.event_log(any_db) if e.record_id == rows[0].id]
    assert held_log.level == "error" and "Unknown order" in held_log.message


def test_local_mode__sends_only_this_workstations_records(
    sqlite_db: Database, server: CartServer
) -> None:
    seed.generic_cart(sqlite_db, "Script Store", server.url())
    order_ids = seed.orders(sqlite_db, "Script Store", 4)
    mine = seed.records(sqlite_db, order_ids[:2], 6, queued_by="here")
    theirs = seed.records(sqlite_db, order_ids[2:], 6, queued_by="elsewhere")
    with running(sqlite_db, mode="local", workstation="here"):
        server.wait_for(lambda hits: len(hits) >= 6)
        wait_until(lambda: seed.stack_count(sqlite_db) == 6, what="my records delivered")
    assert sorted(h.idempotency_key for h in server.hits()) == sorted(mine.keys)
    assert sorted(r.idempotency_key for r in seed.stack_rows(sqlite_db)) == sorted(theirs.keys)


def test_shared_mode__one_leader_sends_and_another_takes_over_when_it_stops(
    sqlite_db: Database, server: CartServer
) -> None:
    any_db = sqlite_db
    seeded = setup_store(any_db, server, orders=2, records=4)
    first = StackController(
        any_db,
        mode="shared",
        delivery=delivery(),
        workstation="A",
        lease=timedelta(seconds=2),
        poll_interval=0.1,
    )
    second = StackController(
        any_db,
        mode="shared",
        delivery=delivery(),
        workstation="B",
        lease=timedelta(seconds=2),
        poll_interval=0.1,
    )
    first.start()
    try:
        wait_stack_empty(any_db)
        second.start()
        assert second.snapshot().state == "waiting for the shared lease"
        first.stop()  # quitting hands the lease over
        wait_until(lambda: second.snapshot().state == "running", what="B to take the lease")
        more = seed.records(any_db, seeded.order_ids, 4)
        wait_stack_empty(any_db)
    finally:
        first.stop()
        second.stop()
    assert first.snapshot().sent_total == 4 and second.snapshot().sent_total == 4
    assert Counter(h.idempotency_key for h in server.hits()) == Counter(seeded.keys + more.keys)


def test_pause_stops_claiming_and_resume_goes_on(sqlite_db: Database, server: CartServer) -> None:
    seeded = setup_store(sqlite_db, server, orders=2, records=2)
    with running(sqlite_db) as controller:
        wait_stack_empty(sqlite_db)
        controller.pause()
        assert controller.snapshot().state == "paused"
        more = seed.records(sqlite_db, seeded.order_ids, 2)
        controller.wake()
        # Absence can only be seen over a window: 0.5 s is several turns of the 0.2 s loop.
        threading.Event().wait(0.5)
        assert all(r.claim_token is None for r in seed.stack_rows(sqlite_db))
        assert seed.stack_count(sqlite_db) == 2 and server.hits().__len__() == 2
        controller.resume()
        wait_stack_empty(sqlite_db)
    assert sorted(h.idempotency_key for h in server.hits()) == sorted(seeded.keys + more.keys)


def test_graceful_stop__releases_what_is_still_in_flight(
    sqlite_db: Database, server: CartServer
) -> None:
    release = threading.Event()
    server.behave("/status", Behaviour(hold=release))
    setup_store(sqlite_db, server, orders=1, records=1)
    controller = StackController(
        sqlite_db, mode="external", delivery=delivery(), workstation="w", poll_interval=0.1
    )
    controller.start()
    try:
        server.wait_for(lambda hits: len(hits) == 1)
        controller.stop(timeout=0.3)
        assert controller.snapshot().state == "stopped"
        (row,) = seed.stack_rows(sqlite_db)
        # Back on the stack, unclaimed, not counted as an attempt: the next controller sends it
        # again, with the same key.
        assert (row.claim_token, row.attempts, row.state) == (None, 0, "queued")
    finally:
        release.set()


class _Exploding:
    """A connector with a bug: raises for one order, works for the others."""

    def __init__(self, bad_order: int) -> None:
        self.bad_order = bad_order

    def send(self, record: ClaimedRecord) -> Outcome:
        if record.order_id == self.bad_order:
            raise KeyError("tracking")
        return Delivered()

    def close(self) -> None:
        pass


def test_connector_that_raises__becomes_retry_later_and_the_loop_goes_on(
    sqlite_db: Database, server: CartServer
) -> None:
    seeded = setup_store(sqlite_db, server, orders=3, records=9)
    bad = seeded.order_ids[0]
    with running(sqlite_db, sender_factory=lambda r: _Exploding(bad)) as controller:
        wait_until(lambda: seed.stack_count(sqlite_db) == 3, what="the good orders delivered")
        wait_until(lambda: seed.stack_rows(sqlite_db)[0].attempts >= 1, what="the failure saved")
        snapshot = controller.snapshot()
    rows = seed.stack_rows(sqlite_db)
    assert {r.order_id for r in rows} == {bad}
    assert "Unexpected error while sending: KeyError('tracking')" in rows[0].last_error
    assert rows[0].state == "queued"  # transient: it will be tried again
    assert "KeyError" in snapshot.last_error and snapshot.sent_total == 6


def test_sender_pool__one_sender_per_cart_reused() -> None:
    made: list[int] = []

    def factory(record: ClaimedRecord) -> _Exploding:
        made.append(record.cart_id)
        return _Exploding(-1)

    pool = SenderPool(factory)
    from tests.integration.test_generic_sender import record

    for n in range(5):
        pool.get(record(n))
    pool.get(record(9, cart_id=8))
    pool.close()
    assert made == [7, 8]


def test_wakeup__in_process_announcement_wakes_before_the_floor(sqlite_db: Database) -> None:
    wakeup = Wakeup(sqlite_db, poll_interval=0.2)
    wakeup.start()
    try:
        assert wakeup.wait() is False  # nothing announced: the polling floor ends the wait
        with sqlite_db.transaction() as session:
            notify.announce_queued(session)
        assert wakeup.wait() is True
    finally:
        wakeup.close()


@pytest.mark.postgres
def test_wakeup__postgres_notify_from_another_connection_wakes(pg_db: Database) -> None:
    wakeup = Wakeup(pg_db, poll_interval=0.2)
    wakeup.start()
    try:
        assert wakeup.listening.wait(10)
        wakeup.wait()  # the reconnect wake-up
        assert wakeup.wait() is False
        # Another process: only the NOTIFY reaches us, not the in-process signal.
        with pg_db.engine.connect() as connection:
            connection.exec_driver_sql("NOTIFY ordermanager_stack")
            connection.commit()
        assert wait_until(wakeup.wait, timeout=5, what="the NOTIFY")
    finally:
        wakeup.close()
    assert not wakeup.listening.is_set()
