"""The log table (``event_log``): what the stack, its controllers and operators did, readable by
every workstation (the status window, ``ordermanager stack``). Python logging still goes to stderr;
this is the part an operator must be able to see later, from any workstation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ordermanager.db.models import EventLogRow

LEVELS = ("info", "warning", "error")
_MESSAGE_MAX = 4000  # a cart's error page can be huge; the gist fits in this


@dataclass(frozen=True)
class EventLogEntry:
    id: int
    at: datetime
    source: str
    level: str
    message: str
    order_id: int | None
    record_id: int | None
    actor: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "source": self.source,
            "level": self.level,
            "message": self.message,
            "order_id": self.order_id,
            "record_id": self.record_id,
            "actor": self.actor,
        }


def log_event(
    session: Session,
    source: str,
    level: str,
    message: str,
    *,
    order_id: int | None = None,
    record_id: int | None = None,
    actor: str = "",
    now: datetime | None = None,
) -> None:
    """Add one entry in the caller's transaction: it commits (or not) with what it describes."""
    if level not in LEVELS:
        raise ValueError(f"unknown log level {level!r}")
    session.add(
        EventLogRow(
            at=now or datetime.now(UTC),
            source=source[:30],
            level=level,
            message=message[:_MESSAGE_MAX],
            order_id=order_id,
            record_id=record_id,
            actor=actor[:100],
        )
    )


def recent_events(
    session: Session, limit: int = 200, source: str | None = None
) -> list[EventLogEntry]:
    """The newest entries first."""
    query = select(EventLogRow).order_by(EventLogRow.id.desc()).limit(limit)
    if source is not None:
        query = query.where(EventLogRow.source == source)
    return [
        EventLogEntry(
            id=row.id,
            at=row.at,
            source=row.source,
            level=row.level,
            message=row.message,
            order_id=row.order_id,
            record_id=row.record_id,
            actor=row.actor,
        )
        for row in session.execute(query).scalars()
    ]
