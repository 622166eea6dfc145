"""The installed cart connectors by kind, and opening one for a configured cart.

Connector modules register themselves by being listed here; a module that is not installed yet
(another kind still being written) is skipped, so the rest keep working.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ordermanager import secrets
from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import CartConfig, Connector

if TYPE_CHECKING:
    import httpx

# Module, class name: imported on first use.
_CONNECTOR_MODULES: tuple[tuple[str, str], ...] = (
    ("ordermanager.carts.generic", "GenericConnector"),
    ("ordermanager.carts.woocommerce", "WooCommerceConnector"),
    ("ordermanager.carts.shopify", "ShopifyConnector"),
    ("ordermanager.carts.magento2", "Magento2Connector"),
    ("ordermanager.carts.bigcommerce", "BigCommerceConnector"),
    ("ordermanager.carts.vendure", "VendureConnector"),
)

CONNECTORS: dict[str, type[Connector]] = {}


def _load() -> dict[str, type[Connector]]:
    if CONNECTORS:
        return CONNECTORS
    for module_name, class_name in _CONNECTOR_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        cls = getattr(module, class_name)
        CONNECTORS[cls.kind] = cls
    return CONNECTORS


def connectors() -> dict[str, type[Connector]]:
    """Every installed connector class by kind."""
    return _load()


# Kinds without a connector that still appear on orders.
_OTHER_TITLES = {"manual": "Manual"}


def kind_title(kind: str) -> str:
    """A cart kind as operators read it: its connector's title ("Magento 2"), else the kind."""
    key = kind.strip().lower()
    cls = _load().get(key)
    if cls is not None:
        return cls.title
    return _OTHER_TITLES.get(key, kind)


def connector_class(kind: str) -> type[Connector]:
    key = kind.strip().lower()
    found = _load().get(key)
    if found is None:
        known = ", ".join(sorted(_load())) or "none"
        raise ConnectorError(
            f"No connector for '{kind}' carts is installed (installed kinds: {known})."
        )
    return found


def cart_secrets(cart_name: str, fields: tuple[str, ...]) -> dict[str, str]:
    """The cart's secrets from the keyring; raises ConnectorError naming the first missing one."""
    values: dict[str, str] = {}
    for field in fields:
        value = secrets.cart_secret(cart_name, field)
        if not value:
            raise ConnectorError(secrets.missing_secret_message(cart_name, field))
        values[field] = value
    return values


def open_connector(
    cart: CartConfig,
    *,
    timeout: httpx.Timeout | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Connector:
    """A ready connector for this cart, its secrets read from the keyring."""
    cls = connector_class(cart.kind)
    return cls(
        cart, cart_secrets(cart.name, cls.secret_fields), timeout=timeout, transport=transport
    )
