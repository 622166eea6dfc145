"""Fencing with a real process: controller A is SIGSTOPped past its lease while the cart holds its
request; controller B re-claims the record and delivers it; A is continued. A's delete affects
nothing (it is logged as a lost claim) and the stack is right."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from ordermanager import secrets
from ordermanager.db.engine import Database
from ordermanager.db.models import EventLogRow, StackControllerRow
from tests.stack_support import seed
from tests.stack_support.cart_server import Behaviour, CartServer
from tests.stack_support.harness import (
    SECRET,
    database_url,
    running,
    start_controller_process,
    wait_stack_empty,
    wait_until,
)


def test_stopped_controller_cannot_delete_a_record_another_reclaimed(
    sqlite_db: Database, tmp_path: Path, real_keyring: object
) -> None:
    held = threading.Event()
    with CartServer(secret=SECRET) as server:
        # A's request (the first) is held by the cart until we say; B's gets OK at once.
        server.script("/status", [Behaviour(hold=held)])
        seed.generic_cart(sqlite_db, "Script Store", server.url())
        seeded = seed.records(sqlite_db, seed.orders(sqlite_db, "Script Store", 1), 2)
        first_key, second_key = seeded.keys
        secrets.set_cart_secret("Script Store", SECRET)
        log = tmp_path / "a.log"
        a = start_controller_process(
            database_url(sqlite_db), "--concurrency", "1", "--lease", "1", log=log
        )
        try:
            server.wait_for(lambda hits: len(hits) == 1, timeout=30)
            (a_row,) = seed.stack_rows(sqlite_db)[:1]
            a_token = a_row.claim_token
            assert a_token is not None
            a.send_signal(signal.SIGSTOP)
            # Past A's lease: its claim has run out (nobody heartbeats it any more).
            wait_until(
                lambda: (
                    seed.stack_rows(sqlite_db)[0].claimed_until
                    < datetime.now(UTC) - timedelta(seconds=0.2)
                ),
                what="A's lease to run out",
            )
            with running(sqlite_db, concurrency=1, lease=timedelta(seconds=1)) as b:
                wait_stack_empty(sqlite_db)
                b_id = b.controller_id
            a.send_signal(signal.SIGCONT)
            held.set()  # A now gets its OK, late
            # A's fenced delete changes nothing; it says so in the log table.
            lost = wait_until(lambda: _lost_claim_entries(sqlite_db), what="A's lost-claim log")
            a.send_signal(signal.SIGTERM)
            assert a.wait(20) == 0, log.read_text()
        finally:
            if a.poll() is None:
                a.send_signal(signal.SIGCONT)
                a.kill()
                a.wait(10)
            secrets.delete_cart_secret("Script Store")
            held.set()
        hits = server.hits()

    # What really happened at the cart: A's request arrived (and was answered late), B sent the
    # same record again with the same key, then the order's next record.
    assert [h.idempotency_key for h in hits] == [first_key, first_key, second_key]
    assert seed.stack_count(sqlite_db) == 0
    assert [e.record_id for e in lost] == [a_row.id]
    assert lost[0].level == "warning"
    assert "another controller had claimed it meanwhile" in lost[0].message
    with sqlite_db.session() as session:
        assert session.execute(select(StackControllerRow)).first() is None  # both unregistered
    assert b_id


def _lost_claim_entries(database: Database) -> list[EventLogRow]:
    return [e for e in seed.event_log(database) if "claimed it meanwhile" in e.message]
