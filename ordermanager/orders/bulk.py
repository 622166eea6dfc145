"""Running one operator action on many orders: chunked commits, per-order failures, progress.

Each chunk is one write transaction, so a bulk ship of 10,000 orders does not hold the write lock
for the whole run, and cancelling keeps what is already done. Each order runs in a savepoint, so an
order that fails (already cancelled, nothing to ship) is reported and undone alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from ordermanager.db.engine import Database
from ordermanager.errors import OrderManagerError

Action = Callable[[Session, int], object]
Progress = Callable[[int, int], None]

DEFAULT_CHUNK = 500


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # order id -> the operator's message
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled


ChunkAction = Callable[[Session, Sequence[int]], tuple[list[int], dict[int, str]]]


def run_bulk(
    database: Database,
    action: Action,
    order_ids: Sequence[int],
    progress: Progress | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    *,
    chunk_size: int = DEFAULT_CHUNK,
) -> BulkResult:
    """Run ``action(session, order_id)`` for every order; report, never stop, on a failure."""

    def chunk_action(session: Session, chunk: Sequence[int]) -> tuple[list[int], dict[int, str]]:
        done: list[int] = []
        failed: dict[int, str] = {}
        for order_id in chunk:
            try:
                with session.begin_nested():
                    action(session, order_id)
            except OrderManagerError as exc:
                failed[order_id] = str(exc)
            except sa_exc.IntegrityError as exc:
                failed[order_id] = f"the database refused the change ({type(exc.orig).__name__})"
            else:
                done.append(order_id)
        return done, failed

    return run_chunked(
        database, chunk_action, order_ids, progress, is_cancelled, chunk_size=chunk_size
    )


def run_chunked(
    database: Database,
    chunk_action: ChunkAction,
    order_ids: Sequence[int],
    progress: Progress | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    *,
    chunk_size: int = DEFAULT_CHUNK,
) -> BulkResult:
    """Run a set-based action chunk by chunk, one write transaction per chunk.

    ``chunk_action(session, ids)`` returns (done ids, {failed id: message}); the done ones count
    only once their chunk has committed.
    """
    result = BulkResult()
    total = len(order_ids)
    size = max(chunk_size, 1)
    for start in range(0, total, size):
        if is_cancelled is not None and is_cancelled():
            result.cancelled = True
            break
        chunk = order_ids[start : start + size]
        with database.transaction() as session:
            done, failed = chunk_action(session, chunk)
        result.done.extend(done)
        result.failed.update(failed)
        if progress is not None:
            progress(min(start + len(chunk), total), total)
    return result
