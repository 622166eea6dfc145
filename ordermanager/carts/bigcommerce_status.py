"""Which BigCommerce calls one status update becomes, given its mapped action.

BigCommerce (REST v2) has real shipments: SHIP creates one with the tracking number and the
shipment lines, and BigCommerce itself moves the order to Shipped or Partially Shipped and
e-mails the customer (per the store's settings). CANCEL and SET_STATUS are a ``status_id`` on the
order; COMMENT appends a line to the order's staff notes (or, when the mapping notifies the
customer, to the customer-visible order message; BigCommerce sends no e-mail for either).

A shipment carries one ``tracking_number``. Several tracking numbers for one shipment go into
one shipment: the first in ``tracking_number``, all of them in ``comments``, because BigCommerce
counts shipped quantities per shipment and we do not know which item went in which box.
"""

from __future__ import annotations

from dataclasses import dataclass

from ordermanager.carts.status_map import ActionKind, CartAction, CartStatus
from ordermanager.carts.updates import UpdateView, tracking_text

CANCELLED_STATUS_ID = 5

# [BC-v2] /order_statuses: the fifteen fixed ids (a store may rename them; the ids stay).
STATUSES: tuple[CartStatus, ...] = (
    CartStatus("0", "Incomplete"),
    CartStatus("1", "Pending"),
    CartStatus("2", "Shipped"),
    CartStatus("3", "Partially Shipped"),
    CartStatus("4", "Refunded"),
    CartStatus("5", "Cancelled"),
    CartStatus("6", "Declined"),
    CartStatus("7", "Awaiting Payment"),
    CartStatus("8", "Awaiting Pickup"),
    CartStatus("9", "Awaiting Shipment"),
    CartStatus("10", "Completed"),
    CartStatus("11", "Awaiting Fulfillment"),
    CartStatus("12", "Manual Verification Required"),
    CartStatus("13", "Disputed"),
    CartStatus("14", "Partially Refunded"),
)
STATUS_NAMES: dict[int, str] = {int(s.code): s.title for s in STATUSES}

SUPPORTED: frozenset[ActionKind] = frozenset(ActionKind)

_SHIP = CartAction(ActionKind.SHIP, notify_customer=True)
_CUSTOMER_MESSAGE = CartAction(ActionKind.COMMENT, notify_customer=True)
_STAFF_NOTE = CartAction(ActionKind.COMMENT)

DEFAULT_MAP: dict[str, CartAction] = {
    "Order Shipped": _SHIP,
    "Partially Shipped": _SHIP,
    "Order Cancelled": CartAction(ActionKind.CANCEL),
    "Completed": CartAction(ActionKind.SET_STATUS, "10"),
    "Refunded": CartAction(ActionKind.SET_STATUS, "4"),
    "Partially Refunded": CartAction(ActionKind.SET_STATUS, "14"),
    # BigCommerce has no "on hold" status; a staff note keeps the order where it is.
    "On Hold": _STAFF_NOTE,
    "Tracking Entered": _CUSTOMER_MESSAGE,
    "Tracking Imported": _CUSTOMER_MESSAGE,
    "Backordered": _CUSTOMER_MESSAGE,
    "Item Cancelled": _STAFF_NOTE,
    "Item Returned": _STAFF_NOTE,
    "Order Returned": _STAFF_NOTE,
}

# Carrier names as operators type them -> (shipping_provider, tracking_carrier). BigCommerce
# accepts only its own provider modules ('' = none) and tracking-carrier slugs; an unknown value
# is a 400, so an unknown carrier is sent as '' and named in the shipment comments instead.
_CARRIERS: dict[str, tuple[str, str]] = {
    "ups": ("ups", "ups"),
    "fedex": ("fedex", "fedex"),
    "usps": ("usps", "usps"),
    "dhl": ("", "dhl"),
    "dhlexpress": ("", "dhl"),
    "auspost": ("auspost", "australia-post"),
    "australiapost": ("auspost", "australia-post"),
    "canadapost": ("canadapost", "canada-post"),
    "royalmail": ("", "royal-mail"),
    "dpd": ("", "dpd"),
    "tnt": ("", "tnt"),
    "gls": ("", "gls"),
}


def carrier_codes(carrier: str) -> tuple[str, str]:
    """BigCommerce's (shipping_provider, tracking_carrier) for a carrier name; ('', '') unknown."""
    key = "".join(ch for ch in carrier.casefold() if ch.isalnum())
    return _CARRIERS.get(key, ("", ""))


@dataclass(frozen=True)
class ShipmentPlan:
    """One ``POST /orders/{id}/shipments``; the items are resolved against the order's products
    when the request is built (empty ``lines`` = every product not shipped yet)."""

    tracking_number: str
    shipping_provider: str
    tracking_carrier: str
    comments: str
    lines: tuple[tuple[str, str, int], ...]  # (order_product_id or '', sku, quantity)


@dataclass(frozen=True)
class NotePlan:
    text: str
    field: str  # 'staff_notes' or 'customer_message'


@dataclass(frozen=True)
class StatusPlan:
    """The requests for one record, in order: a shipment, a status_id, a note line."""

    shipment: ShipmentPlan | None = None
    status_id: int | None = None
    note: NotePlan | None = None


