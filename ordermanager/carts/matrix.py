"""The Shopping Cart Matrix: every cart kind against what Order Manager can do with it.

Generated from the installed connectors' declared capabilities, plus rows for kinds that are
planned but not installed yet, so the table (in the app and in docs/shopping-cart-matrix.md) cannot
drift from the code. ``python -m ordermanager.carts.matrix`` rewrites the docs file; a test checks
that it equals ``render_markdown()``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from ordermanager.carts.protocol import Capabilities
from ordermanager.carts.registry import connectors

# Kinds on the roadmap (issue 5) that have no connector yet: kind -> title.
PLANNED: dict[str, str] = {
    "woocommerce": "WooCommerce",
    "shopify": "Shopify",
    "magento2": "Magento 2",
    "bigcommerce": "BigCommerce",
    "vendure": "Vendure",
}

COLUMNS: tuple[tuple[str, str], ...] = (
    ("order_download", "Order download"),
    ("status_updates", "Status updates"),
    ("tracking_numbers", "Tracking numbers"),
    ("cancel", "Cancel"),
    ("partial_shipment", "Partial shipment"),
    ("inventory", "Inventory"),
    ("invoices", "Separate invoices"),
)

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "shopping-cart-matrix.md"


@dataclass(frozen=True)
class MatrixRow:
    kind: str
    title: str
    installed: bool
    capabilities: Capabilities | None  # None: not installed yet

    def cells(self) -> list[str]:
        if self.capabilities is None:
            return ["planned"] * len(COLUMNS)
        return ["yes" if getattr(self.capabilities, key) else "no" for key, _ in COLUMNS]


def matrix_rows() -> list[MatrixRow]:
    """Installed kinds first (by title), then the planned ones."""
    installed = connectors()
    rows = [
        MatrixRow(kind, cls.title, True, cls.capabilities)
        for kind, cls in sorted(installed.items(), key=lambda item: item[1].title.lower())
    ]
    rows += [
        MatrixRow(kind, title, False, None)
        for kind, title in PLANNED.items()
        if kind not in installed
    ]
    return rows


def render_markdown() -> str:
    header = ["Cart", "Kind", *[title for _, title in COLUMNS]]
    lines = [
        "# Shopping Cart Matrix",
        "",
        "What Order Manager can do with each kind of cart. Generated from the connectors' declared",
        "capabilities by `python -m ordermanager.carts.matrix`; do not edit by hand.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in matrix_rows():
        lines.append("| " + " | ".join([row.title, f"`{row.kind}`", *row.cells()]) + " |")
    lines += [
        "",
        "- **planned**: the kind is on the roadmap; its connector is not installed yet.",
        "- **Separate invoices**: the cart has invoices apart from payment (Magento). On the other",
        '  carts "invoiced" means paid, so the Wait-For-Invoice download mode waits for payment.',
        "- The generic kind is a store's own script speaking the documented",
        "  [generic cart protocol](generic-cart-protocol.md).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    DOC_PATH.write_text(render_markdown(), encoding="utf-8")
    print(f"Wrote {DOC_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
