"""What operators see of the stack and do to its records (ordermanager.stack.records)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, StatusUpdate
from ordermanager.errors import NotFoundError
from ordermanager.eventlog import recent_events
from ordermanager.settings import set_setting
from ordermanager.stack import controllers, election, notify, queue, records
from tests.integration.test_stack_queue import LEASE, T0, enqueue, make_orders, stack_rows

LATER = T0 + timedelta(minutes=1)


def test_list_records_shows_every_state_oldest_first(any_db: Database) -> None:
    a, b, c = make_orders(any_db, 3)
    (held,) = enqueue(any_db, a)
    (flying,) = enqueue(any_db, b)
    (waiting,) = enqueue(any_db, c)
    (first,) = queue.claim(any_db, "ctl-1", lease=LEASE, now=T0)
    assert queue.hold(any_db, first.id, first.claim_token, error="HTTP 404: unknown order", now=T0)
    (second,) = queue.claim(any_db, "ctl-1", lease=LEASE, now=T0)
    assert second.id == flying

    views = records.list_records(any_db, now=T0)
    assert [(v.id, v.state) for v in views] == [
        (held, "held"),
        (flying, "in flight"),
        (waiting, "queued"),
    ]
    held_view = views[0]
    assert held_view.order_number == "1000" and held_view.cart_name == "Main Store"
    assert held_view.event == "order_shipped" and held_view.event_name == "Order Shipped"
    assert held_view.target == "WooCommerce · Main Store" and held_view.order_label == "Shipped"
    assert held_view.attempts == 1 and held_view.last_error == "HTTP 404: unknown order"
    doc = held_view.as_json()
    assert set(doc) >= {
        "id", "state", "order_number", "cart", "label", "attempts", "next_attempt_at",
        "last_error", "idempotency_key",
    }  # fmt: skip
    assert doc["idempotency_key"] == held_view.idempotency_key and len(doc["idempotency_key"]) == 32
    assert doc["next_attempt_at"] == T0.isoformat() and doc["last_error_at"] == T0.isoformat()
    assert views[1].claimed_by == "ctl-1"
    # A claim past its lease is not in flight any more: the record is waiting to be re-claimed.
    assert records.list_records(any_db, now=T0 + LEASE + timedelta(seconds=1))[1].state == "queued"
    assert [v.id for v in records.list_records(any_db, limit=1)] == [held]


def test_targets_name_the_cart(sqlite_db: Database) -> None:
    (a,) = make_orders(sqlite_db, 1, cart_kind="generic")
    with sqlite_db.transaction() as session:
        session.execute(update(Cart).values(base_url="https://shop.example.org/om/update.php"))
    enqueue(sqlite_db, a)
    assert records.list_records(sqlite_db)[0].target == "shop.example.org"
    with sqlite_db.transaction() as session:
        session.execute(update(Cart).values(demo=True))
    assert records.list_records(sqlite_db)[0].target == "Demo · Main Store"


def test_overview_counts_and_controllers(any_db: Database) -> None:
    a, b, c, d = make_orders(any_db, 4)
    for order_id in (a, b, c, d):
        enqueue(any_db, order_id)
    ctl = controllers.register_controller(any_db, mode="shared", workstation="ws-1", now=T0)
    (one,) = queue.claim(any_db, ctl, lease=LEASE, now=T0)
    assert queue.hold(any_db, one.id, one.claim_token, error="no", now=T0)
    queue.claim(any_db, ctl, lease=LEASE, now=T0)
    stats = controllers.ControllerStats(
        sent_total=7, sends_last_minute=5, last_ok_at=T0, last_error="HTTP 503", last_error_at=T0
    )
    controllers.heartbeat(any_db, ctl, lease=LEASE, state="running", stats=stats, now=T0)
    assert election.try_acquire_shared_lease(any_db, ctl, "ws-1", ttl=LEASE, now=T0)
    with any_db.transaction() as session:
        set_setting(session, "StackControllerMode", "shared")

    overview = records.stack_overview(any_db, now=T0 + timedelta(seconds=1))
    assert (overview.queued, overview.in_flight, overview.held) == (2, 1, 1)
    assert overview.oldest_queued_at == T0 and overview.mode == "shared"
    assert overview.sends_per_minute == 5 and overview.last_ok_at == T0
    assert overview.last_error == "HTTP 503" and overview.last_error_at == T0
    assert overview.shared_lease is not None and overview.shared_lease.workstation == "ws-1"
    doc = overview.as_json()
    assert doc["total"] == 4 and doc["controllers"][0]["id"] == ctl
    assert doc["shared_lease"]["holder"] == ctl


def test_overview_of_an_empty_stack(sqlite_db: Database) -> None:
    overview = records.stack_overview(sqlite_db)
    assert (overview.queued, overview.in_flight, overview.held, overview.total) == (0, 0, 0, 0)
    assert overview.oldest_queued_at is None and overview.controllers == []
    assert overview.mode == "local" and overview.as_json()["shared_lease"] is None


def test_retry_now_requeues_a_held_record_and_logs_it(any_db: Database) -> None:
    (a,) = make_orders(any_db, 1)
    (rid,) = enqueue(any_db, a)
    (record,) = queue.claim(any_db, "ctl", lease=LEASE, now=T0)
    assert queue.hold(any_db, rid, record.claim_token, error="HTTP 400", now=T0)
    heard: list[int] = []

    def listener() -> None:
        heard.append(1)

    notify.add_local_listener(listener)
    try:
        records.retry_now(any_db, rid, actor="alice", now=LATER)
    finally:
        notify.remove_local_listener(listener)
    row = stack_rows(any_db)[rid]
    assert row.state == "queued" and row.next_attempt_at == LATER and row.attempts == 1
    assert heard == [1]
    assert [r.id for r in queue.claim(any_db, "ctl", lease=LEASE, now=LATER)] == [rid]
    with any_db.session() as session:
        (entry,) = recent_events(session, source="operator")
    assert entry.actor == "alice" and entry.record_id == rid and entry.order_id == a
    assert "Retry now (on hold)" in entry.message and "Order Shipped" in entry.message


def test_retry_now_makes_a_waiting_record_due(sqlite_db: Database) -> None:
    (a,) = make_orders(sqlite_db, 1)
    (rid,) = enqueue(sqlite_db, a)
    (record,) = queue.claim(sqlite_db, "ctl", lease=LEASE, now=T0)
    tomorrow = T0 + timedelta(days=1)
    assert queue.reschedule(
        sqlite_db, rid, record.claim_token, error="503", next_attempt_at=tomorrow
    )
    records.retry_now(sqlite_db, rid, actor="bob", now=LATER)
    assert stack_rows(sqlite_db)[rid].next_attempt_at == LATER


def test_hold_record_stops_it_and_its_order(sqlite_db: Database) -> None:
    (a,) = make_orders(sqlite_db, 1)
    first, _ = enqueue(sqlite_db, a, count=2)
    records.hold_record(sqlite_db, first, actor="carol", now=T0)
    row = stack_rows(sqlite_db)[first]
    assert row.state == "held" and row.last_error == "Held by operator"
    assert queue.claim(sqlite_db, "ctl", limit=5, lease=LEASE, now=LATER) == []
    with sqlite_db.session() as session:
        (entry,) = recent_events(session)
    assert entry.actor == "carol" and "Put on hold" in entry.message


def test_discard_deletes_and_logs_what_was_discarded(any_db: Database) -> None:
    (a,) = make_orders(any_db, 1)
    first, second = enqueue(any_db, a, count=2)
    (record,) = queue.claim(any_db, "ctl", lease=LEASE, now=T0)
    assert queue.hold(any_db, first, record.claim_token, error="HTTP 410 Gone", now=T0)
    key = stack_rows(any_db)[first].idempotency_key

    records.discard(any_db, first, actor="dave", now=LATER)

    assert set(stack_rows(any_db)) == {second}
    # The order's next record is its head now.
    assert [r.id for r in queue.claim(any_db, "ctl", lease=LEASE, now=LATER)] == [second]
    with any_db.session() as session:
        (entry,) = recent_events(session)
    assert entry.level == "warning" and entry.actor == "dave" and entry.record_id == first
    for part in ("Discarded", "Order Shipped", "order 1000", "HTTP 410 Gone", key, "1 attempt"):
        assert part in entry.message


@pytest.mark.parametrize("action", ["retry_now", "hold_record", "discard"])
def test_unknown_record_is_a_clear_error(sqlite_db: Database, action: str) -> None:
    with pytest.raises(NotFoundError, match="no status update 999 on the stack"):
        getattr(records, action)(sqlite_db, 999, actor="eve")
    with sqlite_db.session() as session:
        assert recent_events(session) == []
        assert session.execute(select(StatusUpdate.id)).all() == []
