"""Which Magento 2 REST calls one status update becomes, given its mapped action.

Magento has real shipments, so SHIP is ``POST /V1/order/{id}/ship`` with the shipped items (none
listed = everything not shipped yet) and one track per tracking number; Magento itself moves an
invoiced order that has shipped everything to Complete, and leaves the rest Processing. CANCEL is
``POST /V1/orders/{id}/cancel``. SET_STATUS and COMMENT both go through the order comments call
(``POST /V1/orders/{id}/comments``), the only REST route that changes an order's status; a
comment always carries a status, because omitting it blanked the order's status in some Magento
versions (magento/magento2#34180), so a plain comment repeats the order's current status.
Below the plans: reading the order and shipment JSON a push needs (items by SKU, and whether a
retried shipment or comment is already there).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ordermanager.carts.status_map import ActionKind, CartAction, CartStatus
from ordermanager.carts.updates import ShipmentLine, UpdateView

# Magento's default order statuses (sales_order_status), code and admin title.
STATUSES: tuple[CartStatus, ...] = (
    CartStatus("pending", "Pending"),
    CartStatus("processing", "Processing"),
    CartStatus("holded", "On Hold"),
    CartStatus("complete", "Complete"),
    CartStatus("closed", "Closed"),
    CartStatus("canceled", "Canceled"),
    CartStatus("fraud", "Suspected Fraud"),
    CartStatus("payment_review", "Payment Review"),
)

SUPPORTED: frozenset[ActionKind] = frozenset(ActionKind)

# A track needs a carrier code Magento knows; "custom" is the one for any carrier by name.
CUSTOM_CARRIER = "custom"

_SHIP = CartAction(ActionKind.SHIP, notify_customer=True)
_COMMENT_TO_CUSTOMER = CartAction(ActionKind.COMMENT, notify_customer=True)
_PRIVATE_COMMENT = CartAction(ActionKind.COMMENT)

DEFAULT_MAP: dict[str, CartAction] = {
    "Order Shipped": _SHIP,
    "Partially Shipped": _SHIP,
    "Order Cancelled": CartAction(ActionKind.CANCEL),
    "Completed": CartAction(ActionKind.SET_STATUS, "complete"),
    "On Hold": CartAction(ActionKind.SET_STATUS, "holded"),
    # Tracking without a shipment has no place in Magento but a comment the customer can read.
    "Tracking Entered": _COMMENT_TO_CUSTOMER,
    "Tracking Imported": _COMMENT_TO_CUSTOMER,
    "Backordered": _COMMENT_TO_CUSTOMER,
    "Item Cancelled": _PRIVATE_COMMENT,
    "Item Returned": _PRIVATE_COMMENT,
    "Order Returned": _PRIVATE_COMMENT,
    # Magento closes an order itself when a credit memo refunds it; setting "closed" by hand
    # without one would leave its totals saying the money is still there.
    "Refunded": _PRIVATE_COMMENT,
    "Partially Refunded": _PRIVATE_COMMENT,
}


@dataclass(frozen=True)
class ShipPlan:
    lines: tuple[ShipmentLine, ...]  # empty: ship everything not shipped yet
    carrier: str
    tracking_numbers: tuple[str, ...]
    notify: bool
    status_after: str  # a status to set by comment afterwards ('' = leave Magento's)

    def tracks(self) -> list[dict[str, str]]:
        title = self.carrier or "Tracking"
        return [
            {"track_number": number, "title": title, "carrier_code": CUSTOM_CARRIER}
            for number in self.tracking_numbers
        ]

    def body(self, item_ids: list[tuple[int, int]]) -> dict[str, Any]:
        """``item_ids``: (Magento order_item_id, quantity) per shipment line; [] = all items."""
        body: dict[str, Any] = {}
        if item_ids:
            body["items"] = [{"order_item_id": i, "qty": q} for i, q in item_ids]
        body["notify"] = self.notify
        body["tracks"] = self.tracks()
        return body


@dataclass(frozen=True)
class CancelPlan:
    pass


@dataclass(frozen=True)
class CommentPlan:
    text: str
    status: str  # '' = keep the order's current status (read first, then sent back)
    notify: bool

    def body(self, current_status: str) -> dict[str, Any]:
        flag = 1 if self.notify else 0
        return {
            "statusHistory": {
                "comment": self.text,
                "is_customer_notified": flag,
                "is_visible_on_front": flag,
                "status": self.status or current_status,
            }
        }


Plan = ShipPlan | CancelPlan | CommentPlan


def plan_for(view: UpdateView, action: CartAction) -> Plan:
    if action.kind is ActionKind.SHIP:
        return ShipPlan(
            lines=view.shipment_lines,
            carrier=view.carrier,
            tracking_numbers=view.tracking_numbers,
            notify=action.notify_customer,
            status_after=action.cart_status,
        )
    if action.kind is ActionKind.CANCEL:
        return CancelPlan()
    return CommentPlan(view.comment(), action.cart_status, action.notify_customer)


def describe(plan: Plan) -> str:
    """What the plan did, for Delivered's detail."""
    if isinstance(plan, ShipPlan):
        part = "partial shipment" if plan.lines else "shipment"
        tracks = f" with {len(plan.tracking_numbers)} track(s)" if plan.tracking_numbers else ""
        return part + tracks
    if isinstance(plan, CancelPlan):
        return "canceled"
    return f"comment (status {plan.status})" if plan.status else "comment"


