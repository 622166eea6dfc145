"""The stack as operators see it (status window, ``ordermanager stack``) and what they can do to a
record: retry now, hold, discard. Every operator action is written to the log table with who did
it, in the same transaction as the change.

Operator actions are deliberately not fenced: the operator outranks any controller. A record put
on hold while a controller is sending it stays held (the state column wins; a delivery still
deletes it, which is what the operator would want); a discarded record simply disappears, and the
controller's settle finds nothing (logged by the controller as a lost claim).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ordermanager.carts.registry import kind_title
from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, Order, StatusUpdate
from ordermanager.errors import NotFoundError
from ordermanager.eventlog import log_event
from ordermanager.settings import get_setting
from ordermanager.stack.controllers import ControllerInfo, list_controllers
from ordermanager.stack.election import LeaseInfo, shared_lease_holder
from ordermanager.stack.notify import announce_queued
from ordermanager.status.events import event_info


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def event_name(key: str) -> str:
    try:
        return event_info(key).name
    except Exception:  # a record from a newer version's event: show its key
        return key


def target_of(kind: str, name: str, base_url: str, demo: bool) -> str:
    """Where a record goes, in words: "WooCommerce · Main Store", a generic cart's host."""
    if demo:
        return f"Demo · {name}"
    if kind == "generic" and base_url:
        host = urlsplit(base_url).hostname
        if host:
            return host
    return f"{kind_title(kind)} · {name}"


@dataclass(frozen=True)
class StackRecordView:
    id: int
    order_id: int
    order_number: str
    cart_name: str
    cart_kind: str
    event: str
    event_name: str
    order_label: str | None
    target: str
    state: str  # 'queued' | 'in flight' | 'held'
    attempts: int
    next_attempt_at: datetime
    last_error: str
    last_error_at: datetime | None
    queued_at: datetime
    idempotency_key: str
    claimed_by: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "order_id": self.order_id,
            "order_number": self.order_number,
            "cart": self.cart_name,
            "cart_kind": self.cart_kind,
            "target": self.target,
            "event": self.event,
            "event_name": self.event_name,
            "label": self.order_label,
            "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at),
            "last_error": self.last_error,
            "last_error_at": _iso(self.last_error_at),
            "queued_at": _iso(self.queued_at),
            "idempotency_key": self.idempotency_key,
            "claimed_by": self.claimed_by,
        }


def _state(
    state: str, claim_token: str | None, claimed_until: datetime | None, now: datetime
) -> str:
    if state == "held":
        return "held"
    if claim_token is not None and claimed_until is not None and claimed_until >= now:
        return "in flight"
    return "queued"


