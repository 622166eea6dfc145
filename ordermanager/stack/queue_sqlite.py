"""The stack queue's hot path on SQLite: claim and batched settles on the DB-API connection.

A controller on a fast cart claims and deletes thousands of records a second, and SQLAlchemy's
per-transaction and per-statement work (session, events, result objects, re-rendering the
expanding IN lists) cost several times the SQL itself. On SQLite these statements therefore run
as fixed SQL text on the pooled driver connection, in the same BEGIN IMMEDIATE transaction the
engine would open. Lists travel as one JSON parameter (json_each), so the text never changes and
sqlite3's statement cache prepares each statement once per connection. PostgreSQL keeps the Core
statements in queue.py (SKIP LOCKED, its own planner). CLAIM mirrors queue._claim_statement.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from ordermanager.db.engine import Database

CLAIM = """
UPDATE stack
SET claim_token = lower(hex(randomblob(16))), claimed_until = :until, claimed_by = :controller
WHERE id IN (
    SELECT candidate.id FROM stack AS candidate
    WHERE candidate.state = 'queued'
      AND candidate.next_attempt_at <= :now
      AND (candidate.claim_token IS NULL OR candidate.claimed_until < :now)
      AND NOT EXISTS (
          SELECT 1 FROM stack AS earlier
          WHERE earlier.order_id = candidate.order_id AND earlier.id < candidate.id)
      AND (:workstation IS NULL OR candidate.queued_by = :workstation)
      AND candidate.order_id NOT IN (SELECT value FROM json_each(:skip_orders))
      AND candidate.cart_id NOT IN (SELECT value FROM json_each(:skip_carts))
    ORDER BY candidate.id
    LIMIT :limit)
RETURNING id, order_id, cart_id, event, order_label, payload, idempotency_key, attempts,
    claim_token,
    (SELECT number FROM orders WHERE orders.id = stack.order_id),
    (SELECT remote_id FROM orders WHERE orders.id = stack.order_id),
    (SELECT name FROM carts WHERE carts.id = stack.cart_id),
    (SELECT kind FROM carts WHERE carts.id = stack.cart_id),
    (SELECT base_url FROM carts WHERE carts.id = stack.cart_id),
    (SELECT demo FROM carts WHERE carts.id = stack.cart_id)
"""

# The fenced records of a batch: the ids (looked up on the primary key) and, as the fence, each
# record's "id:token" pair, so a record matches only with its own token. Two plain IN lists: a
# join that extracted both values from each JSON pair cost twice as much per record.
_FENCED = (
    "id IN (SELECT value FROM json_each(:ids)) "
    "AND (id || ':' || claim_token) IN (SELECT value FROM json_each(:pairs))"
)
_DELETE_MANY = f"DELETE FROM stack WHERE {_FENCED} RETURNING id"
_RELEASE_MANY = (
    f"UPDATE stack SET claim_token = NULL, claimed_until = NULL, claimed_by = '' WHERE {_FENCED}"
)
_DELETE = "DELETE FROM stack WHERE id = ? AND claim_token = ?"


@contextmanager
def write(db: Database) -> Iterator[Any]:
    """A cursor inside BEGIN IMMEDIATE on a pooled connection; COMMIT on success, else ROLLBACK.
    The connection runs with the sqlite3 module's own transaction handling off (engine.py)."""
    pooled = db.engine.raw_connection()
    try:
        cursor = pooled.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("BEGIN IMMEDIATE")
        try:
            yield cursor
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        finally:
            cursor.close()
    finally:
        pooled.close()  # back to the pool


def _time(value: datetime) -> str:
    """A timestamp as UTCDateTime stores it on SQLite: naive UTC text with microseconds."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _fenced(records: Collection[tuple[int, str]]) -> dict[str, str]:
    """The parameters of _FENCED for (record id, claim token) pairs."""
    return {
        "ids": json.dumps([record_id for record_id, _ in records]),
        "pairs": json.dumps([f"{record_id}:{token}" for record_id, token in records]),
    }


def delete_then_claim(
    db: Database,
    delivered: Collection[tuple[int, str]],
    controller_id: str,
    limit: int,
    now: datetime,
    until: datetime,
    queued_by: str | None,
    skip_orders: Collection[int],
    skip_carts: Collection[int],
) -> tuple[set[int], list[Any]]:
    """queue.delete_delivered_then_claim on SQLite: the ids deleted and the claim's RETURNING
    rows (as tuples)."""
    deleted: set[int] = set()
    rows: list[Any] = []
    with write(db) as cursor:
        if delivered:
            cursor.execute(_DELETE_MANY, _fenced(delivered))
            deleted = {row[0] for row in cursor.fetchall()}
        if limit >= 1:
            stamp = _time(now)
            cursor.execute(
                CLAIM,
                {
                    "until": _time(until),
                    "controller": controller_id,
                    "now": stamp,
                    "workstation": queued_by,
                    "skip_orders": json.dumps(list(skip_orders)),
                    "skip_carts": json.dumps(list(skip_carts)),
                    "limit": limit,
                },
            )
            rows = cursor.fetchall()
    return deleted, rows


def delete_one(db: Database, record_id: int, claim_token: str) -> bool:
    """queue.delete_delivered on SQLite."""
    with write(db) as cursor:
        cursor.execute(_DELETE, (record_id, claim_token))
        return bool(cursor.rowcount == 1)


def delete_many(db: Database, delivered: Collection[tuple[int, str]]) -> set[int]:
    """queue.delete_delivered_many on SQLite: the ids deleted."""
    with write(db) as cursor:
        cursor.execute(_DELETE_MANY, _fenced(delivered))
        return {row[0] for row in cursor.fetchall()}


def release_many(db: Database, claimed: Collection[tuple[int, str]]) -> int:
    """queue.release_many on SQLite: how many were released."""
    with write(db) as cursor:
        cursor.execute(_RELEASE_MANY, _fenced(claimed))
        return int(cursor.rowcount)
