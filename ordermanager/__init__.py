"""Order Manager core: storage, orders, status events, stack and carts. Pure Python, no Qt."""

__version__ = "0.1.0"
