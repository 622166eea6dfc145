"""The Status Labels dialog on a real store: add, rename, delete, and the core's refusals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ordermanager.db.engine import Database
from ordermanager.db.models import StatusLabel
from ui.status_events import labels_dialog as labels_dialog_module
from ui.status_events.labels_dialog import LabelsDialog
from ui.tasks import TaskManager


def stored_names(database: Database) -> list[str]:
    with database.session() as session:
        return list(session.execute(select(StatusLabel.name).order_by(StatusLabel.id)).scalars())


@pytest.fixture
def dialog(qtbot: QtBot, writable_store: Database, tasks: TaskManager) -> Iterator[LabelsDialog]:
    shown = LabelsDialog(writable_store, tasks)
    qtbot.addWidget(shown)
    with qtbot.waitSignal(shown.labels_did_load):
        shown.show()
    yield shown
    shown.close()


def type_name(qtbot: QtBot, dialog: LabelsDialog, text: str) -> None:
    dialog.name_edit.clear()
    if text.isascii():
        qtbot.keyClicks(dialog.name_edit, text)
    else:  # QTest types Latin-1 only
        dialog.name_edit.setText(text)


def test_add__stores_the_label_and_lists_it(
    qtbot: QtBot, dialog: LabelsDialog, writable_store: Database
) -> None:
    name = 'Wartet auf „Lieferant" — 待機'
    type_name(qtbot, dialog, name)
    with qtbot.waitSignal(dialog.labels_did_load):
        QTest.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert name in stored_names(writable_store)
    assert name in dialog.label_names()
    assert dialog.isVisible()  # Enter saved the name; it did not close the dialog
    assert dialog.selected_label() is not None
    assert dialog.selected_label()[1] == name  # type: ignore[index]
    assert dialog.name_edit.text() == ""


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "A status label needs a name."),
        ("x" * 51, "at most 50 characters"),
        ("Backordered", "There is already a status label 'Backordered'."),
    ],
)
def test_add__a_bad_name_is_flagged_at_the_field(
    qtbot: QtBot, dialog: LabelsDialog, writable_store: Database, name: str, message: str
) -> None:
    before = stored_names(writable_store)
    type_name(qtbot, dialog, name)
    with qtbot.waitSignal(dialog.label_did_fail) as failed:
        dialog.add_button.click()
    assert message in failed.args[0]
    assert message in dialog.error_text
    assert dialog.name_edit.text() == name  # kept, to correct
    assert stored_names(writable_store) == before
    qtbot.keyClicks(dialog.name_edit, "!")
    assert dialog.error_text == ""  # typing clears the flag


def test_f2_rename__renames_in_place(
    qtbot: QtBot, dialog: LabelsDialog, writable_store: Database
) -> None:
    dialog.select_label("Backordered")
    dialog.list.setFocus()
    QTest.keyClick(dialog.list, Qt.Key.Key_F2)
    assert dialog.name_edit.text() == "Backordered"
    type_name(qtbot, dialog, "Back-ordered (supplier)")
    with qtbot.waitSignal(dialog.labels_did_load):
        dialog.rename_button.click()
    names = stored_names(writable_store)
    assert "Back-ordered (supplier)" in names
    assert "Backordered" not in names
    assert dialog.selected_label()[1] == "Back-ordered (supplier)"  # type: ignore[index]


def test_rename__to_an_existing_name_is_flagged(
    qtbot: QtBot, dialog: LabelsDialog, writable_store: Database
) -> None:
    dialog.select_label("Backordered")
    dialog.rename_button.click()
    type_name(qtbot, dialog, "Cancelled")
    with qtbot.waitSignal(dialog.label_did_fail):
        QTest.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert "There is already a status label 'Cancelled'." in dialog.error_text
    assert stored_names(writable_store).count("Cancelled") == 1
    assert "Backordered" in stored_names(writable_store)


def test_delete_key__deletes_an_unused_label(
    qtbot: QtBot, dialog: LabelsDialog, writable_store: Database
) -> None:
    type_name(qtbot, dialog, "Spare")
    with qtbot.waitSignal(dialog.labels_did_load):
        dialog.add_button.click()
    dialog.select_label("Spare")
    dialog.list.setFocus()
    with qtbot.waitSignal(dialog.labels_did_load):
        QTest.keyClick(dialog.list, Qt.Key.Key_Delete)
    assert "Spare" not in stored_names(writable_store)
    assert "Spare" not in dialog.label_names()


def test_delete__a_label_in_use_is_refused_with_where_it_is_used(
    qtbot: QtBot,
    dialog: LabelsDialog,
    writable_store: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(
        labels_dialog_module.QMessageBox,
        "warning",
        lambda _parent, _title, text, *args: shown.append(text),
    )
    dialog.select_label("Backordered")
    with qtbot.waitSignal(dialog.label_did_fail):
        dialog.delete_button.click()
    assert len(shown) == 1
    assert "cannot be deleted" in shown[0]
    assert "order" in shown[0] and "line item" in shown[0]
    assert "Backordered" in stored_names(writable_store)


def test_insert_key__leaves_a_rename_for_a_new_label(qtbot: QtBot, dialog: LabelsDialog) -> None:
    dialog.select_label("Cancelled")
    dialog.list.setFocus()
    QTest.keyClick(dialog.list, Qt.Key.Key_F2)
    assert dialog.name_edit.text() == "Cancelled"
    QTest.keyClick(dialog.name_edit, Qt.Key.Key_Insert)
    assert dialog.name_edit.text() == ""
    assert dialog.field_label.text() == "New label:"
    assert dialog.name_edit.hasFocus()
