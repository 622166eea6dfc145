"""The stack controller's side of the stack: claim records, then settle each one, fenced.

A claim writes a fresh claim token, a lease (``claimed_until``) and the controller's id on a record.
Every settle (delete after OK, reschedule, hold, release) names the record AND the token, so a
controller that lost its claim (lease expired and another controller re-claimed, or it was presumed
dead) changes nothing: the call returns False and the caller logs it. Claims are kept alive by the
controller's heartbeat (ordermanager.stack.controllers), not by guessing from time alone.

Per-order FIFO: only the head of an order (no record of the same order with a smaller id, in any
state) can be claimed, so a held or failing record blocks its own order and nothing else. Ids come
from AUTOINCREMENT on SQLite and a sequence on PostgreSQL, so they are never reused.

Transactions stay short: one statement to claim (plus one read of the order and cart names), one to
settle. Nothing is held open across the HTTP call.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    or_,
    select,
    tuple_,
    update,
)

from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, Order, StatusUpdate
from ordermanager.db.types import UTCDateTime
from ordermanager.stack import queue_sqlite

_stack: Table = StatusUpdate.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class ClaimedRecord:
    """One claimed record with what a sender needs; plain data, safe to hand to another thread."""

    id: int
    order_id: int
    order_number: str
    order_remote_id: str
    cart_id: int
    cart_name: str
    cart_kind: str
    cart_base_url: str
    cart_demo: bool
    event: str
    order_label: str | None
    payload: dict[str, Any]
    idempotency_key: str
    attempts: int  # attempts before this one
    claim_token: str
    claimed_until: datetime


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _is_head(record: Any) -> ColumnElement[bool]:
    """No record of the same order with a smaller id: the order's next update to send."""
    earlier = _stack.alias("earlier")
    return ~exists().where(earlier.c.order_id == record.c.order_id, earlier.c.id < record.c.id)


