"""Which cart kinds can take status updates. A stand-in for the connectors' capability rows
(the Shopping Cart Matrix) until the connectors exist.
"""

from __future__ import annotations

_STATUS_UPDATES: dict[str, bool] = {
    "woocommerce": True,
    "shopify": True,
    "magento2": True,
    "bigcommerce": True,
    "generic": True,
    "manual": False,
}


def can_take_status_updates(cart_kind: str) -> bool:
    """False for orders entered by hand and for any kind this version does not know."""
    return _STATUS_UPDATES.get(cart_kind.strip().lower(), False)
