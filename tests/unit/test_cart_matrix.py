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


def test_rows__installed_kinds_from_capabilities_planned_ones_marked() -> None:
    rows = {row.kind: row for row in matrix_rows()}
    generic = rows["generic"]
    assert generic.installed and generic.capabilities == GenericConnector.capabilities
    assert generic.cells() == ["yes", "yes", "yes", "yes", "yes", "no", "no"]
    assert not rows["shopify"].installed and rows["shopify"].cells() == ["planned"] * len(COLUMNS)
    assert set(connectors()) <= set(rows)


def test_markdown__one_line_per_kind_with_every_column() -> None:
    text = render_markdown()
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(matrix_rows())
    assert all(line.count("|") == len(COLUMNS) + 3 for line in table)
    assert "| Generic (your own script) | `generic` | yes |" in text
