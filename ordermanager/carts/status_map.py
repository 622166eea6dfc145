"""Status mapping: which status label means which action in a cart.

A cart kind declares a default mapping by label name (its connector's ``default_status_map``), so
"Order Shipped" becomes a WooCommerce ``completed`` status, a Shopify fulfillment with tracking, a
Magento shipment with tracks, a BigCommerce shipment or a Vendure fulfillment. Each cart can
override any label (table ``cart_status_map``, edited in the Carts dialog). A status update whose
label has no mapping at all is held with that reason (``no_mapping_message``), never dropped: the
operator adds a mapping and presses Retry.

The mapping is resolved when the update is sent, not when it is queued, so a mapping fixed after
the fact applies to the records waiting for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ordermanager.db.models import Cart, CartStatusMapping, StatusLabel
from ordermanager.errors import InvalidInputError, NotFoundError


class ActionKind(StrEnum):
    SHIP = "ship"  # a shipment/fulfillment with the tracking numbers (only the shipment lines)
    CANCEL = "cancel"  # cancel the order in the cart
    SET_STATUS = "set_status"  # move the order to the cart's own status ``cart_status``
    COMMENT = "comment"  # add a note/comment with the label (and tracking) to the order
    SKIP = "skip"  # deliberately send nothing; the update counts as delivered


ACTION_TITLES: dict[ActionKind, str] = {
    ActionKind.SHIP: "Ship (with tracking)",
    ActionKind.CANCEL: "Cancel order",
    ActionKind.SET_STATUS: "Set cart status",
    ActionKind.COMMENT: "Add order note",
    ActionKind.SKIP: "Don't send",
}


@dataclass(frozen=True)
class CartAction:
    kind: ActionKind
    # SET_STATUS: the cart's status code (required). Other kinds: a status the cart should show as
    # well, where the connector supports that (Magento comments carry one); usually empty.
    cart_status: str = ""
    notify_customer: bool = False  # the cart e-mails the customer, where it can

    def describe(self, statuses: Mapping[str, str] | None = None) -> str:
        text = ACTION_TITLES[self.kind]
        if self.cart_status:
            shown = (statuses or {}).get(self.cart_status, self.cart_status)
            text += f": {shown}" if self.kind is ActionKind.SET_STATUS else f" ({shown})"
        if self.notify_customer:
            text += ", notify customer"
        return text


@dataclass(frozen=True)
class CartStatus:
    """One of the cart's own order statuses, offered for SET_STATUS in the GUI."""

    code: str
    title: str


def _key(label: str) -> str:
    return " ".join(label.split()).casefold()


class StatusMap:
    """One cart's effective mapping: its own rows over the kind's defaults, by label name."""

    def __init__(
        self,
        own: Mapping[str, CartAction] | None = None,
        defaults: Mapping[str, CartAction] | None = None,
    ) -> None:
        self._own = {_key(k): v for k, v in (own or {}).items()}
        self._defaults = {_key(k): v for k, v in (defaults or {}).items()}

    def action_for(self, label: str) -> CartAction | None:
        key = _key(label)
        if not key:
            return None
        return self._own.get(key) or self._defaults.get(key)

    def is_default(self, label: str) -> bool:
        return _key(label) not in self._own


def no_mapping_message(label: str, cart_name: str) -> str:
    shown = f"label '{label}'" if label else "an update without a label"
    return (
        f"No status mapping for {shown} on cart '{cart_name}': choose what it means in "
        "Setup ▸ Carts… (Edit… ▸ Status Mapping), then Retry this update."
    )


def kind_defaults(kind: str) -> Mapping[str, CartAction]:
    """The default mapping of a cart kind (empty for kinds without a connector)."""
    from ordermanager.carts.registry import connectors

    cls = connectors().get(kind.strip().lower())
    return getattr(cls, "default_status_map", {}) if cls is not None else {}


def kind_statuses(kind: str) -> tuple[CartStatus, ...]:
    from ordermanager.carts.registry import connectors

    cls = connectors().get(kind.strip().lower())
    return tuple(getattr(cls, "cart_statuses", ())) if cls is not None else ()


