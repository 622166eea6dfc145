"""The Shopping Cart Matrix comes from the connectors' declared capabilities and the docs file
cannot drift from it."""

from __future__ import annotations

from ordermanager.carts.generic import GenericConnector
from ordermanager.carts.matrix import COLUMNS, DOC_PATH, matrix_rows, render_markdown
from ordermanager.carts.registry import connectors


def test_docs_file_equals_the_generated_matrix() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render_markdown(), (
        "docs/shopping-cart-matrix.md is stale: run python -m ordermanager.carts.matrix"
    )


def test_rows__every_cart_kind_from_its_connector_capabilities() -> None:
    rows = {row.kind: row for row in matrix_rows()}
    assert set(rows) == {"generic", "woocommerce", "shopify", "magento2", "bigcommerce", "vendure"}
    assert set(rows) == set(connectors())
    generic = rows["generic"]
    assert generic.capabilities == GenericConnector.capabilities
    assert generic.cells() == ["yes", "yes", "yes", "yes", "yes", "no", "no"]
    # Only Magento has invoices apart from payment.
    assert [k for k, r in rows.items() if r.capabilities.invoices] == ["magento2"]


def test_markdown__one_line_per_kind_with_every_column() -> None:
    text = render_markdown()
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(matrix_rows())
    assert all(line.count("|") == len(COLUMNS) + 3 for line in table)
    assert "| Generic (your own script) | `generic` | yes |" in text
