"""The registry of running stack controllers (table ``stack_controllers``) and their heartbeats.

A controller's claims live as long as its heartbeat: every heartbeat moves ``claimed_until`` of
every record it holds to now + lease. A controller that stops beating (killed, frozen, its
machine gone) is recovered by any other controller once its heartbeat is older than ``dead_after``:
its claims are released at once (the records are due again), its row removed, and a warning
written to the log table. Recovery goes by heartbeat, not by how long a send "should" take, so a
slow but live controller is never robbed and a dead one is noticed within seconds (queues.md §1).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, StackControllerRow, StackLease, StatusUpdate
from ordermanager.eventlog import log_event

MODES = ("local", "shared", "external")
STATES = ("running", "paused", "stopping")


@dataclass(frozen=True)
class ControllerStats:
    """What a controller reports with each heartbeat (shown in the status window)."""

    sent_total: int = 0
    failed_total: int = 0
    sends_last_minute: int = 0
    last_ok_at: datetime | None = None
    last_error: str = ""
    last_error_at: datetime | None = None


@dataclass(frozen=True)
class ControllerInfo:
    id: str
    workstation: str
    host: str
    pid: int
    mode: str
    state: str
    started_at: datetime
    heartbeat_at: datetime
    last_ok_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    sent_total: int
    failed_total: int
    sends_last_minute: int

    def heartbeat_age(self, now: datetime | None = None) -> timedelta:
        return (now or datetime.now(UTC)) - self.heartbeat_at

    def as_json(self) -> dict[str, Any]:
        def when(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "id": self.id,
            "workstation": self.workstation,
            "host": self.host,
            "pid": self.pid,
            "mode": self.mode,
            "state": self.state,
            "started_at": when(self.started_at),
            "heartbeat_at": when(self.heartbeat_at),
            "last_ok_at": when(self.last_ok_at),
            "last_error": self.last_error,
            "last_error_at": when(self.last_error_at),
            "sent_total": self.sent_total,
            "failed_total": self.failed_total,
            "sends_last_minute": self.sends_last_minute,
        }


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def register_controller(
    db: Database,
    *,
    mode: str,
    workstation: str,
    host: str | None = None,
    pid: int | None = None,
    now: datetime | None = None,
) -> str:
    """Insert this controller's row; returns its new id."""
    if mode not in MODES:
        raise ValueError(f"unknown stack controller mode {mode!r}")
    now = _now(now)
    controller_id = uuid.uuid4().hex
    with db.transaction() as session:
        session.add(
            StackControllerRow(
                id=controller_id,
                workstation=workstation[:100],
                host=(host if host is not None else socket.gethostname())[:200],
                pid=pid if pid is not None else os.getpid(),
                mode=mode,
                state="running",
                started_at=now,
                heartbeat_at=now,
                last_error="",
                sent_total=0,
                failed_total=0,
                sends_last_minute=0,
            )
        )
    return controller_id


def mark_carts_sent(db: Database, sent: dict[int, datetime]) -> None:
    """Record when each cart last accepted a status update (the Sync Status view shows it).
    Written with the heartbeat, not per delivery, so sending costs no extra statement; a later
    time never goes back to an earlier one written by another controller."""
    if not sent:
        return
    with db.transaction() as session:
        for cart_id, when in sent.items():
            session.execute(
                update(Cart)
                .where(
                    Cart.id == cart_id,
                    (Cart.last_status_sent_at.is_(None)) | (Cart.last_status_sent_at < when),
                )
                .values(last_status_sent_at=when)
            )