def list_records(
    db: Database, *, limit: int | None = None, now: datetime | None = None
) -> list[StackRecordView]:
    """Every record on the stack, held ones included, oldest first."""
    now = now or datetime.now(UTC)
    query = (
        select(
            StatusUpdate.id,
            StatusUpdate.order_id,
            StatusUpdate.event,
            StatusUpdate.order_label,
            StatusUpdate.state,
            StatusUpdate.attempts,
            StatusUpdate.next_attempt_at,
            StatusUpdate.last_error,
            StatusUpdate.last_error_at,
            StatusUpdate.queued_at,
            StatusUpdate.idempotency_key,
            StatusUpdate.claim_token,
            StatusUpdate.claimed_until,
            StatusUpdate.claimed_by,
            Order.number,
            Cart.name,
            Cart.kind,
            Cart.base_url,
            Cart.demo,
        )
        .join(Order, Order.id == StatusUpdate.order_id)
        .join(Cart, Cart.id == StatusUpdate.cart_id)
        .order_by(StatusUpdate.id)
    )
    if limit is not None:
        query = query.limit(limit)
    with db.session() as session:
        rows = session.execute(query).all()
    return [
        StackRecordView(
            id=row.id,
            order_id=row.order_id,
            order_number=row.number,
            cart_name=row.name,
            cart_kind=row.kind,
            event=row.event,
            event_name=event_name(row.event),
            order_label=row.order_label,
            target=target_of(row.kind, row.name, row.base_url, bool(row.demo)),
            state=_state(row.state, row.claim_token, row.claimed_until, now),
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_error=row.last_error,
            last_error_at=row.last_error_at,
            queued_at=row.queued_at,
            idempotency_key=row.idempotency_key,
            claimed_by=row.claimed_by,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class StackOverview:
    queued: int  # waiting (not in flight, not held)
    in_flight: int
    held: int
    oldest_queued_at: datetime | None
    controllers: list[ControllerInfo]
    shared_lease: LeaseInfo | None
    mode: str  # the StackControllerMode setting
    last_ok_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    sends_per_minute: int

    @property
    def total(self) -> int:
        return self.queued + self.in_flight + self.held

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "queued": self.queued,
            "in_flight": self.in_flight,
            "held": self.held,
            "total": self.total,
            "oldest_queued_at": _iso(self.oldest_queued_at),
            "last_ok_at": _iso(self.last_ok_at),
            "last_error": self.last_error,
            "last_error_at": _iso(self.last_error_at),
            "sends_per_minute": self.sends_per_minute,
            "shared_lease": self.shared_lease.as_json() if self.shared_lease else None,
            "controllers": [c.as_json() for c in self.controllers],
        }


def stack_overview(db: Database, *, now: datetime | None = None) -> StackOverview:
    now = now or datetime.now(UTC)
    in_flight = (StatusUpdate.claim_token.is_not(None)) & (StatusUpdate.claimed_until >= now)
    with db.session() as session:
        counts = session.execute(
            select(
                func.count().filter(StatusUpdate.state == "held"),
                func.count().filter(StatusUpdate.state == "queued", in_flight),
                func.count().filter(StatusUpdate.state == "queued", ~in_flight),
                func.min(StatusUpdate.queued_at),
            )
        ).one()
        mode = str(get_setting(session, "StackControllerMode"))
    held, flying, waiting, oldest = counts
    controllers = list_controllers(db)
    last_ok = max((c.last_ok_at for c in controllers if c.last_ok_at), default=None)
    with_error = [c for c in controllers if c.last_error and c.last_error_at]
    latest_error = max(with_error, key=lambda c: c.last_error_at or now, default=None)
    return StackOverview(
        queued=int(waiting),
        in_flight=int(flying),
        held=int(held),
        oldest_queued_at=oldest,
        controllers=controllers,
        shared_lease=shared_lease_holder(db, now=now),
        mode=mode,
        last_ok_at=last_ok,
        last_error=latest_error.last_error if latest_error else "",
        last_error_at=latest_error.last_error_at if latest_error else None,
        sends_per_minute=sum(c.sends_last_minute for c in controllers),
    )


# -- operator actions --------------------------------------------------------------------------


def _record(session: Session, record_id: int) -> StatusUpdate:
    record = session.get(StatusUpdate, record_id, with_for_update=True)
    if record is None:
        raise NotFoundError(
            f"There is no status update {record_id} on the stack (it may have been delivered "
            "or discarded already)."
        )
    return record


def _describe(session: Session, record: StatusUpdate) -> str:
    order = session.get(Order, record.order_id)
    cart = session.get(Cart, record.cart_id)
    number = order.number if order is not None else f"id {record.order_id}"
    where = target_of(cart.kind, cart.name, cart.base_url, cart.demo) if cart else "?"
    label = f", label '{record.order_label}'" if record.order_label else ""
    return f"{event_name(record.event)} for order {number} to {where}{label}"


def retry_now(db: Database, record_id: int, *, actor: str, now: datetime | None = None) -> None:
    """Send it again as soon as a controller can: a held record is queued again, a waiting one
    is due now. Attempts are kept (they are history)."""
    now = now or datetime.now(UTC)
    with db.transaction() as session:
        record = _record(session, record_id)
        was = "on hold" if record.state == "held" else "waiting"
        session.execute(
            update(StatusUpdate)
            .where(StatusUpdate.id == record_id)
            .values(state="queued", next_attempt_at=now)
        )
        log_event(
            session,
            "operator",
            "info",
            f"Retry now ({was}): {_describe(session, record)}.",
            order_id=record.order_id,
            record_id=record_id,
            actor=actor,
            now=now,
        )
        announce_queued(session)


def hold_record(
    db: Database,
    record_id: int,
    *,
    actor: str,
    reason: str = "Held by operator",
    now: datetime | None = None,
) -> None:
    """Stop sending it (and the rest of its order) until someone retries or discards it."""
    now = now or datetime.now(UTC)
    with db.transaction() as session:
        record = _record(session, record_id)
        session.execute(
            update(StatusUpdate)
            .where(StatusUpdate.id == record_id)
            .values(state="held", last_error=reason, last_error_at=now)
        )
        log_event(
            session,
            "operator",
            "info",
            f"Put on hold: {_describe(session, record)}. Reason: {reason}",
            order_id=record.order_id,
            record_id=record_id,
            actor=actor,
            now=now,
        )


def discard(db: Database, record_id: int, *, actor: str, now: datetime | None = None) -> None:
    """Remove it for good: the cart never hears of it. The caller has asked for confirmation;
    the log keeps what was discarded (event, order, target, label, attempts, last error, key)."""
    now = now or datetime.now(UTC)
    with db.transaction() as session:
        record = _record(session, record_id)
        summary = (
            f"Discarded: {_describe(session, record)}; {record.attempts} attempt"
            f"{'s' if record.attempts != 1 else ''}"
            + (f", last error: {record.last_error}" if record.last_error else "")
            + f"; idempotency key {record.idempotency_key}."
        )
        order_id = record.order_id
        session.execute(delete(StatusUpdate).where(StatusUpdate.id == record_id))
        log_event(
            session,
            "operator",
            "warning",
            summary,
            order_id=order_id,
            record_id=record_id,
            actor=actor,
            now=now,
        )
        # The next record of the order is now its head, and may be due.
        announce_queued(session)
