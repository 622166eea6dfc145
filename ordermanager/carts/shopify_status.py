"""Which Shopify Admin GraphQL calls one status update becomes, given its mapped action.

Shopify has no order statuses of its own to set (an order's state follows from its payments,
fulfillments and cancellation), so ``STATUSES`` is empty and SET_STATUS is not offered.

- SHIP: read the order's fulfillment orders, then ``fulfillmentCreate`` for the open ones with
  the carrier and tracking numbers. A partial shipment names only its shipment lines' line items
  and quantities (matched by the order's line item id, else by SKU); an empty shipment means
  everything still open. The legacy order-level fulfillment API is gone (removed 2023-04).
- CANCEL: ``orderCancel`` with reason OTHER, no refund (money is the merchant's decision, in
  Shopify's admin), restock. Shopify cancels in a background job; the mutation's answer is the
  job having been accepted.
- COMMENT: the update's text appended to the order's note (staff-only in Shopify; Shopify sends
  the customer nothing for a note, so ``notify_customer`` has no effect here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ordermanager.carts.shopify_orders import gid_tail
from ordermanager.carts.status_map import ActionKind, CartAction, CartStatus
from ordermanager.carts.updates import UpdateView

STATUSES: tuple[CartStatus, ...] = ()
SUPPORTED: frozenset[ActionKind] = frozenset(
    {ActionKind.SHIP, ActionKind.CANCEL, ActionKind.COMMENT, ActionKind.SKIP}
)

_SHIP = CartAction(ActionKind.SHIP, notify_customer=True)
_NOTE = CartAction(ActionKind.COMMENT)

DEFAULT_MAP: dict[str, CartAction] = {
    "Order Shipped": _SHIP,
    "Partially Shipped": _SHIP,
    "Order Cancelled": CartAction(ActionKind.CANCEL),
    "Tracking Entered": _NOTE,
    "Tracking Imported": _NOTE,
    "Backordered": _NOTE,
    "Item Cancelled": _NOTE,
    "Item Returned": _NOTE,
    "Order Returned": _NOTE,
    "Refunded": _NOTE,
    "Partially Refunded": _NOTE,
    "Completed": _NOTE,
    "On Hold": _NOTE,
}

# Fulfillment orders Shopify lets a merchant-managed app fulfil.
OPEN_FULFILLMENT_STATUSES = frozenset({"OPEN", "IN_PROGRESS"})
FINISHED_FULFILLMENT_STATUSES = frozenset({"CLOSED", "CANCELLED"})

ORDER_FOR_SHIPMENT_QUERY = """query OrderForShipment($id: ID!) {
  order(id: $id) {
    id name cancelledAt
    fulfillments(first: 50) { id status trackingInfo { company number } }
    fulfillmentOrders(first: 5) {
      nodes {
        id status
        lineItems(first: 50) {
          nodes { id remainingQuantity totalQuantity sku lineItem { id sku } }
        }
      }
    }
  }
}"""

FULFILLMENT_CREATE = """mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo { company number } }
    userErrors { field message }
  }
}"""

ORDER_STATE_QUERY = """query OrderState($id: ID!) {
  order(id: $id) { id name cancelledAt }
}"""

# API 2025-01 signature: refund and restock are required Booleans (later versions replace
# `refund` with `refundMethod`; see docs/carts/shopify.md).
ORDER_CANCEL = """mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!,
    $refund: Boolean!, $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, refund: $refund, restock: $restock,
      notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}"""

ORDER_NOTE_QUERY = """query OrderNote($id: ID!) {
  order(id: $id) { id name note }
}"""

ORDER_UPDATE = """mutation OrderUpdate($input: OrderInput!) {
  orderUpdate(input: $input) {
    order { id note }
    userErrors { field message }
  }
}"""


class CannotShip(Exception):
    """The shipment does not fit the order's open fulfillment orders; the message says why."""


@dataclass(frozen=True)
class OpenLine:
    fulfillment_order_id: str
    line_id: str  # the fulfillment order line item's GID
    order_line_id: str  # the order line item's number (RemoteLineItem.remote_id)
    sku: str
    remaining: int


def open_lines(order: Mapping[str, Any]) -> list[OpenLine]:
    """Every fulfillment order line item that still has something to ship."""
    found: list[OpenLine] = []
    fulfillment_orders = order.get("fulfillmentOrders")
    nodes = fulfillment_orders.get("nodes") if isinstance(fulfillment_orders, dict) else None
    for fo in nodes if isinstance(nodes, list) else []:
        if not isinstance(fo, dict) or fo.get("status") not in OPEN_FULFILLMENT_STATUSES:
            continue
        items = fo.get("lineItems")
        for line in items.get("nodes", []) if isinstance(items, dict) else []:
            if not isinstance(line, dict):
                continue
            remaining = line.get("remainingQuantity")
            if not isinstance(remaining, int) or remaining <= 0:
                continue
            raw_line = line.get("lineItem")
            order_line: dict[str, Any] = raw_line if isinstance(raw_line, dict) else {}
            sku = line.get("sku") or order_line.get("sku") or ""
            found.append(
                OpenLine(
                    str(fo.get("id")),
                    str(line.get("id")),
                    gid_tail(order_line.get("id")),
                    sku.strip() if isinstance(sku, str) else "",
                    remaining,
                )
            )
    return found