def kind_actions(kind: str) -> frozenset[ActionKind]:
    from ordermanager.carts.registry import connectors

    cls = connectors().get(kind.strip().lower())
    return (
        frozenset(getattr(cls, "supported_actions", frozenset()))
        if cls is not None
        else frozenset()
    )


def _row_action(row: CartStatusMapping) -> CartAction:
    return CartAction(ActionKind(row.action), row.cart_status or "", bool(row.notify_customer))


def load_status_map(session: Session, cart_id: int) -> StatusMap:
    cart = session.get(Cart, cart_id)
    if cart is None:
        raise NotFoundError(f"There is no cart with id {cart_id}.")
    rows = session.execute(
        select(StatusLabel.name, CartStatusMapping)
        .join(StatusLabel, StatusLabel.id == CartStatusMapping.label_id)
        .where(CartStatusMapping.cart_id == cart_id)
    ).all()
    return StatusMap({name: _row_action(row) for name, row in rows}, kind_defaults(cart.kind))


@dataclass(frozen=True)
class MappingRow:
    """One label as the Status Mapping editor shows it."""

    label_id: int
    label: str
    action: CartAction | None  # None: no mapping (updates with this label are held)
    is_default: bool  # from the cart kind's defaults, not the cart's own row


def list_mappings(session: Session, cart_id: int) -> list[MappingRow]:
    """Every label of the label list with its effective mapping for this cart."""
    mapping = load_status_map(session, cart_id)
    labels = session.execute(
        select(StatusLabel.id, StatusLabel.name).order_by(StatusLabel.position, StatusLabel.name)
    ).all()
    return [
        MappingRow(label_id, name, mapping.action_for(name), mapping.is_default(name))
        for label_id, name in labels
    ]


def validate_action(kind: str, action: CartAction) -> None:
    """Raise InvalidInputError when this cart kind cannot do ``action``."""
    supported = kind_actions(kind)
    if supported and action.kind not in supported:
        raise InvalidInputError(
            f"{ACTION_TITLES[action.kind]} is not something a {kind} cart can do."
        )
    if action.kind is ActionKind.SET_STATUS:
        if not action.cart_status.strip():
            raise InvalidInputError("Choose the cart status to set.")
        codes = {s.code for s in kind_statuses(kind)}
        if codes and action.cart_status not in codes:
            raise InvalidInputError(
                f"'{action.cart_status}' is not a {kind} order status "
                f"(known: {', '.join(sorted(codes))})."
            )


def set_mapping(session: Session, cart_id: int, label_id: int, action: CartAction | None) -> None:
    """Give the cart its own mapping for a label; None goes back to the kind's default."""
    cart = session.get(Cart, cart_id)
    if cart is None:
        raise NotFoundError(f"There is no cart with id {cart_id}.")
    if session.get(StatusLabel, label_id) is None:
        raise NotFoundError(f"There is no status label with id {label_id}.")
    session.execute(
        delete(CartStatusMapping).where(
            CartStatusMapping.cart_id == cart_id, CartStatusMapping.label_id == label_id
        )
    )
    if action is not None:
        validate_action(cart.kind, action)
        session.add(
            CartStatusMapping(
                cart_id=cart_id,
                label_id=label_id,
                action=action.kind.value,
                cart_status=action.cart_status.strip(),
                notify_customer=action.notify_customer,
            )
        )
    session.flush()


class StatusMapCache:
    """Each cart's mapping for the stack controller's senders, read again after ``ttl`` seconds
    so an operator's edit reaches updates waiting to be sent without a restart."""

    def __init__(
        self,
        load: Callable[[int], StatusMap],
        ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl = ttl
        self._clock = clock
        self._maps: dict[int, tuple[float, StatusMap]] = {}
        self._lock = threading.Lock()

    def get(self, cart_id: int, *, fresh: bool = False) -> StatusMap:
        """The cart's mapping; ``fresh`` reads it again now (before holding an update for a
        missing mapping the operator may have added a moment ago)."""
        now = self._clock()
        with self._lock:
            cached = self._maps.get(cart_id)
            if not fresh and cached is not None and now - cached[0] < self._ttl:
                return cached[1]
        mapping = self._load(cart_id)
        with self._lock:
            self._maps[cart_id] = (now, mapping)
        return mapping
