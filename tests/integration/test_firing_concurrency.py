"""Two workstations firing the same event on one order at once queue exactly one status update.

On PostgreSQL the second one waits for the first one's row lock and then sees the label already
current. (SQLite's BEGIN IMMEDIATE serialises writers, so it cannot interleave at all.)
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select, text

from ordermanager.db.engine import Database
from ordermanager.db.models import LabelChange, StatusUpdate
from ordermanager.settings import set_setting
from ordermanager.status.events import Event, set_assignment
from ordermanager.status.firing import fire_event
from tests import factories
from tests.factories import Spec


def test_concurrent_fire__second_waits_and_queues_nothing(pg_db: Database) -> None:
    with pg_db.transaction() as session:
        factories.label(session, "Shipped")
        order_id = factories.order(session, Spec(number="1001", label="Received")).id
        set_setting(session, "UseStatusUpdates", True)
        set_assignment(session, Event.ORDER_SHIPPED, order_label="Shipped", notify_cart=True)

    first_locked = threading.Event()
    errors: list[BaseException] = []

    def second() -> None:
        try:
            first_locked.wait(10)
            with pg_db.transaction() as session:
                fire_event(session, Event.ORDER_SHIPPED, order_id)
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    worker = threading.Thread(target=second)
    worker.start()
    with pg_db.transaction() as session:
        fire_event(session, Event.ORDER_SHIPPED, order_id)
        first_locked.set()
        # Hold the lock until the other transaction is seen waiting for it.
        deadline = time.monotonic() + 10
        with pg_db.engine.connect() as watcher:
            while time.monotonic() < deadline:
                waiting = watcher.execute(
                    text("SELECT count(*) FROM pg_locks WHERE NOT granted")
                ).scalar_one()
                watcher.rollback()
                if waiting:
                    break
            assert waiting, "the second transaction never waited for the row lock"
    worker.join(10)
    assert not worker.is_alive() and errors == []

    with pg_db.session() as session:
        assert session.execute(select(func.count()).select_from(StatusUpdate)).scalar_one() == 1
        shipped_history = session.execute(
            select(func.count())
            .select_from(LabelChange)
            .where(LabelChange.event == "Order Shipped")
        ).scalar_one()
        assert shipped_history == 1
