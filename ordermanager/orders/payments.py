"""Money actions on one order: log a payment, issue a refund. Each fires its status event
(Payment Received, Refund Issued or Partial Refund Issued) in the caller's write transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ordermanager.db.models import Payment
from ordermanager.errors import InvalidInputError
from ordermanager.money import money_text
from ordermanager.orders.actions import ActionResult, fire_into, load_order
from ordermanager.orders.states import PaymentState
from ordermanager.status.events import Event


def parse_amount(text: str, *, allow_zero: bool = False) -> Decimal:
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidInputError(f"'{text}' is not an amount (for example 12.50).") from None
    if not amount.is_finite() or amount < 0 or (amount == 0 and not allow_zero):
        lowest = "0 or more" if allow_zero else "more than 0"
        raise InvalidInputError(f"An amount must be {lowest}, not '{text}'.")
    return amount


def _paid_and_refunded(session: Session, order_id: int) -> tuple[Decimal, Decimal]:
    rows = session.execute(
        select(Payment.kind, func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.order_id == order_id)
        .group_by(Payment.kind)
    )
    sums = {kind: Decimal(total) for kind, total in rows}
    return sums.get("payment", Decimal(0)), sums.get("refund", Decimal(0))


def log_payment(
    session: Session,
    order_id: int,
    amount: Decimal,
    method: str = "",
    *,
    reference: str = "",
    changed_by: str = "",
) -> ActionResult:
    order = load_order(session, order_id)
    if amount <= 0:
        raise InvalidInputError("A payment must be more than 0.")
    session.add(
        Payment(
            order_id=order.id,
            kind="payment",
            method=method.strip()[:50],
            reference=reference.strip()[:100],
            amount=amount,
            paid_at=datetime.now(UTC),
        )
    )
    session.flush()
    paid, _ = _paid_and_refunded(session, order.id)
    order.payment_state = (
        PaymentState.PAID if paid >= order.total else PaymentState.PARTIALLY_PAID
    ).value
    result = ActionResult(order_id)
    fire_into(result, session, Event.PAYMENT_RECEIVED, changed_by=changed_by)
    return result


def refund(
    session: Session,
    order_id: int,
    amount: Decimal,
    method: str = "",
    *,
    reference: str = "",
    changed_by: str = "",
) -> ActionResult:
    order = load_order(session, order_id)
    paid, refunded = _paid_and_refunded(session, order.id)
    if amount <= 0:
        raise InvalidInputError("A refund must be more than 0.")
    if refunded + amount > paid:
        raise InvalidInputError(
            f"Order {order.number} has {money_text(paid - refunded)} {order.currency} left to "
            f"refund, less than {money_text(amount)}."
        )
    session.add(
        Payment(
            order_id=order.id,
            kind="refund",
            method=method.strip()[:50],
            reference=reference.strip()[:100],
            amount=amount,
            paid_at=datetime.now(UTC),
        )
    )
    full = refunded + amount >= paid
    order.payment_state = (PaymentState.REFUNDED if full else PaymentState.PARTIALLY_REFUNDED).value
    result = ActionResult(order_id)
    event = Event.REFUND_ISSUED if full else Event.PARTIAL_REFUND_ISSUED
    fire_into(result, session, event, changed_by=changed_by)
    return result
