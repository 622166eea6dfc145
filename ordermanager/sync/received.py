"""Order Received and Payment Received for a whole downloaded page at once, in the page's
transaction: the firing rule of ordermanager.status.batch, so labels, label history and stack
records are written with a few executemany calls, exactly as firing them order by order would.

New orders go into the table already carrying the label the two events are expected to leave
(``ReceivedLabels``), which saves updating every new row again; after firing, any order whose
fired label differs from that guess is still corrected, so the firing rule stays the one truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ordermanager.carts.protocol import CartConfig, RemoteOrder
from ordermanager.db.models import LineItem, Order
from ordermanager.orders.bulk_ship import load_snapshots
from ordermanager.orders.states import ShippingState
from ordermanager.status.batch import (
    BatchWrites,
    ItemSnapshot,
    OrderSnapshot,
    fire_event_many,
    label_names,
)
from ordermanager.status.events import Event, event_info
from ordermanager.status.firing import event_settings, status_updates_on
from ordermanager.sync.upsert import SYNC_ACTOR


@dataclass(frozen=True)
class ReceivedLabels:
    """The order label a new order ends up with: after Order Received, and after Order Received
    then Payment Received when it arrives paid (None: no label, or status updates off)."""

    unpaid: int | None
    paid: int | None

    @classmethod
    def of(cls, session: Session) -> ReceivedLabels:
        if not status_updates_on(session):
            return cls(None, None)
        received = _order_label(session, Event.ORDER_RECEIVED)
        payment = _order_label(session, Event.PAYMENT_RECEIVED)
        return cls(received, payment if payment is not None else received)

    def label_for(self, remote: RemoteOrder) -> int | None:
        return self.paid if remote.paid else self.unpaid


def _order_label(session: Session, event: Event) -> int | None:
    info = event_info(event)
    settings = event_settings(session, info)
    if not settings.enabled or not info.takes_order_label:
        return None
    return settings.order_label_id


def fire_received(
    session: Session,
    cart: CartConfig,
    new: Sequence[tuple[int, RemoteOrder]],
    became_paid: Sequence[int],
    labels: ReceivedLabels,
    now: datetime,
) -> None:
    """Fire Order Received on the ``new`` orders (id, as downloaded; inserted with
    ``labels.label_for``) and Payment Received on those that arrived paid and on the known
    orders that ``became_paid``."""
    if not (new or became_paid) or not status_updates_on(session):
        return
    snapshots = _new_snapshots(session, cart, new)
    if became_paid:
        snapshots.update(load_snapshots(session, became_paid))
    received = [order_id for order_id, _ in new]
    paid = [order_id for order_id, remote in new if remote.paid] + list(became_paid)
    writes = BatchWrites()
    names = label_names(session)
    # Per order the same sequence as one by one: Order Received, then Payment Received.
    for event, order_ids in ((Event.ORDER_RECEIVED, received), (Event.PAYMENT_RECEIVED, paid)):
        targets = [(snapshots[order_id], None) for order_id in order_ids]
        fire_event_many(session, event, targets, writes, names, now=now, changed_by=SYNC_ACTOR)
    unlabelled: list[int] = []
    for order_id, remote in new:
        fired = snapshots[order_id].label_id
        if fired == labels.label_for(remote):
            writes.order_labels.pop(order_id, None)  # inserted with it already
        elif fired is None:
            unlabelled.append(order_id)
        else:
            writes.order_labels[order_id] = fired
    if unlabelled:
        session.execute(update(Order).where(Order.id.in_(unlabelled)).values(status_label_id=None))
    writes.write(session)


def _new_snapshots(
    session: Session, cart: CartConfig, new: Sequence[tuple[int, RemoteOrder]]
) -> dict[int, OrderSnapshot]:
    """The new orders as firing sees them: no label yet, nothing shipped; their items' ids."""
    snapshots = {
        order_id: OrderSnapshot(
            order_id,
            remote.remote_id,
            remote.number,
            cart.id,
            cart.kind,
            None,
            ShippingState.UNSHIPPED.value,
        )
        for order_id, remote in new
    }
    if snapshots:
        items = session.execute(
            select(
                LineItem.id, LineItem.order_id, LineItem.remote_id, LineItem.sku, LineItem.quantity
            )
            .where(LineItem.order_id.in_(list(snapshots)))
            .order_by(LineItem.order_id, LineItem.position, LineItem.id)
        )
        for row in items:
            snapshots[row.order_id].items.append(
                ItemSnapshot(row.id, row.remote_id, row.sku, row.quantity, None)
            )
    return snapshots
