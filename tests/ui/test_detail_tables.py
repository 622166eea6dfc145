"""The small tables of the detail pane."""

from __future__ import annotations

from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from ui.orders.detail_tables import RecordColumn, RecordTable, RecordTableModel

COLUMNS = (RecordColumn("SKU"), RecordColumn("Item", stretch=True), RecordColumn("Qty", True))


def test_record_table_model__passes_the_qt_model_tester(
    qtbot: QtBot, qtmodeltester: ModelTester
) -> None:
    model = RecordTableModel(COLUMNS)
    model.set_rows([("MUG-1", "Mug", "2"), ("BOWL-2", "Bowl", "1")], tips=["two mugs"])
    qtmodeltester.check(model, force_py=True)
    assert model.text() == "MUG-1\tMug\t2\nBOWL-2\tBowl\t1"


def test_record_table__grows_with_its_rows(qtbot: QtBot) -> None:
    table = RecordTable(COLUMNS)
    qtbot.addWidget(table)
    table.set_rows([("A", "a", "1")])
    one = table.sizeHint().height()
    table.set_rows([("A", "a", "1")] * 4)
    assert table.sizeHint().height() == one + 3 * table.verticalHeader().defaultSectionSize()


def test_record_table__short_rows_are_padded(qtbot: QtBot) -> None:
    table = RecordTable(COLUMNS)
    qtbot.addWidget(table)
    table.set_rows([("A",)])
    assert table.record_model.index(0, 2).data() == ""
