"""The Shared-mode lease (table ``stack_lease``): exactly one workstation's controller sends.

The holder renews the lease with every heartbeat; another controller can take it only once it has
expired or was released. Acquire-or-renew is one atomic upsert on both databases
(``INSERT ... ON CONFLICT DO UPDATE ... WHERE holder = me OR expires_at < now``), so two
workstations racing for an expired lease cannot both win: the row lock (PostgreSQL) or the write
lock (SQLite, BEGIN IMMEDIATE) orders them, and the loser's WHERE no longer matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, case, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ordermanager.db.engine import Database
from ordermanager.db.models import StackLease

SHARED = "shared"


@dataclass(frozen=True)
class LeaseInfo:
    holder: str  # the controller id
    workstation: str
    acquired_at: datetime
    expires_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "holder": self.holder,
            "workstation": self.workstation,
            "acquired_at": self.acquired_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
        }


def try_acquire_shared_lease(
    db: Database,
    controller_id: str,
    workstation: str,
    *,
    ttl: timedelta,
    now: datetime | None = None,
) -> bool:
    """Take the lease if it is free or expired, renew it if we hold it. True: we hold it now."""
    now = now if now is not None else datetime.now(UTC)
    insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
    table: Table = StackLease.__table__  # type: ignore[assignment]
    proposed = insert(table).values(
        name=SHARED,
        holder=controller_id,
        workstation=workstation[:100],
        acquired_at=now,
        expires_at=now + ttl,
    )
    ours = table.c.holder == controller_id
    statement = proposed.on_conflict_do_update(
        index_elements=[table.c.name],
        set_={
            "holder": proposed.excluded.holder,
            "workstation": proposed.excluded.workstation,
            # A renewal keeps the time it was first acquired; a takeover starts afresh.
            "acquired_at": _if(ours, table.c.acquired_at, proposed.excluded.acquired_at),
            "expires_at": proposed.excluded.expires_at,
        },
        where=or_(ours, table.c.expires_at < now),
    ).returning(table.c.holder)
    with db.transaction() as session:
        won = session.execute(statement).scalar_one_or_none()
    return won == controller_id


def _if(condition: Any, then: Any, otherwise: Any) -> Any:
    return case((condition, then), else_=otherwise)


def release_shared_lease(db: Database, controller_id: str) -> None:
    """Give the lease up (graceful stop), so another workstation takes over at once."""
    with db.transaction() as session:
        session.execute(
            delete(StackLease).where(StackLease.name == SHARED, StackLease.holder == controller_id)
        )


def shared_lease_holder(db: Database, *, now: datetime | None = None) -> LeaseInfo | None:
    """Who holds the lease now; None when nobody does (never taken, released or expired)."""
    now = now if now is not None else datetime.now(UTC)
    with db.session() as session:
        row = session.execute(
            select(
                StackLease.holder,
                StackLease.workstation,
                StackLease.acquired_at,
                StackLease.expires_at,
            ).where(StackLease.name == SHARED, StackLease.expires_at >= now)
        ).one_or_none()
    if row is None:
        return None
    return LeaseInfo(
        holder=row.holder,
        workstation=row.workstation,
        acquired_at=row.acquired_at,
        expires_at=row.expires_at,
    )