def heartbeat(
    db: Database,
    controller_id: str,
    *,
    lease: timedelta,
    state: str,
    stats: ControllerStats,
    now: datetime | None = None,
    mode: str = "local",
    workstation: str = "",
) -> bool:
    """Report alive (state, figures) and extend the lease of every record this controller holds.

    Returns False when the row was gone: another controller presumed this one dead and released
    its claims (its settles will now fail, fenced). The row is put back (with ``mode`` and
    ``workstation``, which only that case uses), so the controller stays visible, its future
    claims stay recoverable, and it can go on claiming.
    """
    if state not in STATES:
        raise ValueError(f"unknown stack controller state {state!r}")
    now = _now(now)
    figures = {
        "state": state,
        "heartbeat_at": now,
        "last_ok_at": stats.last_ok_at,
        "last_error": stats.last_error,
        "last_error_at": stats.last_error_at,
        "sent_total": stats.sent_total,
        "failed_total": stats.failed_total,
        "sends_last_minute": stats.sends_last_minute,
    }
    with db.transaction() as session:
        found = (
            session.connection()
            .execute(
                update(StackControllerRow)
                .where(StackControllerRow.id == controller_id)
                .values(**figures)
            )
            .rowcount
            == 1
        )
        if not found:
            session.add(
                StackControllerRow(
                    id=controller_id,
                    workstation=workstation[:100],
                    host=socket.gethostname()[:200],
                    pid=os.getpid(),
                    mode=mode,
                    started_at=now,
                    **figures,
                )
            )
        session.execute(
            update(StatusUpdate)
            .where(
                StatusUpdate.claimed_by == controller_id,
                StatusUpdate.claim_token.is_not(None),
            )
            .values(claimed_until=now + lease)
        )
    return found


def _release_claims(session: Session, controller_id: str) -> int:
    result = session.connection().execute(
        update(StatusUpdate)
        .where(StatusUpdate.claimed_by == controller_id, StatusUpdate.claim_token.is_not(None))
        .values(claim_token=None, claimed_until=None, claimed_by="")
    )
    return int(result.rowcount or 0)


def unregister_controller(db: Database, controller_id: str) -> None:
    """A controller stops: its remaining claims are released and its row (and lease) removed."""
    with db.transaction() as session:
        _release_claims(session, controller_id)
        session.execute(delete(StackLease).where(StackLease.holder == controller_id))
        session.execute(delete(StackControllerRow).where(StackControllerRow.id == controller_id))


def recover_dead_controllers(
    db: Database, *, dead_after: timedelta, now: datetime | None = None
) -> int:
    """Recover every controller whose last heartbeat is older than ``dead_after``: release its
    claims, drop its row and lease, log a warning. Returns how many were recovered."""
    now = _now(now)
    cutoff = now - dead_after
    with db.transaction() as session:
        dead = (
            session.execute(
                select(StackControllerRow)
                .where(StackControllerRow.heartbeat_at < cutoff)
                .with_for_update(skip_locked=True)
            )
            .scalars()
            .all()
        )
        for row in dead:
            released = _release_claims(session, row.id)
            session.execute(delete(StackLease).where(StackLease.holder == row.id))
            session.delete(row)
            silent = int((now - row.heartbeat_at).total_seconds())
            log_event(
                session,
                "stack-controller",
                "warning",
                f"Stack controller {row.id[:8]} ({row.mode} mode, {row.host or row.workstation}, "
                f"pid {row.pid}) sent no heartbeat for {silent} s and was presumed dead; "
                f"{released} claimed record{'s' if released != 1 else ''} released for "
                "another try.",
                now=now,
            )
    return len(dead)


def list_controllers(db: Database) -> list[ControllerInfo]:
    with db.session() as session:
        rows = session.execute(select(StackControllerRow).order_by(StackControllerRow.started_at))
        return [_info(row) for row in rows.scalars()]


def claims_held(db: Database, controller_id: str) -> int:
    """How many records this controller holds a claim on (tests and diagnostics)."""
    with db.session() as session:
        return int(
            session.execute(
                select(func.count()).where(
                    StatusUpdate.claimed_by == controller_id,
                    StatusUpdate.claim_token.is_not(None),
                )
            ).scalar_one()
        )


def _info(row: StackControllerRow) -> ControllerInfo:
    return ControllerInfo(
        id=row.id,
        workstation=row.workstation,
        host=row.host,
        pid=row.pid,
        mode=row.mode,
        state=row.state,
        started_at=row.started_at,
        heartbeat_at=row.heartbeat_at,
        last_ok_at=row.last_ok_at,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        sent_total=row.sent_total,
        failed_total=row.failed_total,
        sends_last_minute=row.sends_last_minute,
    )
