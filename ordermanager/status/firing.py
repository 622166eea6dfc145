"""The firing rule (DESIGN.md section 3): a status event applies its labels and, only when a label
actually changed and the event has Notify Cart and the cart can take it, queues one status update.

Everything here runs inside the caller's write transaction, so the label change, its history rows
and the stack record commit together or not at all (a transactional outbox).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from ordermanager.db.models import (
    Cart,
    LabelChange,
    LineItem,
    Order,
    StatusEvent,
    StatusLabel,
    StatusUpdate,
)
from ordermanager.errors import InvalidInputError, NotFoundError
from ordermanager.settings import get_setting
from ordermanager.stack.notify import announce_queued
from ordermanager.status.capabilities import can_take_status_updates
from ordermanager.status.events import EVENT_CACHE_KEY, Event, EventInfo, event_info
from ordermanager.workstation import workstation_id


@dataclass
class FireResult:
    """What firing one event on one order did."""

    event: str
    applied: bool = False  # False: UseStatusUpdates off or the event disabled
    order_changed: bool = False
    items_changed: list[int] = field(default_factory=list)
    history_rows: int = 0
    update_id: int | None = None  # the queued stack record, if one was queued

    @property
    def changed(self) -> bool:
        return self.order_changed or bool(self.items_changed)


@dataclass(frozen=True)
class EventSettings:
    order_label_id: int | None = None
    item_label_id: int | None = None
    notify_cart: bool = False
    enabled: bool = True


def event_settings(session: Session, info: EventInfo) -> EventSettings:
    """An event's settings, read once per session (a bulk action fires it for every order).
    set_assignment clears the cache of the session it writes with."""
    cache: dict[str, EventSettings] = session.info.setdefault(EVENT_CACHE_KEY, {})
    found = cache.get(info.key.value)
    if found is None:
        row = session.get(StatusEvent, info.key.value)
        found = (
            EventSettings()
            if row is None
            else EventSettings(row.order_label_id, row.item_label_id, row.notify_cart, row.enabled)
        )
        cache[info.key.value] = found
    return found


def status_updates_on(session: Session) -> bool:
    return bool(get_setting(session, "UseStatusUpdates"))


def fire_event(
    session: Session,
    event_key: str | Event,
    order_id: int,
    item_ids: Sequence[int] | None = None,
    *,
    changed_by: str = "",
    tracking: Sequence[str] | None = None,
    carrier: str = "",
    note: str = "",
    shipment: Mapping[str, Any] | None = None,
) -> FireResult:
    """Fire a status event on one order (and the given items; all items when None).
    ``shipment``: for ship events, ``{"shipment_lines": [...], "shipment_complete": bool}``,
    which travels in the payload (ordermanager.carts.updates reads it)."""
    info = event_info(str(event_key))
    result = FireResult(event=info.key.value)
    if not status_updates_on(session):
        return result
    settings = event_settings(session, info)
    if not settings.enabled:
        return result
    return _apply(
        session,
        info,
        result,
        order_id,
        item_ids,
        order_label_id=settings.order_label_id if info.takes_order_label else None,
        item_label_id=settings.item_label_id if info.takes_item_label else None,
        notify_cart=settings.notify_cart,
        changed_by=changed_by,
        tracking=tracking,
        carrier=carrier,
        note=note,
        shipment=shipment,
    )


def set_labels_by_hand(
    session: Session,
    order_id: int,
    *,
    order_label_id: int | None,
    item_label_id: int | None = None,
    item_ids: Sequence[int] | None = None,
    changed_by: str = "",
    note: str = "",
) -> FireResult:
    """The operator chose a label: it applies whatever UseStatusUpdates says (it is no automatic
    event), and is reported to the cart as "Label Set By Hand" under the firing rule's conditions.
    """
    info = event_info(Event.LABEL_SET_BY_HAND)
    result = FireResult(event=info.key.value)
    settings = event_settings(session, info)
    notify = settings.enabled and settings.notify_cart and status_updates_on(session)
    if order_label_id is None and item_label_id is None:
        raise InvalidInputError("Choose a status label to set.")
    return _apply(
        session,
        info,
        result,
        order_id,
        item_ids if item_label_id is not None else [],
        order_label_id=order_label_id,
        item_label_id=item_label_id,
        notify_cart=notify,
        changed_by=changed_by,
        tracking=None,
        carrier="",
        note=note,
    )


def _apply(
    session: Session,
    info: EventInfo,
    result: FireResult,
    order_id: int,
    item_ids: Sequence[int] | None,
    *,
    order_label_id: int | None,
    item_label_id: int | None,
    notify_cart: bool,
    changed_by: str,
    tracking: Sequence[str] | None,
    carrier: str,
    note: str,
    shipment: Mapping[str, Any] | None = None,
) -> FireResult:
    result.applied = True
    # Locked and read afresh: "did the label change" must not race another workstation.
    order = session.get(Order, order_id, with_for_update=True)
    if order is None:
        raise NotFoundError(f"There is no order with id {order_id}.")
    now = datetime.now(UTC)

    def history(line_item_id: int | None, old: int | None, new: int) -> None:
        session.add(
            LabelChange(
                order_id=order.id,
                line_item_id=line_item_id,
                from_label_id=old,
                to_label_id=new,
                changed_at=now,
                event=info.name,
                changed_by=changed_by,
                note=note,
            )
        )
        result.history_rows += 1

    if order_label_id is not None and order.status_label_id != order_label_id:
        history(None, order.status_label_id, order_label_id)
        order.status_label_id = order_label_id
        result.order_changed = True

    changed_items: list[LineItem] = []
    if item_label_id is not None:
        wanted = None if item_ids is None else set(item_ids)
        for item in order.items:
            if wanted is not None and item.id not in wanted:
                continue
            if item.status_label_id != item_label_id:
                history(item.id, item.status_label_id, item_label_id)
                item.status_label_id = item_label_id
                changed_items.append(item)
        result.items_changed = [item.id for item in changed_items]

    if result.changed and notify_cart:
        cart = session.get(Cart, order.cart_id)
        if cart is not None and can_take_status_updates(cart.kind):
            result.update_id = _queue(
                session,
                info,
                order,
                cart,
                changed_items,
                tracking or [],
                carrier,
                now,
                result,
                shipment,
            )
    return result


def _label_name(session: Session, label_id: int | None) -> str | None:
    if label_id is None:
        return None
    label = session.get(StatusLabel, label_id)
    return label.name if label is not None else None


def _queue(
    session: Session,
    info: EventInfo,
    order: Order,
    cart: Cart,
    items: list[LineItem],
    tracking: Sequence[str],
    carrier: str,
    now: datetime,
    result: FireResult,
    shipment: Mapping[str, Any] | None = None,
) -> int:
    """Put one status update for this event and order on the stack."""
    row = status_update_row(
        info,
        order_id=order.id,
        order_remote_id=order.remote_id,
        order_number=order.number,
        cart_id=cart.id,
        cart_kind=cart.kind,
        order_label=_label_name(session, order.status_label_id),
        order_changed=result.order_changed,
        item_changes=[
            {
                "line_item_id": item.id,
                "remote_id": item.remote_id,
                "sku": item.sku,
                "label": _label_name(session, item.status_label_id),
            }
            for item in items
        ],
        tracking=tracking,
        carrier=carrier,
        now=now,
        extra=shipment,
    )
    record = StatusUpdate(**row)
    session.add(record)
    session.flush()
    announce_queued(session)
    return record.id


# The same text as json.dumps(value, ensure_ascii=False), from one encoder built once: dumps builds
# a new encoder on every call with these arguments, and a bulk ship encodes three values per order.
_encode = json.JSONEncoder(ensure_ascii=False).encode


_PAYLOAD_KEYS = frozenset(
    {
        "idempotency_key",
        "event",
        "event_name",
        "cart",
        "order",
        "order_label",
        "order_label_changed",
        "items",
        "tracking",
        "queued_at",
    }
)


_last_queued_at: tuple[datetime | None, str] = (None, "")


def _queued_at(now: datetime) -> str:
    """``now`` as the payload's encoded queued_at; a bulk path passes one ``now`` per chunk."""
    global _last_queued_at
    last, text = _last_queued_at  # one tuple: read and replaced whole, safe across threads
    if last is not now:
        text = _encode(now.isoformat())
        _last_queued_at = (now, text)
    return text


