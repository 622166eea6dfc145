"""The stack's senders for cart kinds that have a connector: ``sender_for`` in
ordermanager.stack.delivery asks here before giving up on a kind.

The connector is opened on first send, with its secrets from the keyring; while a secret is
missing each record is held with the connector's message (as GenericSender does), and the next
send tries the keyring again, so an operator who stores the secret need not restart anything.

Before a record reaches the connector its label is looked up in the cart's status mapping: no
mapping holds the record with a message saying so; "Don't send" counts as delivered without a
request (the operator chose it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import CartConfig, Connector
from ordermanager.carts.registry import connectors, open_connector
from ordermanager.carts.status_map import (
    ActionKind,
    StatusMap,
    kind_defaults,
    no_mapping_message,
)
from ordermanager.carts.updates import view_of
from ordermanager.stack.delivery import Delivered, DeliveryConfig, Outcome, Rejected, Sender

if TYPE_CHECKING:
    from ordermanager.stack.queue import ClaimedRecord


class ConnectorSender:
    def __init__(
        self,
        cart: CartConfig,
        config: DeliveryConfig,
        opener: Callable[[CartConfig], Connector] | None = None,
    ) -> None:
        self.cart = cart
        self.config = config
        self._opener = opener or (lambda c: open_connector(c, timeout=config.timeout()))
        self._connector: Connector | None = None
        # The controller's workers share one sender per cart: one connector (one client) only.
        self._open_lock = threading.Lock()

    def _status_map(self, *, fresh: bool = False) -> StatusMap:
        if self.config.status_maps is not None:
            mapping = self.config.status_maps(self.cart.id, fresh=fresh)
            if isinstance(mapping, StatusMap):
                return mapping
        return StatusMap(defaults=kind_defaults(self.cart.kind))

    def send(self, record: ClaimedRecord) -> Outcome:
        label = view_of(record).label
        action = self._status_map().action_for(label)
        if action is None:
            # Read again before holding: the operator may have just added it and pressed Retry.
            action = self._status_map(fresh=True).action_for(label)
        if action is None:
            return Rejected(no_mapping_message(label, self.cart.name))
        if action.kind is ActionKind.SKIP:
            return Delivered(f"label '{label}' is set to 'Don't send' for this cart")
        with self._open_lock:
            if self._connector is None:
                try:
                    self._connector = self._opener(self.cart)
                except ConnectorError as exc:
                    return Rejected(str(exc))
            connector = self._connector
        return connector.push_status(record, action)

    def close(self) -> None:
        with self._open_lock:
            if self._connector is not None:
                self._connector.close()
                self._connector = None


def connector_sender(record: ClaimedRecord, config: DeliveryConfig) -> Sender | None:
    """A sender through the record's cart connector, or None when its kind has none."""
    kind = record.cart_kind.strip().lower()
    if kind not in connectors():
        return None
    cart = CartConfig(record.cart_id, record.cart_name, kind, record.cart_base_url)
    return ConnectorSender(cart, config)
