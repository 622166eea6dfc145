"""The stack's claim and fenced settle (ordermanager.stack.queue) on real SQLite and PostgreSQL.

Records are queued with the firing rule's own row builder (status_update_row), as the app does.
Time is passed explicitly (``now=``) so lease expiry is a step of the test, not a wait.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, insert, select, update

from ordermanager.db.engine import Database
from ordermanager.db.location import parse_url
from ordermanager.db.migrate import alembic_config, open_database
from ordermanager.db.models import Cart, Order, StatusUpdate
from ordermanager.eventlog import recent_events
from ordermanager.stack import controllers, election, notify, queue
from ordermanager.status.events import Event, event_info
from ordermanager.status.firing import status_update_row
from tests import factories

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def make_orders(db: Database, count: int, *, cart_kind: str = "woocommerce") -> list[int]:
    with db.transaction() as session:
        return [
            factories.order(session, factories.Spec(number=f"{1000 + n}", cart_kind=cart_kind)).id
            for n in range(count)
        ]


def enqueue(
    db: Database,
    order_id: int,
    *,
    now: datetime = T0,
    queued_by: str | None = None,
    count: int = 1,
) -> list[int]:
    """Queue ``count`` records for one order, as the firing rule would; returns their ids."""
    ids = []
    with db.transaction() as session:
        the_order = session.get(Order, order_id)
        assert the_order is not None
        cart = session.get(Cart, the_order.cart_id)
        assert cart is not None
        for _ in range(count):
            row = status_update_row(
                event_info(Event.ORDER_SHIPPED),
                order_id=the_order.id,
                order_remote_id=the_order.remote_id,
                order_number=the_order.number,
                cart_id=cart.id,
                cart_kind=cart.kind,
                order_label="Shipped",
                order_changed=True,
                item_changes=[],
                tracking=["1Z999"],
                carrier="UPS",
                now=now,
            )
            if queued_by is not None:
                row["queued_by"] = queued_by
            record = StatusUpdate(**row)
            session.add(record)
            session.flush()
            ids.append(record.id)
    return ids


def stack_rows(db: Database) -> dict[int, Any]:
    """Every record's columns (plain rows: read sessions expire ORM objects on close)."""
    with db.session() as session:
        return {r.id: r for r in session.execute(select(StatusUpdate.__table__)).all()}


# -- claim --------------------------------------------------------------------------------------


def test_claim_returns_due_heads_oldest_first(any_db: Database) -> None:
    a, b, c = make_orders(any_db, 3)
    first_b = enqueue(any_db, b)[0]
    first_a, second_a = enqueue(any_db, a, count=2)
    first_c = enqueue(any_db, c)[0]

    claimed = queue.claim(any_db, "ctl-A", limit=10, lease=LEASE, now=T0)

    # The head of each order only (second_a waits for first_a), oldest (smallest id) first.
    assert [r.id for r in claimed] == [first_b, first_a, first_c]
    record = claimed[0]
    assert record.order_id == b and record.order_number == "1001"
    assert record.cart_name == "Main Store" and record.cart_kind == "woocommerce"
    assert record.cart_demo is False and record.attempts == 0
    assert record.payload["idempotency_key"] == record.idempotency_key
    assert record.payload["tracking"]["numbers"] == ["1Z999"]
    assert record.claimed_until == T0 + LEASE
    assert len({r.claim_token for r in claimed}) == 3
    rows = stack_rows(any_db)
    assert rows[first_b].claimed_by == "ctl-A" and rows[first_b].claim_token == record.claim_token
    assert rows[second_a].claim_token is None
    # Everything claimable is claimed: a second controller finds nothing.
    assert queue.claim(any_db, "ctl-B", limit=10, lease=LEASE, now=T0) == []