def held_statuses(order: Mapping[str, Any]) -> list[str]:
    """Statuses of fulfillment orders that are neither open nor finished (ON_HOLD, SCHEDULED,
    INCOMPLETE): their items cannot be fulfilled until the merchant releases them."""
    fulfillment_orders = order.get("fulfillmentOrders")
    nodes = fulfillment_orders.get("nodes") if isinstance(fulfillment_orders, dict) else None
    return [
        str(fo.get("status"))
        for fo in (nodes if isinstance(nodes, list) else [])
        if isinstance(fo, dict)
        and fo.get("status") not in OPEN_FULFILLMENT_STATUSES | FINISHED_FULFILLMENT_STATUSES
    ]


def line_items_by_fulfillment_order(
    view: UpdateView, lines: list[OpenLine]
) -> list[dict[str, Any]]:
    """``lineItemsByFulfillmentOrder`` for this shipment; raises CannotShip when it cannot be
    placed (a line the order does not have open, or more than is left to ship)."""
    if not view.shipment_lines:
        # Everything still open: a fulfillment order without items means all of its items.
        ids = list(dict.fromkeys(line.fulfillment_order_id for line in lines))
        return [{"fulfillmentOrderId": fo_id} for fo_id in ids]
    left = {line.line_id: line.remaining for line in lines}
    chosen: dict[str, dict[str, int]] = {}
    for wanted in view.shipment_lines:
        candidates = [
            ln for ln in lines if wanted.remote_id and ln.order_line_id == wanted.remote_id
        ]
        if not candidates and wanted.sku:
            candidates = [ln for ln in lines if ln.sku == wanted.sku]
        what = f"line item {wanted.remote_id or '-'}" + (
            f" (SKU {wanted.sku})" if wanted.sku else ""
        )
        if not candidates:
            raise CannotShip(f"{what} has nothing left to fulfil in Shopify")
        need = wanted.quantity
        for line in candidates:
            take = min(need, left[line.line_id])
            if take <= 0:
                continue
            left[line.line_id] -= take
            per_fo = chosen.setdefault(line.fulfillment_order_id, {})
            per_fo[line.line_id] = per_fo.get(line.line_id, 0) + take
            need -= take
            if need == 0:
                break
        if need:
            raise CannotShip(
                f"{what}: {wanted.quantity} to ship but only {wanted.quantity - need} "
                "left to fulfil in Shopify"
            )
    return [
        {
            "fulfillmentOrderId": fo_id,
            "fulfillmentOrderLineItems": [{"id": k, "quantity": q} for k, q in items.items()],
        }
        for fo_id, items in chosen.items()
    ]


def fulfillment_input(
    view: UpdateView, action: CartAction, by_fulfillment_order: list[dict[str, Any]]
) -> dict[str, Any]:
    fulfillment: dict[str, Any] = {
        "lineItemsByFulfillmentOrder": by_fulfillment_order,
        "notifyCustomer": action.notify_customer,
    }
    if view.tracking_numbers:
        tracking: dict[str, Any] = {"numbers": list(view.tracking_numbers)}
        if view.carrier:
            tracking["company"] = view.carrier
        fulfillment["trackingInfo"] = tracking
    return fulfillment


def tracking_already_there(order: Mapping[str, Any], numbers: tuple[str, ...]) -> bool:
    """Whether one of the order's fulfillments already carries one of these tracking numbers
    (an earlier attempt's fulfillment whose answer was lost)."""
    wanted = set(numbers)
    fulfillments = order.get("fulfillments")
    for fulfillment in fulfillments if isinstance(fulfillments, list) else []:
        info = fulfillment.get("trackingInfo") if isinstance(fulfillment, dict) else None
        for track in info if isinstance(info, list) else []:
            if isinstance(track, dict) and track.get("number") in wanted:
                return True
    return False


def appended_note(current: Any, text: str) -> str:
    existing = current.rstrip() if isinstance(current, str) else ""
    return f"{existing}\n{text}" if existing else text


def cancel_variables(order_gid: str, action: CartAction, view: UpdateView) -> dict[str, Any]:
    return {
        "orderId": order_gid,
        "reason": "OTHER",
        "refund": False,
        "restock": True,
        "notifyCustomer": action.notify_customer,
        "staffNote": f"Cancelled from Order Manager ({view.label or view.event_name})",
    }
