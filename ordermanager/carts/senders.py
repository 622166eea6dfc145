"""The stack's senders for cart kinds that have a connector: ``sender_for`` in
ordermanager.stack.delivery asks here before giving up on a kind.

The connector is opened on first send, with its secrets from the keyring; while a secret is
missing each record is held with the connector's message (as GenericSender does), and the next
send tries the keyring again, so an operator who stores the secret need not restart anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import CartConfig, Connector
from ordermanager.carts.registry import connectors, open_connector
from ordermanager.stack.delivery import DeliveryConfig, Outcome, Rejected, Sender

if TYPE_CHECKING:
    from ordermanager.stack.queue import ClaimedRecord


class ConnectorSender:
    def __init__(self, cart: CartConfig, config: DeliveryConfig) -> None:
        self.cart = cart
        self.config = config
        self._connector: Connector | None = None

    def send(self, record: ClaimedRecord) -> Outcome:
        if self._connector is None:
            try:
                self._connector = open_connector(self.cart, timeout=self.config.timeout())
            except ConnectorError as exc:
                return Rejected(str(exc))
        return self._connector.push_status(record)

    def close(self) -> None:
        if self._connector is not None:
            self._connector.close()


def connector_sender(record: ClaimedRecord, config: DeliveryConfig) -> Sender | None:
    """A sender through the record's cart connector, or None when its kind has none."""
    kind = record.cart_kind.strip().lower()
    if kind not in connectors():
        return None
    cart = CartConfig(record.cart_id, record.cart_name, kind, record.cart_base_url)
    return ConnectorSender(cart, config)