def test_limit_and_skip_lists(any_db: Database) -> None:
    a, b, c = make_orders(any_db, 3)
    ids = [enqueue(any_db, o)[0] for o in (a, b, c)]
    assert [r.id for r in queue.claim(any_db, "A", limit=1, lease=LEASE, now=T0)] == ids[:1]
    skipped = queue.claim(any_db, "A", limit=5, lease=LEASE, skip_orders=[b], now=T0)
    assert [r.id for r in skipped] == [ids[2]]
    with any_db.session() as session:
        cart_id = session.execute(select(Cart.id)).scalar_one()
    assert queue.claim(any_db, "A", limit=5, lease=LEASE, skip_carts=[cart_id], now=T0) == []
    assert [r.id for r in queue.claim(any_db, "A", limit=5, lease=LEASE, now=T0)] == [ids[1]]


def test_second_record_of_an_order_waits_until_the_head_is_delivered(any_db: Database) -> None:
    (a,) = make_orders(any_db, 1)
    first, second = enqueue(any_db, a, count=2)
    (head,) = queue.claim(any_db, "A", limit=5, lease=LEASE, now=T0)
    assert head.id == first
    assert queue.claim(any_db, "A", limit=5, lease=LEASE, now=T0) == []
    assert queue.delete_delivered(any_db, head.id, head.claim_token)
    assert [r.id for r in queue.claim(any_db, "A", limit=5, lease=LEASE, now=T0)] == [second]


def test_held_head_blocks_only_its_own_order(any_db: Database) -> None:
    a, b = make_orders(any_db, 2)
    a1, a2 = enqueue(any_db, a, count=2)
    (b1,) = enqueue(any_db, b)
    claimed = queue.claim(any_db, "A", limit=1, lease=LEASE, now=T0)
    assert [r.id for r in claimed] == [a1]
    assert queue.hold(any_db, a1, claimed[0].claim_token, error="HTTP 404: no such order", now=T0)

    later = T0 + timedelta(hours=1)
    assert [r.id for r in queue.claim(any_db, "A", limit=5, lease=LEASE, now=later)] == [b1]
    rows = stack_rows(any_db)
    assert rows[a1].state == "held" and rows[a1].attempts == 1
    assert rows[a1].last_error == "HTTP 404: no such order" and rows[a1].last_error_at == T0
    assert rows[a1].claim_token is None and rows[a1].claimed_by == ""
    assert rows[a2].claim_token is None  # still waiting behind its held head


def test_local_mode_claims_only_its_own_workstations_records(any_db: Database) -> None:
    a, b = make_orders(any_db, 2)
    (mine,) = enqueue(any_db, a, queued_by="ws-1")
    enqueue(any_db, b, queued_by="ws-2")
    claimed = queue.claim(any_db, "A", limit=5, lease=LEASE, queued_by="ws-1", now=T0)
    assert [r.id for r in claimed] == [mine]
    assert queue.claim(any_db, "A", limit=5, lease=LEASE, queued_by="ws-1", now=T0) == []
    assert queue.next_due_at(any_db, queued_by="ws-1") == T0 + LEASE
    assert queue.next_due_at(any_db, queued_by="ws-2") == T0


def test_records_not_yet_due_are_not_claimed(any_db: Database) -> None:
    (a,) = make_orders(any_db, 1)
    (rid,) = enqueue(any_db, a)
    (record,) = queue.claim(any_db, "A", lease=LEASE, now=T0)
    retry_at = T0 + timedelta(minutes=5)
    assert queue.reschedule(
        any_db, rid, record.claim_token, error="HTTP 503", next_attempt_at=retry_at, now=T0
    )
    assert queue.next_due_at(any_db) == retry_at
    assert queue.claim(any_db, "A", lease=LEASE, now=retry_at - timedelta(seconds=1)) == []
    (again,) = queue.claim(any_db, "A", lease=LEASE, now=retry_at)
    assert again.id == rid and again.attempts == 1
    row = stack_rows(any_db)[rid]
    assert row.last_error == "HTTP 503" and row.next_attempt_at == retry_at


