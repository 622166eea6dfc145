"""Per-cart sync status for the Sync Status view: the last successful download and its counts,
why orders were skipped, the last error, whether the cart is stale or a cycle is running now, and
what waits on the stack for the cart.

Plain dataclasses out, one statement per concern (carts and their times, last successful runs,
newest runs, skip reasons, the stack), so the view costs the same with ten orders or ten million.

The last status update sent to a cart is ``carts.last_status_sent_at``, which the stack
controller writes with its heartbeat for the carts that accepted updates since the last one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from ordermanager.db.models import Cart, EventLogRow, StatusUpdate, SyncRun
from ordermanager.sync.schedule import (
    CartTiming,
    installed_kinds,
    interval_of,
    next_sync_at,
    not_scheduled_because,
    read_timings,
)

# Stale: no successful cycle for longer than twice the interval plus this grace.
STALE_GRACE = timedelta(minutes=1)
# The sync cycle writes each skip as "Cart '<name>': order <number> skipped: <reason>".
_SKIP_MARK = " skipped: "
_LOG_SOURCE = "sync"


@dataclass(frozen=True)
class SkipReason:
    reason: str
    count: int


@dataclass(frozen=True)
class CartSyncStatus:
    cart_id: int
    name: str
    kind: str
    interval_minutes: int
    not_scheduled_because: str  # "" when the scheduler syncs this cart
    last_success_at: datetime | None  # end of the last successful cycle
    has_counts: bool  # a successful run is on record with the counts below
    downloaded: int  # ... and what it did
    created: int
    updated: int
    skipped: int
    skip_reasons: tuple[SkipReason, ...]  # of that cycle, most frequent first
    last_error: str  # of the newest cycle, when it failed (or was cancelled)
    last_error_at: datetime | None
    next_sync_at: datetime | None  # None with ``scheduled``: due now
    stale: bool
    running_since: datetime | None
    stack_waiting: int  # status updates for this cart on the stack (held included)
    stack_held: int
    last_status_sent_at: datetime | None

    @property
    def scheduled(self) -> bool:
        return not self.not_scheduled_because

    @property
    def running(self) -> bool:
        return self.running_since is not None


@dataclass(frozen=True)
class _Run:
    id: int
    started_at: datetime
    finished_at: datetime | None
    downloaded: int
    created: int
    updated: int
    skipped: int
    error: str


def is_stale(timing: CartTiming, reference: datetime | None, now: datetime) -> bool:
    """No successful cycle for longer than twice the interval (plus grace). Only a cart the
    scheduler syncs can be stale; a never synced one counts from when it was added."""
    since = reference if reference is not None else timing.created_at
    return now - since > 2 * interval_of(timing.interval_minutes) + STALE_GRACE


def cart_sync_statuses(
    session: Session, now: datetime, *, kinds: Collection[str] | None = None
) -> list[CartSyncStatus]:
    """The sync status of every cart, by name."""
    known = installed_kinds() if kinds is None else kinds
    timings = read_timings(session, now)
    if not timings:
        return []
    successes = _last_runs(session, successful=True)
    newest = _last_runs(session, successful=False)
    names = {t.cart_id: t.name for t in timings}
    reasons = _skip_reasons(session, names, successes)
    stack = _stack_counts(session)
    sent = _last_sent(session)
    statuses = []
    for timing in timings:
        why_not = not_scheduled_because(timing, known)
        success = successes.get(timing.cart_id)
        latest = newest.get(timing.cart_id)
        failed = latest if latest is not None and latest.error else None
        waiting, held = stack.get(timing.cart_id, (0, 0))
        statuses.append(
            CartSyncStatus(
                cart_id=timing.cart_id,
                name=timing.name,
                kind=timing.kind,
                interval_minutes=timing.interval_minutes,
                not_scheduled_because=why_not,
                last_success_at=timing.last_sync_at,
                has_counts=success is not None,
                downloaded=success.downloaded if success else 0,
                created=success.created if success else 0,
                updated=success.updated if success else 0,
                skipped=success.skipped if success else 0,
                skip_reasons=reasons.get(timing.cart_id, ()),
                last_error=failed.error if failed else "",
                last_error_at=(failed.finished_at or failed.started_at) if failed else None,
                next_sync_at=next_sync_at(timing),
                stale=not why_not and is_stale(timing, timing.last_sync_at, now),
                running_since=timing.running_since,
                stack_waiting=waiting,
                stack_held=held,
                last_status_sent_at=sent.get(timing.cart_id),
            )
        )
    return statuses


def _last_runs(session: Session, *, successful: bool) -> dict[int, _Run]:
    """The newest finished run of each cart (only the successful ones, when asked): per cart a
    backward walk of ix_sync_runs_cart_id that stops at the first match."""
    conditions = [SyncRun.cart_id == Cart.id, SyncRun.finished_at.is_not(None)]
    if successful:
        conditions.append(SyncRun.error == "")
    newest_id = (
        select(SyncRun.id)
        .where(*conditions)
        .order_by(SyncRun.id.desc())
        .limit(1)
        .correlate(Cart)
        .scalar_subquery()
    )
    chosen = aliased(SyncRun)
    query = select(chosen).select_from(Cart).join(chosen, chosen.id == newest_id)
    return {
        run.cart_id: _Run(
            run.id,
            run.started_at,
            run.finished_at,
            run.downloaded,
            run.created,
            run.updated,
            run.skipped,
            run.error,
        )
        for run in session.execute(query).scalars()
    }


def _skip_reasons(
    session: Session, names: dict[int, str], runs: dict[int, _Run]
) -> dict[int, tuple[SkipReason, ...]]:
    """The skip reasons logged during each cart's last successful run, grouped and counted.

    The log has no cart column; a skip names its cart at the start of its message, so each cart's
    entries are those with its prefix between the start and the end of its run."""
    windows = []
    for cart_id, run in runs.items():
        if run.skipped and run.finished_at is not None and cart_id in names:
            windows.append(
                and_(
                    EventLogRow.at >= run.started_at,
                    EventLogRow.at <= run.finished_at,
                    EventLogRow.message.startswith(_prefix(names[cart_id]), autoescape=True),
                )
            )
    if not windows:
        return {}
    query = select(EventLogRow.message).where(EventLogRow.source == _LOG_SOURCE, or_(*windows))
    counters: dict[int, Counter[str]] = {}
    by_prefix = {_prefix(name): cart_id for cart_id, name in names.items() if cart_id in runs}
    for (message,) in session.execute(query):
        # rpartition: a connector's reason may say "... order 12 skipped: <why>" itself.
        head, mark, reason = message.rpartition(_SKIP_MARK)
        owner = _cart_of(head, by_prefix) if mark else None
        if owner is not None:
            counters.setdefault(owner, Counter())[reason] += 1
    return {
        cart_id: tuple(
            SkipReason(reason, n)
            for reason, n in sorted(counter.items(), key=lambda pair: (-pair[1], pair[0]))
        )
        for cart_id, counter in counters.items()
    }


def _prefix(name: str) -> str:
    return f"Cart '{name}': order "


def _cart_of(head: str, by_prefix: dict[str, int]) -> int | None:
    # The longest matching prefix: a cart named "Shop" must not take "Shop': order" of another.
    best: tuple[int, int] | None = None
    for prefix, cart_id in by_prefix.items():
        if head.startswith(prefix) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), cart_id)
    return best[1] if best else None


def _stack_counts(session: Session) -> dict[int, tuple[int, int]]:
    """Per cart: status updates waiting on the stack, and how many of them are on hold."""
    held = func.sum(case((StatusUpdate.state == "held", 1), else_=0))
    query = select(StatusUpdate.cart_id, func.count(), held).group_by(StatusUpdate.cart_id)
    return {
        int(cart_id): (int(waiting), int(on_hold or 0))
        for cart_id, waiting, on_hold in session.execute(query)
    }


def _last_sent(session: Session) -> dict[int, datetime]:
    """When a status update was last delivered to each cart, where that is recorded."""
    column = Cart.last_status_sent_at
    query = select(Cart.id, column).where(column.is_not(None))
    return {int(cart_id): when for cart_id, when in session.execute(query) if when is not None}
