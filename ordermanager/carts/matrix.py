"""The Shopping Cart Matrix: every cart kind against what Order Manager can do with it.

Generated from the installed connectors' declared capabilities, so the table (in the app and in
docs/shopping-cart-matrix.md) cannot drift from the code. ``python -m ordermanager.carts.matrix``
rewrites the docs file; a test checks that it equals ``render_markdown()``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from ordermanager.carts.protocol import Capabilities
from ordermanager.carts.registry import connectors

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
    capabilities: Capabilities

    def cells(self) -> list[str]:
        return ["yes" if getattr(self.capabilities, key) else "no" for key, _ in COLUMNS]


def matrix_rows() -> list[MatrixRow]:
    """One row per installed connector, by title."""
    return [
        MatrixRow(kind, cls.title, cls.capabilities)
        for kind, cls in sorted(connectors().items(), key=lambda item: item[1].title.lower())
    ]


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
        "- **Status updates** follow each cart's [status mapping](status-mapping.md); how each",
        "  kind is set up and what its default mapping does is in [carts/](carts/).",
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
