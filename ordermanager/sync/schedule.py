"""When a cart's next sync cycle is due, and which carts are due now (the scheduler's question).

A cart is synced on its own interval (``carts.sync_interval_minutes``) when it is enabled, is not
a demo cart, and a connector for its kind is installed. It is due when its last successful cycle
is at least one interval old (or it never had one) and no cycle was attempted within the last
interval: a cart that cannot be reached is tried again once per interval, not every minute.
A cycle that is still running (a sync run with no end, started less than RUNNING_AT_MOST ago,
maybe on another workstation) is not started a second time; an older unfinished run is taken
for a crashed one and no longer blocks the cart.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ordermanager.db.models import Cart, SyncRun

RUNNING_AT_MOST = timedelta(hours=1)
MIN_INTERVAL_MINUTES = 1


@dataclass(frozen=True)
class CartTiming:
    """What the schedule knows about one cart, read in one query for every cart."""

    cart_id: int
    name: str
    kind: str
    enabled: bool
    demo: bool
    interval_minutes: int
    created_at: datetime
    last_sync_at: datetime | None  # the end of the last successful cycle
    last_attempt_at: datetime | None  # the start of the newest cycle, whatever became of it
    running_since: datetime | None  # an unfinished cycle younger than RUNNING_AT_MOST


def interval_of(minutes: int) -> timedelta:
    return timedelta(minutes=max(minutes, MIN_INTERVAL_MINUTES))


def installed_kinds() -> frozenset[str]:
    """The cart kinds a connector is installed for (imported on first use)."""
    from ordermanager.carts.registry import connectors

    return frozenset(connectors())


def not_scheduled_because(timing: CartTiming, kinds: Collection[str]) -> str:
    """Why the scheduler leaves this cart alone, in words for the operator; "" when it does not."""
    if timing.demo:
        return "demo cart"
    if not timing.enabled:
        return "disabled"
    if timing.kind not in kinds:
        return f"no connector for {timing.kind} carts yet"
    return ""


def next_sync_at(timing: CartTiming) -> datetime | None:
    """When the next cycle is due; None: due at once (never synced, never tried)."""
    interval = interval_of(timing.interval_minutes)
    candidates = [
        moment + interval
        for moment in (timing.last_sync_at, timing.last_attempt_at)
        if moment is not None
    ]
    if timing.last_sync_at is None and timing.last_attempt_at is None:
        return None
    return max(candidates)


def read_timings(session: Session, now: datetime) -> list[CartTiming]:
    """Every cart with its sync times: one statement, whatever the number of carts. Each cart's
    newest run is found by walking ix_sync_runs_cart_id backwards (a correlated LIMIT 1), so
    years of sync runs cost no more than a week of them."""
    newest = aliased(SyncRun)
    newest_id = (
        select(SyncRun.id)
        .where(SyncRun.cart_id == Cart.id)
        .order_by(SyncRun.id.desc())
        .limit(1)
        .correlate(Cart)
        .scalar_subquery()
    )
    query = (
        select(
            Cart.id,
            Cart.name,
            Cart.kind,
            Cart.enabled,
            Cart.demo,
            Cart.sync_interval_minutes,
            Cart.created_at,
            Cart.last_sync_at,
            newest.started_at,
            newest.finished_at,
        )
        .outerjoin(newest, newest.id == newest_id)
        .order_by(Cart.name)
    )
    cutoff = now - RUNNING_AT_MOST
    return [
        CartTiming(
            cart_id=row[0],
            name=row[1],
            kind=row[2],
            enabled=bool(row[3]),
            demo=bool(row[4]),
            interval_minutes=int(row[5] or 0),
            created_at=row[6],
            last_sync_at=row[7],
            last_attempt_at=row[8],
            # The newest cycle has not ended: running, unless it began too long ago to be alive.
            running_since=row[8]
            if row[8] is not None and row[9] is None and row[8] > cutoff
            else None,
        )
        for row in session.execute(query).all()
    ]


def _running_since(
    started: datetime | None, finished: datetime | None, cutoff: datetime
) -> datetime | None:
    # The newest cycle has not ended: running, unless it began too long ago to be alive.
    if started is None or finished is not None or started <= cutoff:
        return None
    return started


def is_due(timing: CartTiming, now: datetime, kinds: Collection[str]) -> bool:
    if not_scheduled_because(timing, kinds) or timing.running_since is not None:
        return False
    due = next_sync_at(timing)
    return due is None or due <= now


def due_carts(
    session: Session, now: datetime, *, kinds: Collection[str] | None = None
) -> list[int]:
    """The ids of the carts whose sync cycle is due at ``now``, by name."""
    known = installed_kinds() if kinds is None else kinds
    return [t.cart_id for t in read_timings(session, now) if is_due(t, now, known)]
