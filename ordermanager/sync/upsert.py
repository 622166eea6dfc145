"""Writing one downloaded order (a RemoteOrder) into the store, in the caller's transaction.

Keyed by (cart, remote id). A new order is inserted with its items and search terms and fires
Order Received (and Payment Received when it arrives paid). A known order that changed in the cart
gets its header fields (customer, addresses, totals, number) updated; items are matched by their
remote id: known items get the cart's sku, name, quantity and price but KEEP the labels our
operators gave them, new items are added, items the cart dropped are kept (a shipment may refer to
them). Payment only moves forward: an order becoming paid fires Payment Received; the cart saying
"unpaid" later does not undo a payment we recorded (refunds are a separate, later feature).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ordermanager.carts.protocol import RemoteOrder
from ordermanager.db.models import LineItem, Order, OrderSearchTerm, Payment
from ordermanager.orders.keys import customer_sort_key, number_key, search_terms
from ordermanager.orders.states import PaymentState, ShippingState
from ordermanager.status.events import Event
from ordermanager.status.firing import fire_event

SYNC_ACTOR = "sync"
_ADDRESS_FIELDS = ("name", "company", "street1", "street2", "city", "region", "postcode", "country")


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # seen before with the same modification time (overlap window)


@dataclass(frozen=True)
class UpsertResult:
    change: Change
    order_id: int


def find_order(session: Session, cart_id: int, remote_id: str) -> Order | None:
    return session.execute(
        select(Order).where(Order.cart_id == cart_id, Order.remote_id == remote_id)
    ).scalar_one_or_none()


def upsert_order(
    session: Session, cart_id: int, remote: RemoteOrder, now: datetime
) -> UpsertResult:
    order = find_order(session, cart_id, remote.remote_id)
    if order is None:
        return UpsertResult(Change.CREATED, _create(session, cart_id, remote, now))
    if order.remote_modified_at is not None and remote.modified_at <= order.remote_modified_at:
        return UpsertResult(Change.UNCHANGED, order.id)
    _update(session, order, remote, now)
    return UpsertResult(Change.UPDATED, order.id)


def _create(session: Session, cart_id: int, remote: RemoteOrder, now: datetime) -> int:
    order = Order(
        cart_id=cart_id,
        remote_id=remote.remote_id,
        imported_at=now,
        payment_state=PaymentState.UNPAID.value,
        shipping_state=ShippingState.UNSHIPPED.value,
        status_label_id=None,
    )
    _set_header(order, remote, now)
    for position, item in enumerate(remote.items):
        order.items.append(
            LineItem(
                position=position,
                remote_id=item.remote_id,
                sku=item.sku,
                name=item.name,
                quantity=item.quantity,
                unit_price=item.unit_price,
            )
        )
    order.item_count = sum(item.quantity for item in remote.items)
    session.add(order)
    session.flush()
    _write_terms(session, order, remote)
    fire_event(session, Event.ORDER_RECEIVED, order.id, changed_by=SYNC_ACTOR)
    if remote.paid:
        mark_paid(session, order, remote)
    return order.id


def _update(session: Session, order: Order, remote: RemoteOrder, now: datetime) -> None:
    _set_header(order, remote, now)
    known = {item.remote_id: item for item in order.items if item.remote_id}
    position = max((item.position for item in order.items), default=-1) + 1
    for item in remote.items:
        existing = known.get(item.remote_id)
        if existing is not None:
            # The cart owns what was bought; our operators own the item's label.
            existing.sku, existing.name = item.sku, item.name
            existing.quantity, existing.unit_price = item.quantity, item.unit_price
            continue
        order.items.append(
            LineItem(
                position=position,
                remote_id=item.remote_id,
                sku=item.sku,
                name=item.name,
                quantity=item.quantity,
                unit_price=item.unit_price,
            )
        )
        position += 1
    session.flush()
    order.item_count = sum(item.quantity for item in order.items)
    session.execute(delete(OrderSearchTerm).where(OrderSearchTerm.order_id == order.id))
    _write_terms(session, order, remote)
    if remote.paid and order.payment_state == PaymentState.UNPAID.value:
        mark_paid(session, order, remote)


def mark_paid(session: Session, order: Order, remote: RemoteOrder) -> None:
    """The order is paid: a payment row for its total and Payment Received."""
    order.payment_state = PaymentState.PAID.value
    session.add(Payment(**payment_values(order.id, remote)))
    session.flush()
    fire_event(session, Event.PAYMENT_RECEIVED, order.id, changed_by=SYNC_ACTOR)


def _set_header(order: Order, remote: RemoteOrder, now: datetime) -> None:
    for column, value in header_values(remote, now).items():
        setattr(order, column, value)


def header_values(remote: RemoteOrder, now: datetime) -> dict[str, Any]:
    """The order columns the cart owns, by column name: one builder for the one-order and the
    page-at-once paths (ordermanager.sync.bulk), so both write the same order."""
    values: dict[str, Any] = {
        "number": remote.number,
        "number_key": number_key(remote.number),
        "placed_at": remote.placed_at,
        "modified_at": now,
        "remote_modified_at": remote.modified_at,
        "customer_name": remote.customer_name,
        "customer_sort": customer_sort_key(remote.customer_name),
        "customer_email": remote.customer_email,
        "customer_phone": remote.billing.phone or remote.shipping.phone,
        "billing_email": remote.billing.email,
        "billing_phone": remote.billing.phone,
        "currency": remote.currency,
        "subtotal": remote.subtotal,
        "shipping_total": remote.shipping_total,
        "tax_total": remote.tax_total,
        "discount_total": remote.discount_total,
        "total": remote.total,
    }
    for prefix, address in (("billing", remote.billing), ("shipping", remote.shipping)):
        for field in _ADDRESS_FIELDS:
            values[f"{prefix}_{field}"] = getattr(address, field)
    return values


def order_terms(remote: RemoteOrder) -> list[str]:
    """The search terms of an order as the cart describes it."""
    emails = [remote.customer_email, remote.billing.email]
    return sorted(search_terms(remote.number, remote.customer_name, emails))


def payment_values(order_id: int, remote: RemoteOrder) -> dict[str, Any]:
    """The payment row of an order the cart reports paid (the cart's status as reference)."""
    return {
        "order_id": order_id,
        "kind": "payment",
        "method": "cart",
        "reference": remote.cart_status[:100],
        "amount": remote.total,
        "paid_at": remote.modified_at,
    }


def _write_terms(session: Session, order: Order, remote: RemoteOrder) -> None:
    for term in order_terms(remote):
        session.add(OrderSearchTerm(term=term, order_id=order.id))
    session.flush()