def status_update_row(
    info: EventInfo,
    *,
    order_id: int,
    order_remote_id: str,
    order_number: str,
    cart_id: int,
    cart_kind: str,
    order_label: str | None,
    order_changed: bool,
    item_changes: list[dict[str, Any]],
    tracking: Sequence[str],
    carrier: str,
    now: datetime,
    extra: Mapping[str, Any] | None = None,
    queued_by: str | None = None,
) -> dict[str, Any]:
    """The column values of one stack record: what a cart needs, and a fresh idempotency key.
    One builder for the one-order and the bulk paths, so both queue the same record.
    ``queued_by``: this workstation's id when the caller already has it (a bulk path asks once)."""
    key = os.urandom(16).hex()  # 32 hex characters; uuid4().hex costs four times as much
    tracking_doc = {"numbers": list(tracking), "carrier": carrier}
    head: dict[str, Any] = {
        "idempotency_key": key,
        "event": info.key.value,
        "event_name": info.name,
        "cart": {"id": cart_id, "kind": cart_kind},
        "order": {"id": order_id, "remote_id": order_remote_id, "number": order_number},
        "order_label": order_label,
        "order_label_changed": order_changed,
    }
    items_text, tracking_text = _encode(item_changes), _encode(tracking_doc)
    if extra and not _PAYLOAD_KEYS.isdisjoint(extra):  # extra overrides a key in place: rare
        payload = {**head, "items": item_changes, "tracking": tracking_doc}
        payload["queued_at"] = now.isoformat()
        payload_text = _encode({**payload, **extra})
    else:
        # The payload's text as _encode(payload) writes it, from the pieces already encoded
        # (items and tracking are columns of their own too): dicts keep their keys in order.
        payload_text = (
            f'{_encode(head)[:-1]}, "items": {items_text}, "tracking": {tracking_text}, '
            f'"queued_at": {_queued_at(now)}'
            + (f", {_encode(dict(extra))[1:-1]}}}" if extra else "}")
        )
    return {
        "order_id": order_id,
        "cart_id": cart_id,
        "event": info.key.value,
        "order_label": order_label,
        "item_changes": items_text,
        "tracking": tracking_text,
        "payload": payload_text,
        "idempotency_key": key,
        "queued_at": now,
        "state": "queued",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "claimed_by": "",
        "queued_by": workstation_id() if queued_by is None else queued_by,
    }
