"""One order in full (detail pane, `orders show`), and finding an order by its display number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from ordermanager.db.models import Cart, LabelChange, LineItem, Order, Shipment, StatusLabel
from ordermanager.errors import NotFoundError
from ordermanager.money import money_text
from ordermanager.orders.states import state_title


class AmbiguousOrderNumberError(NotFoundError):
    """Two carts use the same display number; the operator must say which cart."""


@dataclass(frozen=True)
class Address:
    name: str
    company: str
    street1: str
    street2: str
    city: str
    region: str
    postcode: str
    country: str
    email: str = ""
    phone: str = ""

    def lines(self) -> list[str]:
        """The address as it goes on a label: empty parts left out."""
        place = " ".join(p for p in (self.postcode, self.city) if p)
        if self.region:
            place = f"{place}, {self.region}" if place else self.region
        parts = [self.name, self.company, self.street1, self.street2, place, self.country]
        return [p for p in parts if p]

    def as_json(self) -> dict[str, str]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ItemDetail:
    id: int
    position: int
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal
    label: str | None
    shipped_quantity: int

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sku": self.sku,
            "name": self.name,
            "quantity": self.quantity,
            "unit_price": money_text(self.unit_price),
            "line_total": money_text(self.line_total),
            "status_label": self.label,
            "shipped_quantity": self.shipped_quantity,
        }


@dataclass(frozen=True)
class PaymentDetail:
    kind: str
    method: str
    reference: str
    amount: Decimal
    paid_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "method": self.method,
            "reference": self.reference,
            "amount": money_text(self.amount),
            "paid_at": self.paid_at.isoformat(),
        }


@dataclass(frozen=True)
class ShipmentDetail:
    id: int
    carrier: str
    service: str
    shipped_at: datetime
    tracking_numbers: list[str]
    items: list[tuple[str, int]]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "carrier": self.carrier,
            "service": self.service,
            "shipped_at": self.shipped_at.isoformat(),
            "tracking_numbers": list(self.tracking_numbers),
            "items": [{"item": item, "quantity": qty} for item, qty in self.items],
        }


@dataclass(frozen=True)
class LabelChangeDetail:
    changed_at: datetime
    item: str | None  # None: the order's own label
    from_label: str | None
    to_label: str | None
    reason: str  # the status event, or "set by NAME"
    note: str

    def as_json(self) -> dict[str, Any]:
        return {
            "changed_at": self.changed_at.isoformat(),
            "item": self.item,
            "from": self.from_label,
            "to": self.to_label,
            "reason": self.reason,
            "note": self.note,
        }


@dataclass(frozen=True)
class OrderDetail:
    id: int
    number: str
    cart_name: str
    cart_kind: str
    remote_id: str
    placed_at: datetime
    modified_at: datetime
    customer_name: str
    customer_email: str
    customer_phone: str
    billing: Address
    shipping: Address
    shipping_method: str
    currency: str
    subtotal: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    discount_total: Decimal
    total: Decimal
    payment_state: str
    shipping_state: str
    label: str | None
    ship_date: date | None
    customer_note: str
    items: list[ItemDetail]
    payments: list[PaymentDetail]
    shipments: list[ShipmentDetail]
    history: list[LabelChangeDetail]

    @property
    def payment_title(self) -> str:
        return state_title(self.payment_state)

    @property
    def shipping_title(self) -> str:
        return state_title(self.shipping_state)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "cart": self.cart_name,
            "cart_kind": self.cart_kind,
            "remote_id": self.remote_id,
            "placed_at": self.placed_at.isoformat(),
            "modified_at": self.modified_at.isoformat(),
            "customer": {
                "name": self.customer_name,
                "email": self.customer_email,
                "phone": self.customer_phone,
            },
            "billing_address": self.billing.as_json(),
            "shipping_address": self.shipping.as_json(),
            "shipping_method": self.shipping_method,
            "currency": self.currency,
            "subtotal": money_text(self.subtotal),
            "shipping_total": money_text(self.shipping_total),
            "tax_total": money_text(self.tax_total),
            "discount_total": money_text(self.discount_total),
            "total": money_text(self.total),
            "payment_state": self.payment_state,
            "shipping_state": self.shipping_state,
            "status_label": self.label,
            "ship_date": self.ship_date.isoformat() if self.ship_date else None,
            "customer_note": self.customer_note,
            "items": [item.as_json() for item in self.items],
            "payments": [payment.as_json() for payment in self.payments],
            "shipments": [shipment.as_json() for shipment in self.shipments],
            "label_history": [change.as_json() for change in self.history],
        }


def find_order(session: Session, spec: str) -> int:
    """The id of the order with display number ``spec``, or ``CART:NUMBER`` when carts share one."""
    spec = spec.strip()
    if not spec:
        raise NotFoundError("Give an order number.")
    matches = _matches(session, spec, cart_name=None)
    if not matches and ":" in spec:
        cart_name, _, number = spec.partition(":")
        matches = _matches(session, number.strip(), cart_name=cart_name.strip())
        if not matches:
            raise NotFoundError(f"No order {number.strip()} in a cart named '{cart_name.strip()}'.")
    if not matches:
        raise NotFoundError(f"No order has the number {spec}.")
    if len(matches) > 1:
        choices = ", ".join(f"{cart}:{number}" for _, cart, number in matches)
        raise AmbiguousOrderNumberError(
            f"Several carts have an order {spec}. Say which one: {choices}."
        )
    return matches[0][0]


def _matches(session: Session, number: str, cart_name: str | None) -> list[tuple[int, str, str]]:
    # Shopify shows "#1001"; an operator types "1001". Accept both spellings.
    bare = number.lstrip("#")
    candidates = {number, bare, f"#{bare}"} if bare else {number}
    statement = (
        select(Order.id, Cart.name, Order.number)
        .join(Cart, Cart.id == Order.cart_id)
        .where(or_(*(Order.number == c for c in candidates)))
        .order_by(Cart.name)
    )
    if cart_name is not None:
        statement = statement.where(Cart.name == cart_name)
    return [(row[0], row[1], row[2]) for row in session.execute(statement)]


def load_order_detail(session: Session, order_id: int) -> OrderDetail:
    order = session.execute(
        select(Order)
        .where(Order.id == order_id)
        .options(
            selectinload(Order.cart),
            selectinload(Order.status_label),
            selectinload(Order.items).selectinload(LineItem.status_label),
            selectinload(Order.payments),
            selectinload(Order.shipments).selectinload(Shipment.tracking_numbers),
            selectinload(Order.shipments).selectinload(Shipment.items),
        )
    ).scalar_one_or_none()
    if order is None:
        raise NotFoundError(f"Order {order_id} no longer exists.")
    items = {item.id: item for item in order.items}
    shipped: dict[int, int] = {}
    for shipment in order.shipments:
        for line in shipment.items:
            shipped[line.line_item_id] = shipped.get(line.line_item_id, 0) + line.quantity
    return OrderDetail(
        id=order.id,
        number=order.number,
        cart_name=order.cart.name,
        cart_kind=order.cart.kind,
        remote_id=order.remote_id,
        placed_at=order.placed_at,
        modified_at=order.modified_at,
        customer_name=order.customer_name,
        customer_email=order.customer_email,
        customer_phone=order.customer_phone,
        billing=_address(order, "billing"),
        shipping=_address(order, "shipping"),
        shipping_method=order.shipping_method,
        currency=order.currency,
        subtotal=order.subtotal,
        shipping_total=order.shipping_total,
        tax_total=order.tax_total,
        discount_total=order.discount_total,
        total=order.total,
        payment_state=order.payment_state,
        shipping_state=order.shipping_state,
        label=order.status_label.name if order.status_label else None,
        ship_date=order.ship_date,
        customer_note=order.customer_note,
        items=[
            ItemDetail(
                id=item.id,
                position=item.position,
                sku=item.sku,
                name=item.name,
                quantity=item.quantity,
                unit_price=item.unit_price,
                line_total=item.unit_price * item.quantity,
                label=item.status_label.name if item.status_label else None,
                shipped_quantity=shipped.get(item.id, 0),
            )
            for item in order.items
        ],
        payments=[
            PaymentDetail(p.kind, p.method, p.reference, p.amount, p.paid_at)
            for p in order.payments
        ],
        shipments=[
            ShipmentDetail(
                id=s.id,
                carrier=s.carrier,
                service=s.service,
                shipped_at=s.shipped_at,
                tracking_numbers=[t.number for t in s.tracking_numbers],
                items=[
                    (_item_title(items[line.line_item_id]), line.quantity)
                    for line in s.items
                    if line.line_item_id in items
                ],
            )
            for s in order.shipments
        ],
        history=_history(session, order.id, items),
    )


def _address(order: Order, prefix: str) -> Address:
    def get(field: str) -> str:
        return str(getattr(order, f"{prefix}_{field}", "") or "")

    return Address(
        name=get("name"),
        company=get("company"),
        street1=get("street1"),
        street2=get("street2"),
        city=get("city"),
        region=get("region"),
        postcode=get("postcode"),
        country=get("country"),
        email=get("email"),
        phone=get("phone"),
    )


def _item_title(item: LineItem) -> str:
    return f"{item.sku} – {item.name}" if item.sku else item.name


def _history(
    session: Session, order_id: int, items: dict[int, LineItem]
) -> list[LabelChangeDetail]:
    names = {row[0]: row[1] for row in session.execute(select(StatusLabel.id, StatusLabel.name))}
    changes = session.execute(
        select(LabelChange)
        .where(LabelChange.order_id == order_id)
        .order_by(LabelChange.changed_at, LabelChange.id)
    ).scalars()
    return [
        LabelChangeDetail(
            changed_at=change.changed_at,
            item=(
                _item_title(items[change.line_item_id]) if change.line_item_id in items else None
            ),
            from_label=names.get(change.from_label_id) if change.from_label_id else None,
            to_label=names.get(change.to_label_id) if change.to_label_id else None,
            reason=change.event or (f"set by {change.changed_by}" if change.changed_by else ""),
            note=change.note,
        )
        for change in changes
    ]
