"""Which Vendure Admin API mutations one status update becomes, given its mapped action.

Facts relied on (the Admin API schema, order.api.graphql; docs.vendure.io "Fulfillment",
"FulfillmentHandler", "Order workflow"):
- SHIP: ``addFulfillmentToOrder(input: {lines: [{orderLineId, quantity}], handler: {code,
  arguments: [{name, value}]}})`` with the built-in ``manual-fulfillment`` handler, whose
  arguments are ``method`` and ``trackingCode``. The fulfillment starts in ``Pending``;
  ``transitionFulfillmentToState(id, state: "Shipped")`` ships it, and Vendure then moves the
  order to PartiallyShipped or Shipped by itself. A partial shipment lists only its lines.
- CANCEL: ``cancelOrder(input: {orderId, reason})`` (no ``lines``: the whole order).
- COMMENT: ``addNoteToOrder(input: {id, note, isPublic})``; a public note shows in the
  customer's order history, a private one only in the dashboard.
- SET_STATUS: ``transitionOrderToState(id, state)``; the order process guards each transition
  (for example Delivered needs delivered fulfillments) and says why in an ErrorResult.
- Every mutation answers HTTP 200. Failures come either as a GraphQL ``errors`` array (unknown
  id: ``ENTITY_NOT_FOUND``; no permission: ``FORBIDDEN``) or as an ErrorResult member of the
  result union (``errorCode`` + ``message``: ItemsAlreadyFulfilledError, CancelActiveOrderError,
  OrderStateTransitionError, ...). Both are errors here.

Vendure sends no e-mail of its own for a fulfillment or a note, so ``notify_customer`` means "a
public note" for COMMENT and has no effect on SHIP (the shipment is visible to the customer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ordermanager.carts.status_map import ActionKind, CartAction, CartStatus
from ordermanager.carts.updates import UpdateView

FULFILLMENT_HANDLER = "manual-fulfillment"
SHIPPED = "Shipped"
CANCELLED = "Cancelled"
# Fulfillment states in which the items are (being) sent; a Cancelled one frees its lines.
LIVE_FULFILLMENT_STATES = frozenset({"Created", "Pending", "Shipped", "Delivered"})

# The default OrderProcess states an administrator can move a placed order to (the others are
# the storefront's: AddingItems, ArrangingPayment, ...). Vendure's own names are the codes.
STATUSES: tuple[CartStatus, ...] = (
    CartStatus("PaymentAuthorized", "Payment authorized"),
    CartStatus("PaymentSettled", "Payment settled"),
    CartStatus("PartiallyShipped", "Partially shipped"),
    CartStatus("Shipped", "Shipped"),
    CartStatus("PartiallyDelivered", "Partially delivered"),
    CartStatus("Delivered", "Delivered"),
    CartStatus("Modifying", "Modifying"),
    CartStatus("ArrangingAdditionalPayment", "Arranging additional payment"),
    CartStatus("Cancelled", "Cancelled"),
)

SUPPORTED: frozenset[ActionKind] = frozenset(ActionKind)

_SHIP = CartAction(ActionKind.SHIP, notify_customer=True)
_PUBLIC_NOTE = CartAction(ActionKind.COMMENT, notify_customer=True)
_PRIVATE_NOTE = CartAction(ActionKind.COMMENT)

# Vendure has no hold, refund or "completed" state an admin can set on its own (Delivered
# requires delivered fulfillments, refunds need payment ids), so those labels become notes.
DEFAULT_MAP: dict[str, CartAction] = {
    "Order Shipped": _SHIP,
    "Partially Shipped": _SHIP,
    "Order Cancelled": CartAction(ActionKind.CANCEL),
    "Tracking Entered": _PUBLIC_NOTE,
    "Tracking Imported": _PUBLIC_NOTE,
    "Backordered": _PUBLIC_NOTE,
    "Completed": _PRIVATE_NOTE,
    "On Hold": _PRIVATE_NOTE,
    "Item Cancelled": _PRIVATE_NOTE,
    "Item Returned": _PRIVATE_NOTE,
    "Order Returned": _PRIVATE_NOTE,
    "Refunded": _PRIVATE_NOTE,
    "Partially Refunded": _PRIVATE_NOTE,
}

_ERROR_RESULT = "... on ErrorResult { errorCode message }"

ORDER_QUERY = (
    "query OrderManagerOrder($id: ID!) {\n"
    "  order(id: $id) {\n"
    "    id code state\n"
    "    lines { id quantity productVariant { sku } }\n"
    "    fulfillments { id state method trackingCode lines { orderLineId quantity } }\n"
    "    history(options: {sort: {createdAt: DESC}, take: 100}) { items { type isPublic data } }\n"
    "  }\n}"
)
ADD_FULFILLMENT = (
    "mutation OrderManagerShip($input: FulfillOrderInput!) {\n"
    "  addFulfillmentToOrder(input: $input) {\n"
    f"    ... on Fulfillment {{ id state method trackingCode }}\n    {_ERROR_RESULT}\n"
    "  }\n}"
)
TRANSITION_FULFILLMENT = (
    "mutation OrderManagerShipped($id: ID!, $state: String!) {\n"
    "  transitionFulfillmentToState(id: $id, state: $state) {\n"
    f"    ... on Fulfillment {{ id state }}\n    {_ERROR_RESULT}\n"
    "  }\n}"
)
CANCEL_ORDER = (
    "mutation OrderManagerCancel($input: CancelOrderInput!) {\n"
    "  cancelOrder(input: $input) {\n"
    f"    ... on Order {{ id state }}\n    {_ERROR_RESULT}\n"
    "  }\n}"
)
ADD_NOTE = (
    "mutation OrderManagerNote($input: AddNoteToOrderInput!) {\n"
    "  addNoteToOrder(input: $input) { id }\n}"
)
TRANSITION_ORDER = (
    "mutation OrderManagerState($id: ID!, $state: String!) {\n"
    "  transitionOrderToState(id: $id, state: $state) {\n"
    f"    ... on Order {{ id state }}\n    {_ERROR_RESULT}\n"
    "  }\n}"
)


def tracking_code(view: UpdateView) -> str:
    return ", ".join(view.tracking_numbers)


def fulfill_input(view: UpdateView, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "lines": lines,
        "handler": {
            "code": FULFILLMENT_HANDLER,
            "arguments": [
                {"name": "method", "value": view.carrier},
                {"name": "trackingCode", "value": tracking_code(view)},
            ],
        },
    }


def cancel_reason(view: UpdateView) -> str:
    return f"Cancelled in Order Manager ({view.label or view.event_name})"


@dataclass(frozen=True)
class ShipPlan:
    """What SHIP still has to do for one order, from the order as the cart has it now."""

    lines: list[dict[str, Any]]  # orderLineId/quantity still to fulfil (empty: nothing left)
    existing: dict[str, Any] | None  # a live fulfillment already carrying this tracking code
    unknown: tuple[str, ...]  # shipment lines that match no line of the order


def _fulfilled(order: dict[str, Any]) -> dict[str, int]:
    done: dict[str, int] = {}
    for fulfillment in order.get("fulfillments") or []:
        if not isinstance(fulfillment, dict):
            continue
        if fulfillment.get("state") not in LIVE_FULFILLMENT_STATES:
            continue
        for line in fulfillment.get("lines") or []:
            if isinstance(line, dict) and isinstance(line.get("quantity"), int):
                key = str(line.get("orderLineId"))
                done[key] = done.get(key, 0) + line["quantity"]
    return done


def existing_fulfillment(order: dict[str, Any], view: UpdateView) -> dict[str, Any] | None:
    """A live fulfillment with this record's tracking code: an earlier attempt's, whose answer
    was lost. Without tracking numbers there is nothing to recognise it by."""
    code = tracking_code(view)
    if not code:
        return None
    for fulfillment in order.get("fulfillments") or []:
        if (
            isinstance(fulfillment, dict)
            and fulfillment.get("state") in LIVE_FULFILLMENT_STATES
            and fulfillment.get("trackingCode") == code
        ):
            return fulfillment
    return None


def plan_ship(view: UpdateView, order: dict[str, Any], *, retry: bool) -> ShipPlan:
    """The lines to fulfil: the record's shipment lines (by line id, else by SKU), or with none
    every line's quantity not yet in a live fulfillment; never more than is left to ship.

    Only a retry looks for its own earlier fulfillment: a first attempt may rightly ship more
    items under a tracking code already used (two parcels recorded as one shipment)."""
    lines = [line for line in order.get("lines") or [] if isinstance(line, dict)]
    done = _fulfilled(order)
    left = {
        str(line.get("id")): int(line.get("quantity") or 0) - done.get(str(line.get("id")), 0)
        for line in lines
    }
    by_sku: dict[str, str] = {}
    for line in lines:
        variant = line.get("productVariant") if isinstance(line.get("productVariant"), dict) else {}
        sku = str((variant or {}).get("sku") or "").strip()
        if sku and sku not in by_sku:
            by_sku[sku] = str(line.get("id"))
    wanted: list[tuple[str, int]] = []
    unknown: list[str] = []
    if view.shipment_lines:
        for shipment_line in view.shipment_lines:
            line_id = shipment_line.remote_id if shipment_line.remote_id in left else None
            line_id = line_id or by_sku.get(shipment_line.sku)
            if line_id is None:
                unknown.append(shipment_line.remote_id or shipment_line.sku or "?")
                continue
            wanted.append((line_id, shipment_line.quantity))
    else:
        wanted = [(line_id, qty) for line_id, qty in left.items()]
    todo: dict[str, int] = {}
    for line_id, quantity in wanted:
        room = left.get(line_id, 0) - todo.get(line_id, 0)
        take = min(quantity, room)
        if take > 0:
            todo[line_id] = todo.get(line_id, 0) + take
    return ShipPlan(
        lines=[{"orderLineId": k, "quantity": v} for k, v in todo.items()],
        existing=existing_fulfillment(order, view) if retry else None,
        unknown=tuple(unknown),
    )


def note_already_there(order: dict[str, Any], text: str) -> bool:
    """Whether the order's history already holds this note (an earlier attempt's)."""
    history = order.get("history")
    items = history.get("items") if isinstance(history, dict) else None
    for entry in items if isinstance(items, list) else []:
        data = entry.get("data") if isinstance(entry, dict) else None
        if (
            entry.get("type") == "ORDER_NOTE"
            and isinstance(data, dict)
            and data.get("note") == text
        ):
            return True
    return False