class PlanError(Exception):
    """The mapping cannot become a BigCommerce request (the message says why)."""


def _status_id(code: str) -> int:
    text = code.strip()
    if not text.isdigit():
        raise PlanError(f"'{code}' is not a BigCommerce status id (0-14 or a custom id)")
    return int(text)


def shipment_plan(view: UpdateView) -> ShipmentPlan:
    provider, slug = carrier_codes(view.carrier)
    numbers = view.tracking_numbers
    comments = []
    if len(numbers) > 1 or (numbers and view.carrier and not (provider or slug)):
        comments.append(tracking_text(view.carrier, numbers))
    elif view.carrier and not (provider or slug):
        comments.append(f"Carrier: {view.carrier}")
    return ShipmentPlan(
        tracking_number=numbers[0] if numbers else "",
        shipping_provider=provider,
        tracking_carrier=slug,
        comments=". ".join(comments),
        lines=tuple((line.remote_id, line.sku, line.quantity) for line in view.shipment_lines),
    )


def plan_for(view: UpdateView, action: CartAction) -> StatusPlan:
    """Raises PlanError when the mapping names a status that is not a status id."""
    if action.kind is ActionKind.SHIP:
        extra = _status_id(action.cart_status) if action.cart_status.strip() else None
        return StatusPlan(shipment=shipment_plan(view), status_id=extra)
    if action.kind is ActionKind.CANCEL:
        code = action.cart_status.strip()
        return StatusPlan(status_id=_status_id(code) if code else CANCELLED_STATUS_ID)
    if action.kind is ActionKind.SET_STATUS:
        return StatusPlan(status_id=_status_id(action.cart_status))
    field = "customer_message" if action.notify_customer else "staff_notes"
    return StatusPlan(note=NotePlan(view.comment(), field))


def append_line(existing: str, line: str) -> str:
    """The notes with ``line`` added as a line of its own."""
    kept = existing.rstrip("\n")
    return f"{kept}\n{line}" if kept else line


def has_line(existing: str, line: str) -> bool:
    return line in (part.strip() for part in existing.splitlines())


def _whole(value: object) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return 0


def shipment_items(
    lines: tuple[tuple[str, str, int], ...], products: list[object]
) -> list[dict[str, int]]:
    """The shipment's ``items`` from the record's shipment lines and the order's products.

    A line names its product line by id, or (an item entered by hand) by SKU; no lines means
    every product line with something left to ship. Raises PlanError when a line is not on the
    order or nothing is left to ship.
    """
    rows = [p for p in products if isinstance(p, dict)]
    by_id = {str(_whole(p.get("id"))): p for p in rows}
    if not lines:
        items = [
            {"order_product_id": _whole(p.get("id")), "quantity": left}
            for p in rows
            if (left := _whole(p.get("quantity")) - _whole(p.get("quantity_shipped"))) > 0
        ]
        if not items:
            raise PlanError("every product of the order is already shipped in BigCommerce")
        return items
    items = []
    for remote_id, sku, quantity in lines:
        product = by_id.get(remote_id) if remote_id else None
        if product is None and sku:
            product = next((p for p in rows if p.get("sku") == sku), None)
        if product is None:
            shown = f"product line {remote_id}" if remote_id else f"SKU '{sku}'"
            raise PlanError(f"{shown} is not on the order in BigCommerce")
        items.append({"order_product_id": _whole(product.get("id")), "quantity": quantity})
    return items


def shipment_body(
    plan: ShipmentPlan, order_address_id: int, items: list[dict[str, int]]
) -> dict[str, object]:
    body: dict[str, object] = {"order_address_id": order_address_id}
    if plan.tracking_number:
        body["tracking_number"] = plan.tracking_number
    # Sent even when empty: left out, BigCommerce assumes 'custom' and shows no tracking link.
    body["shipping_provider"] = plan.shipping_provider
    body["tracking_carrier"] = plan.tracking_carrier
    if plan.comments:
        body["comments"] = plan.comments
    body["items"] = items
    return body


def _item_set(items: object) -> frozenset[tuple[int, int]]:
    rows = items if isinstance(items, list) else []
    return frozenset(
        (_whole(i.get("order_product_id")), _whole(i.get("quantity")))
        for i in rows
        if isinstance(i, dict)
    )


def earlier_shipment(shipments: object, plan: ShipmentPlan) -> dict[str, object] | None:
    """On a retry: the shipment an earlier attempt created (its answer was lost), if any.

    With a tracking number the match is that number; without one, a shipment without tracking
    holding exactly the same lines (the lines are known only when the record names them).
    """
    rows = [s for s in (shipments if isinstance(shipments, list) else []) if isinstance(s, dict)]
    if plan.tracking_number:
        return next((s for s in rows if s.get("tracking_number") == plan.tracking_number), None)
    if not plan.lines:
        return None
    wanted = {(_whole(r), q) for r, _, q in plan.lines if r}
    if len(wanted) != len(plan.lines):
        return None
    return next(
        (s for s in rows if not s.get("tracking_number") and _item_set(s.get("items")) == wanted),
        None,
    )
