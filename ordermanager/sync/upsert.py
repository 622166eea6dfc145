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

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ordermanager.carts.protocol import Address, RemoteOrder
from ordermanager.db.models import LineItem, Order, OrderSearchTerm, Payment
from ordermanager.orders.keys import customer_sort_key, number_key, search_terms
from ordermanager.orders.states import PaymentState, ShippingState
from ordermanager.status.events import Event
from ordermanager.status.firing import fire_event

SYNC_ACTOR = "sync"


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
        _mark_paid(session, order, remote)
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
        _mark_paid(session, order, remote)


def _mark_paid(session: Session, order: Order, remote: RemoteOrder) -> None:
    order.payment_state = PaymentState.PAID.value
    session.add(
        Payment(
            order_id=order.id,
            kind="payment",
            method="cart",
            reference=remote.cart_status[:100],
            amount=remote.total,
            paid_at=remote.modified_at,
        )
    )
    session.flush()
    fire_event(session, Event.PAYMENT_RECEIVED, order.id, changed_by=SYNC_ACTOR)


def _set_header(order: Order, remote: RemoteOrder, now: datetime) -> None:
    order.number = remote.number
    order.number_key = number_key(remote.number)
    order.placed_at = remote.placed_at
    order.modified_at = now
    order.remote_modified_at = remote.modified_at
    order.customer_name = remote.customer_name
    order.customer_sort = customer_sort_key(remote.customer_name)
    order.customer_email = remote.customer_email
    order.customer_phone = remote.billing.phone or remote.shipping.phone
    _set_address(order, "billing", remote.billing)
    order.billing_email = remote.billing.email
    order.billing_phone = remote.billing.phone
    _set_address(order, "shipping", remote.shipping)
    order.currency = remote.currency
    order.subtotal = remote.subtotal
    order.shipping_total = remote.shipping_total
    order.tax_total = remote.tax_total
    order.discount_total = remote.discount_total
    order.total = remote.total


def _set_address(order: Order, prefix: str, address: Address) -> None:
    for field in ("name", "company", "street1", "street2", "city", "region", "postcode"):
        setattr(order, f"{prefix}_{field}", getattr(address, field))
    setattr(order, f"{prefix}_country", address.country)


def _write_terms(session: Session, order: Order, remote: RemoteOrder) -> None:
    emails = [remote.customer_email, remote.billing.email]
    for term in sorted(search_terms(remote.number, remote.customer_name, emails)):
        session.add(OrderSearchTerm(term=term, order_id=order.id))
    session.flush()