@lru_cache(maxsize=32)
def _claim_statement(
    dialect: str, by_workstation: bool, skip_orders: bool, skip_carts: bool
) -> Any:
    """The claim UPDATE, built once per shape: building SQLAlchemy constructs per claim cost more
    than the claim itself. Parameters: now, until, controller, limit (and the filters)."""
    candidate = _stack.alias("candidate")
    now = bindparam("now", type_=UTCDateTime)
    conditions: list[ColumnElement[bool]] = [
        candidate.c.state == "queued",
        candidate.c.next_attempt_at <= now,
        or_(candidate.c.claim_token.is_(None), candidate.c.claimed_until < now),
        _is_head(candidate),
    ]
    if by_workstation:
        conditions.append(candidate.c.queued_by == bindparam("workstation"))
    if skip_orders:
        conditions.append(candidate.c.order_id.not_in(bindparam("skip_orders", expanding=True)))
    if skip_carts:
        conditions.append(candidate.c.cart_id.not_in(bindparam("skip_carts", expanding=True)))
    due = (
        select(candidate.c.id)
        .where(*conditions)
        .order_by(candidate.c.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if dialect == "postgresql":
        token: ColumnElement[Any] = func.replace(cast(func.gen_random_uuid(), String), "-", "")
        # The CTE is a fence: without it the planner may run the LIMIT subquery more than once
        # and update more rows than asked (Oban's note). SKIP LOCKED lets four controllers claim
        # side by side without waiting for each other or claiming the same record twice.
        fenced = due.with_for_update(skip_locked=True, of=candidate).cte("due")
        where: ColumnElement[bool] = _stack.c.id == fenced.c.id
    else:
        # SQLite: the write transaction is BEGIN IMMEDIATE, so this UPDATE runs alone.
        token = func.lower(func.hex(func.randomblob(16)))
        where = _stack.c.id.in_(due.scalar_subquery())
    # What the sender needs comes back with the claim, as scalar subqueries: SQLite's RETURNING
    # cannot name other tables, and one statement per claim keeps the write lock short.
    order, cart = Order.__table__, Cart.__table__

    def of_order(column: Any) -> Any:
        return select(column).where(order.c.id == _stack.c.order_id).scalar_subquery()

    def of_cart(column: Any) -> Any:
        return select(column).where(cart.c.id == _stack.c.cart_id).scalar_subquery()

    return (
        update(_stack)
        .where(where)
        .values(
            claim_token=token,
            claimed_until=bindparam("until", type_=UTCDateTime),
            claimed_by=bindparam("controller", type_=String),
        )
        .returning(
            _stack.c.id,
            _stack.c.order_id,
            _stack.c.cart_id,
            _stack.c.event,
            _stack.c.order_label,
            _stack.c.payload,
            _stack.c.idempotency_key,
            _stack.c.attempts,
            _stack.c.claim_token,
            of_order(order.c.number).label("order_number"),
            of_order(order.c.remote_id).label("order_remote_id"),
            of_cart(cart.c.name).label("cart_name"),
            of_cart(cart.c.kind).label("cart_kind"),
            of_cart(cart.c.base_url).label("cart_base_url"),
            of_cart(cart.c.demo).label("cart_demo"),
        )
    )


def claim(
    db: Database,
    controller_id: str,
    *,
    limit: int = 1,
    lease: timedelta,
    queued_by: str | None = None,
    skip_orders: Collection[int] = (),
    skip_carts: Collection[int] = (),
    now: datetime | None = None,
) -> list[ClaimedRecord]:
    """Claim up to ``limit`` due records, oldest first, each the head of its order.

    ``queued_by`` (Local mode) limits the claim to one workstation's records. ``skip_orders`` and
    ``skip_carts`` leave out what the caller is already busy with (an order in flight, a cart
    that is rate limited).
    """
    return delete_delivered_then_claim(
        db,
        (),
        controller_id,
        limit=limit,
        lease=lease,
        queued_by=queued_by,
        skip_orders=skip_orders,
        skip_carts=skip_carts,
        now=now,
    )[1]


def delete_delivered_then_claim(
    db: Database,
    delivered: Collection[tuple[int, str]],
    controller_id: str,
    *,
    limit: int = 1,
    lease: timedelta,
    queued_by: str | None = None,
    skip_orders: Collection[int] = (),
    skip_carts: Collection[int] = (),
    now: datetime | None = None,
) -> tuple[set[int], list[ClaimedRecord]]:
    """``delete_delivered_many`` and ``claim`` in one write transaction (the controller's feed
    loop does both at once): the ids deleted and the records claimed. Deleting first lets the
    claim take the next record of an order whose head was just delivered."""
    if limit < 1 and not delivered:
        return set(), []
    now = _now(now)
    until = now + lease
    if db.dialect == "sqlite":
        gone, returned = queue_sqlite.delete_then_claim(
            db, delivered, controller_id, limit, now, until, queued_by, skip_orders, skip_carts
        )
        return gone, _claimed_records(returned, until)
    statement = _claim_statement(
        db.dialect, queued_by is not None, bool(skip_orders), bool(skip_carts)
    )
    params: dict[str, Any] = {
        "now": now,
        "until": until,
        "controller": controller_id,
        "limit": limit,
    }
    if queued_by is not None:
        params["workstation"] = queued_by
    if skip_orders:
        params["skip_orders"] = list(skip_orders)
    if skip_carts:
        params["skip_carts"] = list(skip_carts)
    deleted: set[int] = set()
    with db.transaction() as session:
        # Core on the session's connection: the ORM layer adds nothing here but time.
        connection = session.connection()
        if delivered:
            deleted = _delete_many(connection, delivered)
        rows = connection.execute(statement, params).all() if limit >= 1 else []
    return deleted, _claimed_records(rows, until)


def _claimed_records(rows: Any, until: datetime) -> list[ClaimedRecord]:
    """Claimed records from the claim's RETURNING rows (columns in the order _claim_statement
    and queue_sqlite.CLAIM both return them), oldest first: RETURNING order is not promised."""
    records = [
        ClaimedRecord(
            id=row[0],
            order_id=row[1],
            cart_id=row[2],
            event=row[3],
            order_label=row[4],
            payload=_parse_payload(row[5]),
            idempotency_key=row[6],
            attempts=row[7],
            claim_token=row[8],
            order_number=row[9],
            order_remote_id=row[10],
            cart_name=row[11],
            cart_kind=row[12],
            cart_base_url=row[13],
            cart_demo=bool(row[14]),
            claimed_until=until,
        )
        for row in rows
    ]
    records.sort(key=lambda record: record.id)
    return records


def _parse_payload(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


# Every settle names the record and the claim token: a controller that lost its claim changes
# nothing. Built once; the hot path (delete after OK) must not rebuild SQL constructs per record.
_FENCE = and_(_stack.c.id == bindparam("record_id"), _stack.c.claim_token == bindparam("token"))
_CLEAR_CLAIM: dict[str, Any] = {"claim_token": None, "claimed_until": None, "claimed_by": ""}
_DELETE = delete(_stack).where(_FENCE)
_RELEASE = update(_stack).where(_FENCE).values(**_CLEAR_CLAIM)


def _settle(db: Database, statement: Any, record_id: int, claim_token: str) -> bool:
    with db.transaction() as session:
        parameters = {"record_id": record_id, "token": claim_token}
        result = session.connection().execute(statement, parameters)
        return bool(result.rowcount == 1)


def delete_delivered(db: Database, record_id: int, claim_token: str) -> bool:
    """The cart said OK: the record leaves the stack. False: the claim was lost, nothing changed."""
    if db.dialect == "sqlite":
        return queue_sqlite.delete_one(db, record_id, claim_token)
    return _settle(db, _DELETE, record_id, claim_token)


_DELETE_MANY = (
    delete(_stack)
    .where(
        # The plain id list is for the planner: SQLite scans the whole table for a row-value IN
        # alone, but looks up the primary key for this one. The pairs are the fence.
        _stack.c.id.in_(bindparam("ids", expanding=True)),
        tuple_(_stack.c.id, _stack.c.claim_token).in_(bindparam("pairs", expanding=True)),
    )
    .returning(_stack.c.id)
)


def delete_delivered_many(db: Database, delivered: Collection[tuple[int, str]]) -> set[int]:
    """Delete a batch of delivered records, each fenced by its own claim token, in one transaction.

    ``delivered`` holds (record id, claim token) pairs. Returns the ids deleted; a record missing
    from the answer had lost its claim and was left as it was. One write transaction per batch
    instead of one per record is what lets a controller keep up with a fast cart.
    """
    if not delivered:
        return set()
    if db.dialect == "sqlite":
        return queue_sqlite.delete_many(db, delivered)
    with db.transaction() as session:
        return _delete_many(session.connection(), delivered)


def _delete_many(connection: Any, delivered: Collection[tuple[int, str]]) -> set[int]:
    parameters = {"ids": [pair[0] for pair in delivered], "pairs": list(delivered)}
    return {row.id for row in connection.execute(_DELETE_MANY, parameters).all()}


def reschedule(
    db: Database,
    record_id: int,
    claim_token: str,
    *,
    error: str,
    next_attempt_at: datetime,
    now: datetime | None = None,
) -> bool:
    """A transient failure: count the attempt, keep the error, try again at ``next_attempt_at``."""
    statement = (
        update(_stack)
        .where(_FENCE)
        .values(
            attempts=_stack.c.attempts + 1,
            last_error=error,
            last_error_at=_now(now),
            next_attempt_at=next_attempt_at,
            **_CLEAR_CLAIM,
        )
    )
    return _settle(db, statement, record_id, claim_token)


def hold(
    db: Database, record_id: int, claim_token: str, *, error: str, now: datetime | None = None
) -> bool:
    """A permanent failure: the record waits on hold (blocking its order) for the operator."""
    statement = (
        update(_stack)
        .where(_FENCE)
        .values(
            state="held",
            attempts=_stack.c.attempts + 1,
            last_error=error,
            last_error_at=_now(now),
            **_CLEAR_CLAIM,
        )
    )
    return _settle(db, statement, record_id, claim_token)


def release(db: Database, record_id: int, claim_token: str) -> bool:
    """Give a claimed record back unsent (graceful stop): due again at once, attempts unchanged."""
    return _settle(db, _RELEASE, record_id, claim_token)


def release_many(db: Database, claimed: Collection[tuple[int, str]]) -> int:
    """``release`` for a batch of (record id, claim token) pairs in one transaction (the records a
    controller claimed ahead and gives back on pause or stop). Returns how many were released."""
    if not claimed:
        return 0
    if db.dialect == "sqlite":
        return queue_sqlite.release_many(db, claimed)
    with db.transaction() as session:
        connection = session.connection()
        return sum(
            int(connection.execute(_RELEASE, {"record_id": i, "token": t}).rowcount)
            for i, t in claimed
        )


def next_due_at(db: Database, *, queued_by: str | None = None) -> datetime | None:
    """When a claim could next find something: the earliest time a queued head record is due and
    unclaimed (a claimed one becomes claimable when its lease runs out). None: nothing to wait for.
    """
    record = _stack.alias("record")
    when = case(
        (
            and_(
                record.c.claim_token.is_not(None),
                record.c.claimed_until > record.c.next_attempt_at,
            ),
            record.c.claimed_until,
        ),
        else_=record.c.next_attempt_at,
    )
    query = select(func.min(when)).where(record.c.state == "queued", _is_head(record))
    if queued_by is not None:
        query = query.where(record.c.queued_by == queued_by)
    with db.session() as session:
        value = session.execute(query).scalar()
    return _as_utc(value)


def _as_utc(value: Any) -> datetime | None:
    """min() over a CASE loses the column type: SQLite hands back text, PostgreSQL a datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
