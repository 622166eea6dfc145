"""The demo store: realistic carts, orders, payments and shipments in any quantity, for trying
Order Manager without a real cart and for benchmarking it at a million orders."""

from ordermanager.demo.generator import MAX_ORDERS, DemoResult, generate_demo_store

__all__ = ["MAX_ORDERS", "DemoResult", "generate_demo_store"]
