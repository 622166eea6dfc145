"""Payment and shipping states of an order: the stored value and the words an operator reads."""

from __future__ import annotations

from enum import StrEnum


class PaymentState(StrEnum):
    UNPAID = "unpaid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"

    @property
    def text(self) -> str:
        return _TITLES[self]


class ShippingState(StrEnum):
    UNSHIPPED = "unshipped"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"
    RETURNED = "returned"

    @property
    def text(self) -> str:
        return _TITLES[self]


_TITLES: dict[StrEnum, str] = {
    PaymentState.UNPAID: "Unpaid",
    PaymentState.PARTIALLY_PAID: "Partially paid",
    PaymentState.PAID: "Paid",
    PaymentState.PARTIALLY_REFUNDED: "Partially refunded",
    PaymentState.REFUNDED: "Refunded",
    ShippingState.UNSHIPPED: "Not shipped",
    ShippingState.PARTIALLY_SHIPPED: "Partially shipped",
    ShippingState.SHIPPED: "Shipped",
    ShippingState.CANCELLED: "Cancelled",
    ShippingState.RETURNED: "Returned",
}


def state_title(value: str) -> str:
    """The operator's words for a stored state; an unknown value (from a newer version) as is."""
    for enum in (PaymentState, ShippingState):
        try:
            return enum(value).text
        except ValueError:
            continue
    return value