def test_an_expired_claim_is_claimable_again(any_db: Database) -> None:
    (a,) = make_orders(any_db, 1)
    (rid,) = enqueue(any_db, a)
    (first,) = queue.claim(any_db, "A", lease=LEASE, now=T0)
    assert queue.claim(any_db, "B", lease=LEASE, now=T0 + LEASE) == []  # not yet: until is >=
    (second,) = queue.claim(any_db, "B", lease=LEASE, now=T0 + LEASE + timedelta(seconds=1))
    assert second.id == rid and second.claim_token != first.claim_token
    assert stack_rows(any_db)[rid].claimed_by == "B"


def test_next_due_at_is_none_for_an_empty_or_all_held_stack(sqlite_db: Database) -> None:
    assert queue.next_due_at(sqlite_db) is None
    (a,) = make_orders(sqlite_db, 1)
    enqueue(sqlite_db, a)
    (record,) = queue.claim(sqlite_db, "A", lease=LEASE, now=T0)
    assert queue.hold(sqlite_db, record.id, record.claim_token, error="no")
    assert queue.next_due_at(sqlite_db) is None


def test_demo_carts_are_marked_on_claimed_records(sqlite_db: Database) -> None:
    (a,) = make_orders(sqlite_db, 1)
    with sqlite_db.transaction() as session:
        session.execute(update(Cart).values(demo=True))
    enqueue(sqlite_db, a)
    (record,) = queue.claim(sqlite_db, "A", lease=LEASE, now=T0)
    assert record.cart_demo is True


# -- fencing ------------------------------------------------------------------------------------


def test_a_controller_that_lost_its_claim_cannot_settle(any_db: Database) -> None:
    """A claims, A's lease expires, B re-claims: every A settle is a no-op, B's delete works."""
    (a,) = make_orders(any_db, 1)
    (rid,) = enqueue(any_db, a)
    (claim_a,) = queue.claim(any_db, "A", lease=LEASE, now=T0)
    late = T0 + LEASE + timedelta(seconds=1)
    (claim_b,) = queue.claim(any_db, "B", lease=LEASE, now=late)
    before = stack_rows(any_db)[rid]

    assert not queue.delete_delivered(any_db, rid, claim_a.claim_token)
    assert not queue.reschedule(
        any_db, rid, claim_a.claim_token, error="late", next_attempt_at=late + LEASE
    )
    assert not queue.hold(any_db, rid, claim_a.claim_token, error="late")
    assert not queue.release(any_db, rid, claim_a.claim_token)

    after = stack_rows(any_db)[rid]
    for column in ("state", "attempts", "last_error", "next_attempt_at", "claim_token",
                   "claimed_until", "claimed_by"):  # fmt: skip
        assert getattr(after, column) == getattr(before, column), column
    assert after.claim_token == claim_b.claim_token
    assert queue.delete_delivered(any_db, rid, claim_b.claim_token)
    assert stack_rows(any_db) == {}
    assert not queue.delete_delivered(any_db, rid, claim_b.claim_token)  # already gone


def test_batch_delete_and_release_are_fenced_per_record(any_db: Database) -> None:
    """Batched settles (the controller's feed loop) change exactly the records whose own token
    they name: a stale token, another record's token or an unknown id changes nothing."""
    orders = make_orders(any_db, 4)
    ids = [enqueue(any_db, o)[0] for o in orders]
    first = queue.claim(any_db, "A", limit=4, lease=LEASE, now=T0)
    assert [r.id for r in first] == ids
    late = T0 + LEASE + timedelta(seconds=1)
    (b_claim,) = queue.claim(any_db, "B", limit=1, lease=LEASE, now=late)  # A's first lapsed
    assert b_claim.id == ids[0]
    a0, a1, a2, a3 = first
    deleted = queue.delete_delivered_many(
        any_db,
        [(a0.id, a0.claim_token), (a1.id, a1.claim_token), (a2.id, a3.claim_token), (999, "x")],
    )
    assert deleted == {a1.id}  # a0 lost its claim to B; a2 was named with a3's token
    assert queue.release_many(any_db, [(a0.id, a0.claim_token), (a2.id, a2.claim_token)]) == 1
    rows = stack_rows(any_db)
    assert set(rows) == {a0.id, a2.id, a3.id}
    assert rows[a0.id].claim_token == b_claim.claim_token and rows[a0.id].claimed_by == "B"
    assert rows[a2.id].claim_token is None and rows[a2.id].claimed_by == ""
    assert rows[a3.id].claim_token == a3.claim_token
    assert queue.release_many(any_db, []) == 0 and queue.delete_delivered_many(any_db, []) == set()
    # The released record is due again at once; the others stay claimed.
    assert [r.id for r in queue.claim(any_db, "C", limit=4, lease=LEASE, now=T0)] == [a2.id]


