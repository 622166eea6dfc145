"""Build carts, labels and orders through the ORM for tests, with the derived columns filled in
exactly as real writers fill them (ordermanager.orders.keys)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ordermanager.db.models import (
    Cart,
    LabelChange,
    LineItem,
    Order,
    OrderSearchTerm,
    Payment,
    Shipment,
    ShipmentItem,
    StatusLabel,
    TrackingNumber,
)
from ordermanager.orders.keys import customer_sort_key, number_key, search_terms

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def cart(session: Session, name: str = "Main Store", kind: str = "woocommerce") -> Cart:
    existing = session.execute(select(Cart).where(Cart.name == name)).scalar_one_or_none()
    if existing:
        return existing
    new = Cart(name=name, kind=kind, base_url=f"https://{kind}.example", created_at=NOW)
    session.add(new)
    session.flush()
    return new


def label(session: Session, name: str) -> StatusLabel:
    existing = session.execute(
        select(StatusLabel).where(StatusLabel.name == name)
    ).scalar_one_or_none()
    if existing:
        return existing
    new = StatusLabel(name=name, position=0, created_at=NOW)
    session.add(new)
    session.flush()
    return new


@dataclass
class Item:
    sku: str = "SKU-1"
    name: str = "Widget"
    quantity: int = 1
    unit_price: Decimal = Decimal("10.00")
    label: str | None = None


@dataclass
class Spec:
    number: str
    customer: str = "Jane Doe"
    email: str = "jane@example.com"
    placed_at: datetime = NOW
    cart_name: str = "Main Store"
    cart_kind: str = "woocommerce"
    label: str | None = None
    payment_state: str = "unpaid"
    shipping_state: str = "unshipped"
    currency: str = "USD"
    shipping_total: Decimal = Decimal("5.00")
    items: list[Item] = field(default_factory=lambda: [Item()])
    tracking: list[str] = field(default_factory=list)
    carrier: str = "UPS"


def order(session: Session, spec: Spec) -> Order:
    the_cart = cart(session, spec.cart_name, spec.cart_kind)
    subtotal = sum((i.unit_price * i.quantity for i in spec.items), Decimal("0"))
    new = Order(
        cart_id=the_cart.id,
        remote_id=f"r-{spec.number}",
        number=spec.number,
        number_key=number_key(spec.number),
        placed_at=spec.placed_at,
        modified_at=spec.placed_at,
        imported_at=spec.placed_at,
        customer_name=spec.customer,
        customer_sort=customer_sort_key(spec.customer),
        customer_email=spec.email,
        billing_name=spec.customer,
        billing_street1="1 Main St",
        billing_city="Springfield",
        billing_postcode="12345",
        billing_country="US",
        billing_email=spec.email,
        shipping_name=spec.customer,
        shipping_street1="1 Main St",
        shipping_city="Springfield",
        shipping_postcode="12345",
        shipping_country="US",
        currency=spec.currency,
        subtotal=subtotal,
        shipping_total=spec.shipping_total,
        tax_total=Decimal("0"),
        discount_total=Decimal("0"),
        total=subtotal + spec.shipping_total,
        payment_state=spec.payment_state,
        shipping_state=spec.shipping_state,
        item_count=sum(i.quantity for i in spec.items),
        status_label_id=label(session, spec.label).id if spec.label else None,
    )
    session.add(new)
    session.flush()
    for position, item in enumerate(spec.items):
        session.add(
            LineItem(
                order_id=new.id,
                position=position,
                sku=item.sku,
                name=item.name,
                quantity=item.quantity,
                unit_price=item.unit_price,
                status_label_id=label(session, item.label).id if item.label else None,
            )
        )
    for term in search_terms(spec.number, spec.customer, [spec.email]):
        session.add(OrderSearchTerm(term=term, order_id=new.id))
    if spec.payment_state == "paid":
        session.add(Payment(order_id=new.id, amount=new.total, method="card", paid_at=NOW))
    if spec.tracking:
        shipment = Shipment(order_id=new.id, carrier=spec.carrier, shipped_at=NOW)
        session.add(shipment)
        session.flush()
        for number in spec.tracking:
            session.add(TrackingNumber(shipment_id=shipment.id, number=number))
        session.flush()
        for line in new.items:
            session.add(
                ShipmentItem(shipment_id=shipment.id, line_item_id=line.id, quantity=line.quantity)
            )
    if spec.label:
        session.add(
            LabelChange(
                order_id=new.id,
                to_label_id=label(session, spec.label).id,
                changed_at=spec.placed_at,
                event="Order Received",
            )
        )
    session.flush()
    return new
