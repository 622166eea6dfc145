"""Which cart kinds can take status updates: the installed connectors' capability rows (the
Shopping Cart Matrix), so firing never queues an update no connector could send.
"""

from __future__ import annotations

# Orders entered by hand have no cart to tell.
_NEVER = frozenset({"manual"})


def can_take_status_updates(cart_kind: str) -> bool:
    """False for orders entered by hand and for any kind this version has no connector for."""
    from ordermanager.carts.registry import connectors

    kind = cart_kind.strip().lower()
    if kind in _NEVER:
        return False
    cls = connectors().get(kind)
    return cls is not None and cls.capabilities.status_updates