def test_release_gives_a_record_back_unsent(sqlite_db: Database) -> None:
    (a,) = make_orders(sqlite_db, 1)
    (rid,) = enqueue(sqlite_db, a)
    (record,) = queue.claim(sqlite_db, "A", lease=LEASE, now=T0)
    assert queue.release(sqlite_db, rid, record.claim_token)
    row = stack_rows(sqlite_db)[rid]
    assert row.claim_token is None and row.attempts == 0 and row.state == "queued"
    (again,) = queue.claim(sqlite_db, "B", lease=LEASE, now=T0)
    assert again.id == rid


# -- ids, announcements, schema upgrade --------------------------------------------------------


def test_ids_are_never_reused_after_the_newest_record_is_deleted(sqlite_db: Database) -> None:
    (a,) = make_orders(sqlite_db, 1)
    first, newest = enqueue(sqlite_db, a, count=2)
    with sqlite_db.transaction() as session:
        session.execute(delete(StatusUpdate).where(StatusUpdate.id == newest))
    (next_id,) = enqueue(sqlite_db, a)
    assert next_id > newest > first


def test_queueing_announces_after_commit_only(any_db: Database) -> None:
    heard = threading.Event()
    calls: list[int] = []

    def listener() -> None:
        calls.append(1)
        heard.set()

    notify.add_local_listener(listener)
    try:
        with pytest.raises(RuntimeError), any_db.transaction() as session:
            notify.announce_queued(session)
            raise RuntimeError("rolled back")
        assert calls == []
        with any_db.transaction() as session:
            notify.announce_queued(session)
            notify.announce_queued(session)  # once per transaction
            assert calls == []  # not before the commit
        assert heard.is_set() and calls == [1]
    finally:
        notify.remove_local_listener(listener)
    with any_db.transaction() as session:
        notify.announce_queued(session)
    assert calls == [1]


def test_postgresql_announcement_reaches_a_listening_connection(pg_db: Database) -> None:
    import psycopg

    url = pg_db.engine.url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f"LISTEN {notify.CHANNEL}")
        with pg_db.transaction() as session:
            notify.announce_queued(session)
        channels = [n.channel for n in conn.notifies(timeout=5, stop_after=1)]
    assert channels == [notify.CHANNEL]


