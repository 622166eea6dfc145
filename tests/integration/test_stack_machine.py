"""A Hypothesis state machine over the stack on a real SQLite file.

Rules: enqueue, claim, OK (fenced delete), transient error (reschedule), 429 (reschedule to the
Retry-After deadline), permanent error (hold), crash (a controller forgets its claims; a frozen
"zombie" may still try to settle them later), heartbeat, lease expiry (the clock moves on),
recovery of dead controllers, restart (a new controller), operator retry.

A plain-Python model predicts every claim exactly (which records, in which order) and every settle
result. Invariants: nothing is deleted without an OK, nothing is lost (every enqueued record is
delivered, held or still queued), each order's records are delivered in the order they were
queued, and a settle by a controller that lost its claim changes nothing.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from ordermanager.db.location import parse_url
from ordermanager.db.migrate import open_database
from ordermanager.db.models import StatusUpdate
from ordermanager.stack import controllers, queue, records
from ordermanager.stack.queue import ClaimedRecord
from tests.integration.test_stack_queue import T0, enqueue, make_orders

LEASE = timedelta(seconds=30)
ORDERS = 3


@dataclass
class ModelRecord:
    id: int
    order: int
    state: str = "queued"
    next_attempt_at: Any = T0
    attempts: int = 0
    token: str | None = None
    claimed_by: str = ""
    claimed_until: Any = None


@dataclass
class ModelController:
    id: str
    heartbeat_at: Any
    claims: list[ClaimedRecord] = field(default_factory=list)
    crashed: bool = False


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int]]:
    """A migrated store with a few orders, copied for every example (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("machine") / "template.sqlite3"
    database = open_database(parse_url(str(path)))
    try:
        order_ids = make_orders(database, ORDERS)
    finally:
        database.dispose()
    return path, order_ids


def test_stack_state_machine(template: tuple[Path, list[int]], tmp_path: Path) -> None:
    template_path, order_ids = template
    runs = iter(range(10_000))

    class StackMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            path = tmp_path / f"run-{next(runs)}.sqlite3"
            shutil.copy(template_path, path)
            self.db = open_database(parse_url(str(path)))
            self.now = T0
            self.records: dict[int, ModelRecord] = {}
            self.delivered: dict[int, list[int]] = {o: [] for o in order_ids}
            self.enqueued: list[int] = []
            self.controllers: list[ModelController] = []
            self.zombie_claims: list[ClaimedRecord] = []
            for _ in range(2):
                self._start_controller()

        def teardown(self) -> None:
            self.db.dispose()

        # -- helpers -----------------------------------------------------------------------

        def _start_controller(self) -> None:
            cid = controllers.register_controller(
                self.db, mode="external", workstation="ws", now=self.now
            )
            self.controllers.append(ModelController(cid, heartbeat_at=self.now))

        def _live(self) -> list[ModelController]:
            return [c for c in self.controllers if not c.crashed]

        def _head(self, order: int) -> int | None:
            ids = [r.id for r in self.records.values() if r.order == order]
            return min(ids) if ids else None

        def _claimable(self) -> list[int]:
            return sorted(
                r.id
                for r in self.records.values()
                if r.state == "queued"
                and r.next_attempt_at <= self.now
                and (r.token is None or r.claimed_until < self.now)
                and self._head(r.order) == r.id
            )

        def _row(self, record_id: int) -> Any:
            with self.db.session() as session:
                return session.execute(
                    select(StatusUpdate.__table__).where(StatusUpdate.id == record_id)
                ).one_or_none()

        def _settle(self, claim: ClaimedRecord, outcome: str, seconds: int = 0) -> bool:
            """Settle one claim; checks the result against the model and, when the claim was
            lost, that the record is exactly as it was."""
            model = self.records.get(claim.id)
            expected = model is not None and model.token == claim.claim_token
            before = self._row(claim.id)
            if outcome == "ok":
                done = queue.delete_delivered(self.db, claim.id, claim.claim_token)
            elif outcome == "hold":
                done = queue.hold(
                    self.db, claim.id, claim.claim_token, error="HTTP 404", now=self.now
                )
            else:
                done = queue.reschedule(
                    self.db,
                    claim.id,
                    claim.claim_token,
                    error="HTTP 503" if outcome == "transient" else "HTTP 429",
                    next_attempt_at=self.now + timedelta(seconds=seconds),
                    now=self.now,
                )
            assert done == expected, (outcome, claim.id)
            if not done:
                assert self._row(claim.id) == before, "a lost claim changed the record"
                return False
            assert model is not None
            if outcome == "ok":
                # Per-order FIFO: the delivered record is its order's oldest, and newer than
                # everything delivered for that order before.
                assert self._head(model.order) == claim.id
                assert all(d < claim.id for d in self.delivered[model.order])
                self.delivered[model.order].append(claim.id)
                del self.records[claim.id]
                return True
            model.attempts += 1
            model.token, model.claimed_by, model.claimed_until = None, "", None
            if outcome == "hold":
                model.state = "held"
            else:
                model.next_attempt_at = self.now + timedelta(seconds=seconds)
            return True

        # -- rules -------------------------------------------------------------------------

        @rule(order=st.integers(0, ORDERS - 1), count=st.integers(1, 3))
        def enqueue_records(self, order: int, count: int) -> None:
            ids = enqueue(self.db, order_ids[order], now=self.now, count=count)
            for rid in ids:
                assert rid not in self.records and all(rid > e for e in self.enqueued)
                self.records[rid] = ModelRecord(rid, order_ids[order], next_attempt_at=self.now)
                self.enqueued.append(rid)

        @precondition(lambda self: bool(self._live()) and bool(self._claimable()))
        @rule(data=st.data(), limit=st.integers(1, 3))
        def claim(self, data: st.DataObject, limit: int) -> None:
            self.claim_by(data.draw(st.sampled_from(self._live())), limit)

        def claim_by(self, ctl: ModelController, limit: int) -> None:
            expected = self._claimable()[:limit]
            claimed = queue.claim(self.db, ctl.id, limit=limit, lease=LEASE, now=self.now)
            assert [c.id for c in claimed] == expected
            for c in claimed:
                model = self.records[c.id]
                assert c.attempts == model.attempts
                model.token, model.claimed_by = c.claim_token, ctl.id
                model.claimed_until = self.now + LEASE
                ctl.claims.append(c)

        def _pick(self, data: st.DataObject) -> tuple[ModelController, ClaimedRecord] | None:
            holders = [c for c in self._live() if c.claims]
            if not holders:
                return None
            ctl = data.draw(st.sampled_from(holders))
            return ctl, ctl.claims.pop(data.draw(st.integers(0, len(ctl.claims) - 1)))

        @precondition(lambda self: any(c.claims for c in self._live()))
        @rule(data=st.data())
        def http_ok(self, data: st.DataObject) -> None:
            picked = self._pick(data)
            if picked:
                self._settle(picked[1], "ok")

        @precondition(lambda self: any(c.claims for c in self._live()))
        @rule(data=st.data(), seconds=st.integers(1, 90))
        def http_5xx(self, data: st.DataObject, seconds: int) -> None:
            picked = self._pick(data)
            if picked:
                self._settle(picked[1], "transient", seconds)

        @precondition(lambda self: any(c.claims for c in self._live()))
        @rule(data=st.data(), retry_after=st.integers(1, 900))
        def http_429(self, data: st.DataObject, retry_after: int) -> None:
            picked = self._pick(data)
            if picked and self._settle(picked[1], "429", retry_after):
                # No claim before the Retry-After deadline.
                deadline = self.now + timedelta(seconds=retry_after)
                assert picked[1].id not in self._claimable()
                assert self.records[picked[1].id].next_attempt_at == deadline

        @precondition(lambda self: any(c.claims for c in self._live()))
        @rule(data=st.data())
        def http_permanent(self, data: st.DataObject) -> None:
            picked = self._pick(data)
            if picked:
                self._settle(picked[1], "hold")

        @precondition(lambda self: bool(self._live()))
        @rule(data=st.data())
        def crash(self, data: st.DataObject) -> None:
            ctl = data.draw(st.sampled_from(self._live()))
            ctl.crashed = True
            # Frozen, not gone: it may wake up and try to settle what it had (SIGSTOP/SIGCONT).
            self.zombie_claims.extend(ctl.claims)
            ctl.claims = []

        @precondition(lambda self: any(c.claims for c in self._live()))
        @rule(data=st.data(), outcome=st.sampled_from(["ok", "transient", "hold"]))
        def stall_past_lease(self, data: st.DataObject, outcome: str) -> None:
            """A controller freezes mid-send (SIGSTOP) past its lease, the others re-claim what
            is due, then it wakes (SIGCONT) and settles what it was sending: fenced."""
            picked = self._pick(data)
            assert picked is not None
            stalled, claim = picked
            self.now += LEASE + timedelta(seconds=1)
            others = [c for c in self._live() if c is not stalled]
            if others and self._claimable():
                self.claim_by(data.draw(st.sampled_from(others)), 3)
            self._settle(claim, outcome, 5)

        @precondition(lambda self: bool(self.zombie_claims))
        @rule(data=st.data(), outcome=st.sampled_from(["ok", "transient", "hold"]))
        def zombie_settles(self, data: st.DataObject, outcome: str) -> None:
            index = data.draw(st.integers(0, len(self.zombie_claims) - 1))
            self._settle(self.zombie_claims.pop(index), outcome, 5)

        @precondition(lambda self: bool(self._live()))
        @rule(data=st.data())
        def heartbeat(self, data: st.DataObject) -> None:
            ctl = data.draw(st.sampled_from(self._live()))
            controllers.heartbeat(
                self.db,
                ctl.id,
                lease=LEASE,
                state="running",
                stats=controllers.ControllerStats(),
                now=self.now,
            )
            ctl.heartbeat_at = self.now
            for model in self.records.values():
                if model.token is not None and model.claimed_by == ctl.id:
                    model.claimed_until = self.now + LEASE

        @rule(seconds=st.sampled_from([1, 5, 29, 31, 60, 300, 1000]))
        def clock_moves_on(self, seconds: int) -> None:
            self.now += timedelta(seconds=seconds)

        @rule()
        def recover_dead(self) -> None:
            dead = [c for c in self.controllers if c.heartbeat_at < self.now - LEASE]
            assert controllers.recover_dead_controllers(
                self.db, dead_after=LEASE, now=self.now
            ) == len(dead)
            for ctl in dead:
                self.controllers.remove(ctl)
                # A live but silent controller is presumed dead too; its claims are lost.
                self.zombie_claims.extend(ctl.claims)
                for model in self.records.values():
                    if model.token is not None and model.claimed_by == ctl.id:
                        model.token, model.claimed_by, model.claimed_until = None, "", None

        @precondition(lambda self: len(self._live()) < 4)
        @rule()
        def restart(self) -> None:
            self._start_controller()

        @precondition(lambda self: any(r.state == "held" for r in self.records.values()))
        @rule(data=st.data())
        def operator_retry(self, data: st.DataObject) -> None:
            held = sorted(r.id for r in self.records.values() if r.state == "held")
            rid = data.draw(st.sampled_from(held))
            records.retry_now(self.db, rid, actor="operator", now=self.now)
            model = self.records[rid]
            model.state, model.next_attempt_at = "queued", self.now

        # -- invariants --------------------------------------------------------------------

        @invariant()
        def nothing_lost_nothing_deleted_without_ok(self) -> None:
            with self.db.session() as session:
                rows = session.execute(
                    select(
                        StatusUpdate.id,
                        StatusUpdate.state,
                        StatusUpdate.attempts,
                        StatusUpdate.claim_token,
                    )
                ).all()
            on_stack = {row.id: row for row in rows}
            assert set(on_stack) == set(self.records)
            delivered = {d for ids in self.delivered.values() for d in ids}
            assert set(self.enqueued) == delivered | set(self.records)
            assert not delivered & set(self.records)
            for rid, model in self.records.items():
                row = on_stack[rid]
                assert (row.state, row.attempts, row.claim_token) == (
                    model.state,
                    model.attempts,
                    model.token,
                )

    run_state_machine_as_test(
        StackMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=40,
            deadline=None,
            database=None,  # hermetic: no example files left in the checkout
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