# -- reading Magento's order and shipment JSON for a push ------------------------------------


class UnknownItem(Exception):
    """A shipment line that matches no item of the Magento order (the message: its SKU)."""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _qty(item: dict[str, Any], key: str) -> Decimal:
    try:
        amount = Decimal(str(item.get(key) or 0))
    except ArithmeticError:
        return Decimal(0)
    return amount if amount.is_finite() else Decimal(0)


def parent_items(order: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's own lines: not the child rows of configurables and bundles."""
    return [
        i
        for i in _list(order.get("items"))
        if isinstance(i, dict) and i.get("parent_item_id") in (None, "", 0)
    ]


def order_item_ids(lines: tuple[ShipmentLine, ...], order: dict[str, Any]) -> list[tuple[int, int]]:
    """(Magento order_item_id, quantity) per shipment line: its remote id, or else the order's
    item with its SKU (a line entered by hand in Order Manager has no remote id)."""
    ids: list[tuple[int, int]] = []
    for line in lines:
        if line.remote_id.isdigit():
            ids.append((int(line.remote_id), line.quantity))
            continue
        found = [
            int(str(i["item_id"]))
            for i in parent_items(order)
            if line.sku
            and str(i.get("sku") or "").strip() == line.sku
            and str(i.get("item_id")).isdigit()
        ]
        if not found:
            raise UnknownItem(line.sku or "(no SKU)")
        ids.append((found[0], line.quantity))
    return ids


def shipment_done(plan: ShipPlan, item_ids: list[tuple[int, int]], shipments: list[Any]) -> bool:
    """Whether one of the order's shipments is this plan's: it holds one of our tracking
    numbers, or (without tracking) exactly our lines and quantities."""
    wanted = sorted((str(i), q) for i, q in item_ids)
    for shipment in shipments:
        if not isinstance(shipment, dict):
            continue
        if plan.tracking_numbers:
            numbers = {
                str(t.get("track_number"))
                for t in _list(shipment.get("tracks"))
                if isinstance(t, dict)
            }
            if numbers & set(plan.tracking_numbers):
                return True
            continue
        shipped = sorted(
            (str(i.get("order_item_id")), int(_qty(i, "qty")))
            for i in _list(shipment.get("items"))
            if isinstance(i, dict)
        )
        if shipped == wanted:
            return True
    return False


def nothing_left_to_ship(order: dict[str, Any]) -> bool:
    items = [i for i in parent_items(order) if not i.get("is_virtual")]
    return bool(items) and all(
        _qty(i, "qty_ordered")
        - _qty(i, "qty_shipped")
        - _qty(i, "qty_canceled")
        - _qty(i, "qty_refunded")
        <= 0
        for i in items
    )


def has_comment(order: dict[str, Any], text: str) -> bool:
    return any(
        isinstance(h, dict) and h.get("comment") == text
        for h in _list(order.get("status_histories"))
    )