def test_an_existing_store_upgrades_and_keeps_its_records(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = Database(parse_url(str(path)))
    config = alembic_config()
    with old.engine.execution_options(ordermanager_write=True).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    raw = sqlite3.connect(path)
    raw.execute(
        "INSERT INTO carts (id, name, kind, base_url, enabled, created_at) "
        "VALUES (1, 'Main', 'woocommerce', '', 1, '2026-01-01 00:00:00.000000')"
    )
    raw.commit()
    raw.close()
    old.dispose()

    db = open_database(parse_url(str(path)))
    try:
        (a,) = make_orders(db, 1)
        _, newest = enqueue(db, a, count=2)
        with db.transaction() as session:
            session.execute(delete(StatusUpdate).where(StatusUpdate.id == newest))
        assert enqueue(db, a)[0] > newest
        with db.session() as session:
            cart = session.get(Cart, 1)
            assert cart is not None and cart.demo is False
            queued_by = session.execute(select(StatusUpdate.queued_by)).scalars().all()
            assert all(queued_by)  # status_update_row fills it
    finally:
        db.dispose()
    raw = sqlite3.connect(path)
    try:
        (ddl,) = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'stack'").fetchone()
    finally:
        raw.close()
    assert "AUTOINCREMENT" in ddl and "ck_stack_state_known" in ddl


def make_orders_bulk(db: Database, count: int) -> list[int]:
    """``count`` copies of the first order, inserted at once (the factory is one by one)."""
    with db.transaction() as session:
        template = session.execute(select(Order).limit(1)).scalar_one()
        columns = {
            c.key: getattr(template, c.key) for c in Order.__table__.columns if c.key != "id"
        }
        rows = [{**columns, "remote_id": f"bulk-{n}", "number": f"B{n}"} for n in range(count)]
        return list(session.execute(insert(Order).returning(Order.id), rows).scalars())


# -- heartbeats and recovery -------------------------------------------------------------------


def test_heartbeat_keeps_claims_alive_past_the_lease(any_db: Database) -> None:
    (a,) = make_orders(any_db, 1)
    (rid,) = enqueue(any_db, a)
    ctl = controllers.register_controller(any_db, mode="local", workstation="ws-1", now=T0)
    (record,) = queue.claim(any_db, ctl, lease=LEASE, now=T0)
    beat = T0 + timedelta(seconds=20)
    stats = controllers.ControllerStats(sent_total=3, sends_last_minute=2, last_ok_at=T0)
    assert controllers.heartbeat(any_db, ctl, lease=LEASE, state="running", stats=stats, now=beat)

    past_first_lease = T0 + LEASE + timedelta(seconds=5)
    assert queue.claim(any_db, "other", lease=LEASE, now=past_first_lease) == []
    assert stack_rows(any_db)[rid].claimed_until == beat + LEASE
    (info,) = controllers.list_controllers(any_db)
    assert (info.id, info.workstation, info.mode, info.state) == (ctl, "ws-1", "local", "running")
    assert info.heartbeat_at == beat and info.sent_total == 3 and info.sends_last_minute == 2
    assert info.last_ok_at == T0 and info.as_json()["heartbeat_at"] == beat.isoformat()
    assert controllers.claims_held(any_db, ctl) == 1
    # Without further heartbeats the claim runs out like any lease.
    (taken,) = queue.claim(any_db, "other", lease=LEASE, now=beat + LEASE + timedelta(seconds=1))
    assert taken.id == record.id


def test_a_dead_controllers_claims_are_recovered_and_logged(any_db: Database) -> None:
    a, b = make_orders(any_db, 2)
    enqueue(any_db, a)
    enqueue(any_db, b)
    dead = controllers.register_controller(any_db, mode="external", workstation="ws-1", now=T0)
    alive = controllers.register_controller(any_db, mode="external", workstation="ws-2", now=T0)
    claimed = queue.claim(any_db, dead, limit=2, lease=timedelta(minutes=10), now=T0)
    assert len(claimed) == 2
    later = T0 + timedelta(seconds=40)
    idle = controllers.ControllerStats()
    controllers.heartbeat(any_db, alive, lease=LEASE, state="running", stats=idle, now=later)

    # Not yet dead at 29 s of silence, dead at 40 s; the live one is left alone.
    assert controllers.recover_dead_controllers(any_db, dead_after=LEASE, now=T0 + LEASE) == 0
    assert controllers.recover_dead_controllers(any_db, dead_after=LEASE, now=later) == 1
    assert [c.id for c in controllers.list_controllers(any_db)] == [alive]
    assert controllers.claims_held(any_db, dead) == 0
    # The records are due again at once, long before the dead one's 10-minute lease would end.
    again = queue.claim(any_db, alive, limit=2, lease=LEASE, now=later)
    assert sorted(r.id for r in again) == sorted(r.id for r in claimed)
    assert not queue.delete_delivered(any_db, claimed[0].id, claimed[0].claim_token)
    with any_db.session() as session:
        (entry,) = recent_events(session)
    assert entry.level == "warning" and entry.source == "stack-controller"
    assert dead[:8] in entry.message and "2 claimed records released" in entry.message
    # A controller that was only frozen comes back: its heartbeat says so and re-registers it.
    assert not controllers.heartbeat(
        any_db, dead, lease=LEASE, state="running", stats=idle, mode="external", workstation="ws-1"
    )
    back = {c.id: c for c in controllers.list_controllers(any_db)}
    assert set(back) == {alive, dead}
    assert (back[dead].mode, back[dead].workstation) == ("external", "ws-1")


def test_unregister_releases_claims_and_the_lease(sqlite_db: Database) -> None:
    (a,) = make_orders(sqlite_db, 1)
    enqueue(sqlite_db, a)
    ctl = controllers.register_controller(sqlite_db, mode="shared", workstation="ws-1")
    assert election.try_acquire_shared_lease(sqlite_db, ctl, "ws-1", ttl=LEASE)
    (record,) = queue.claim(sqlite_db, ctl, lease=LEASE)
    controllers.unregister_controller(sqlite_db, ctl)
    assert controllers.list_controllers(sqlite_db) == []
    assert election.shared_lease_holder(sqlite_db) is None
    assert stack_rows(sqlite_db)[record.id].claim_token is None


# -- the Shared-mode lease ---------------------------------------------------------------------


def test_one_lease_holder_at_a_time(any_db: Database) -> None:
    assert election.shared_lease_holder(any_db, now=T0) is None
    assert election.try_acquire_shared_lease(any_db, "A", "ws-a", ttl=LEASE, now=T0)
    assert not election.try_acquire_shared_lease(any_db, "B", "ws-b", ttl=LEASE, now=T0)
    renew = T0 + timedelta(seconds=20)
    assert election.try_acquire_shared_lease(any_db, "A", "ws-a", ttl=LEASE, now=renew)
    # B cannot take it while A keeps renewing, even past A's first expiry.
    assert not election.try_acquire_shared_lease(
        any_db, "B", "ws-b", ttl=LEASE, now=T0 + LEASE + timedelta(seconds=1)
    )
    holder = election.shared_lease_holder(any_db, now=renew)
    assert holder is not None
    assert (holder.holder, holder.workstation) == ("A", "ws-a")
    assert holder.acquired_at == T0 and holder.expires_at == renew + LEASE


def test_lease_is_taken_over_after_expiry_or_release(any_db: Database) -> None:
    assert election.try_acquire_shared_lease(any_db, "A", "ws-a", ttl=LEASE, now=T0)
    expired = T0 + LEASE + timedelta(seconds=1)
    assert election.shared_lease_holder(any_db, now=expired) is None
    assert election.try_acquire_shared_lease(any_db, "B", "ws-b", ttl=LEASE, now=expired)
    holder = election.shared_lease_holder(any_db, now=expired)
    assert holder is not None and holder.holder == "B" and holder.acquired_at == expired
    assert not election.try_acquire_shared_lease(any_db, "A", "ws-a", ttl=LEASE, now=expired)

    election.release_shared_lease(any_db, "A")  # not A's any more: changes nothing
    assert election.try_acquire_shared_lease(any_db, "B", "ws-b", ttl=LEASE, now=expired)
    election.release_shared_lease(any_db, "B")
    assert election.try_acquire_shared_lease(any_db, "A", "ws-a", ttl=LEASE, now=expired)


# -- who queued it -----------------------------------------------------------------------------


def test_records_carry_this_workstations_id(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ordermanager.db import location
    from ordermanager.workstation import WORKSTATION_ID_ENV, WorkstationConfig, workstation_id

    monkeypatch.delenv(WORKSTATION_ID_ENV, raising=False)
    first = workstation_id()
    assert len(first) == 32 and workstation_id() == first
    assert WorkstationConfig.load().workstation_id == first
    # Remembering a database rewrites workstation.json; the id must survive it.
    location.save(sqlite_db.location)
    assert WorkstationConfig.load().workstation_id == first
    (a,) = make_orders(sqlite_db, 1)
    (rid,) = enqueue(sqlite_db, a)
    assert stack_rows(sqlite_db)[rid].queued_by == first

    monkeypatch.setenv(WORKSTATION_ID_ENV, "crash-harness-7")
    assert workstation_id() == "crash-harness-7"
    (other,) = enqueue(sqlite_db, a)
    assert stack_rows(sqlite_db)[other].queued_by == "crash-harness-7"
