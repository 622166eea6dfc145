"""Status Labels: the label list, with Add, Rename and Delete (Insert, F2, Delete).

The name field does both jobs: Insert (or Add) starts a new label, F2 (or Rename) puts the
selected label's name in it to edit. Enter saves. The core checks every name and every delete; a
name it refuses is flagged at the field with its message, a refused delete says where the label
is used. Writes run on the serial write thread, then the list is read again.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ordermanager.db.engine import Database
from ordermanager.db.models import LABEL_MAX_LENGTH
from ordermanager.errors import OrderManagerError
from ordermanager.status.labels import LabelInfo, add_label, delete_label, list_labels, rename_label
from ui.tasks import TaskManager

LabelIdRole = Qt.ItemDataRole.UserRole + 1
FIELD_ERROR_STYLE = "QLineEdit { border: 1px solid #c42b1c; border-radius: 3px; padding: 2px; }"


class _Mode(Enum):
    ADD = "add"
    RENAME = "rename"


class LabelsDialog(QDialog):
    labels_did_load = Signal()
    labels_did_change = Signal()
    # A message shown to the operator (at the field or in a box), for tests and the status bar.
    label_did_fail = Signal(str)

    def __init__(self, database: Database, tasks: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("labelsDialog")
        self.setWindowTitle("Status Labels")
        self._database = database
        self._tasks = tasks
        self._mode = _Mode.ADD
        self._renaming: tuple[int, str] | None = None  # the label being renamed: id, old name
        self._wanted_name: str | None = None  # select this label once the list is back

        self.list = QListWidget(self)
        self.list.setObjectName("labelList")
        self.list.setAlternatingRowColors(True)
        self.list.setUniformItemSizes(True)
        self.list.setStyleSheet("QListWidget::item { padding: 3px 4px; }")
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())

        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("labelName")
        self.name_edit.setMaxLength(LABEL_MAX_LENGTH + 20)  # longer names get the core's message
        self.name_edit.returnPressed.connect(self._save)
        self.name_edit.textEdited.connect(lambda _text: self._clear_error())
        self.name_error = QLabel(self)
        self.name_error.setObjectName("labelNameError")
        self.name_error.setWordWrap(True)
        self.name_error.setStyleSheet("color: #c42b1c;")
        self.name_error.hide()

        self.add_button = QPushButton("&Add", self)
        self.add_button.setToolTip("Add the name in the field as a new label (Insert)")
        self.add_button.clicked.connect(self._add_clicked)
        self.rename_button = QPushButton("&Rename", self)
        self.rename_button.setToolTip("Rename the selected label (F2)")
        self.rename_button.clicked.connect(self._rename_clicked)
        self.delete_button = QPushButton("&Delete", self)
        self.delete_button.setToolTip("Delete the selected label; a label in use is kept (Del)")
        self.delete_button.clicked.connect(self.delete_selected)
        # Delete only from the list: in the name field the key deletes characters.
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.delete_selected)
        QShortcut(QKeySequence(Qt.Key.Key_Insert), self).activated.connect(self.start_add)
        QShortcut(QKeySequence(Qt.Key.Key_F2), self).activated.connect(self.start_rename)

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        # Enter in the name field saves the name; it must not also press a default button.
        close_button = close.button(QDialogButtonBox.StandardButton.Close)
        for button in (self.add_button, self.rename_button, self.delete_button, close_button):
            button.setAutoDefault(False)
            button.setDefault(False)

        grid = QGridLayout()
        grid.addWidget(self.list, 0, 0, 4, 1)
        grid.addWidget(self.add_button, 0, 1)
        grid.addWidget(self.rename_button, 1, 1)
        grid.addWidget(self.delete_button, 2, 1)
        grid.setRowStretch(3, 1)
        self.field_label = QLabel(self)
        layout = QVBoxLayout(self)
        layout.addLayout(grid, 1)
        layout.addWidget(self.field_label)
        layout.addWidget(self.name_edit)
        layout.addWidget(self.name_error)
        layout.addWidget(close)
        self.resize(420, 460)
        self.start_add()
        self.reload()

    # -- the list ----------------------------------------------------------------------------

    def reload(self) -> None:
        def load() -> list[LabelInfo]:
            with self._database.session() as session:
                return list_labels(session)

        self._tasks.run(load, self._did_load, self._show_failure)

    def _did_load(self, labels: list[LabelInfo]) -> None:
        current = self.selected_label()
        wanted = self._wanted_name or (current[1] if current else None)
        self._wanted_name = None
        self.list.clear()
        for label in labels:
            item = QListWidgetItem(label.name, self.list)
            item.setData(LabelIdRole, label.id)
            if label.name == wanted:
                self.list.setCurrentItem(item)
        self._update_buttons()
        self.labels_did_load.emit()

    def label_names(self) -> list[str]:
        return [self.list.item(row).text() for row in range(self.list.count())]

    def selected_label(self) -> tuple[int, str] | None:
        item = self.list.currentItem()
        if item is None or not item.isSelected():
            return None
        return int(item.data(LabelIdRole)), item.text()

    def select_label(self, name: str) -> None:
        for item in self.list.findItems(name, Qt.MatchFlag.MatchExactly):
            self.list.setCurrentItem(item)

    def _update_buttons(self) -> None:
        chosen = self.selected_label() is not None
        self.rename_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)

    # -- the name field ----------------------------------------------------------------------

    def start_add(self) -> None:
        self._mode, self._renaming = _Mode.ADD, None
        self.field_label.setText("New label:")
        self.name_edit.setPlaceholderText(f"A name of up to {LABEL_MAX_LENGTH} characters")
        self.name_edit.clear()
        self._clear_error()
        self.name_edit.setFocus()

    def start_rename(self) -> None:
        chosen = self.selected_label()
        if chosen is None:
            return
        self._mode, self._renaming = _Mode.RENAME, chosen
        self.field_label.setText(f"New name for '{chosen[1]}':")
        self.name_edit.setText(chosen[1])
        self.name_edit.selectAll()
        self._clear_error()
        self.name_edit.setFocus()

    def _add_clicked(self) -> None:
        if self._mode is _Mode.ADD:
            self._save()
        else:
            self.start_add()

    def _rename_clicked(self) -> None:
        if self._mode is _Mode.RENAME and self._renaming == self.selected_label():
            self._save()
        else:
            self.start_rename()

    def _save(self) -> None:
        name = self.name_edit.text()
        if self._mode is _Mode.RENAME and self._renaming is not None:
            self.rename_label(self._renaming[1], name)
        else:
            self.add_label(name)

    def _show_error(self, message: str) -> None:
        self.name_error.setText(message)
        self.name_error.show()
        self.name_edit.setStyleSheet(FIELD_ERROR_STYLE)
        self.name_edit.setFocus()
        self.label_did_fail.emit(message)

    def _clear_error(self) -> None:
        self.name_error.clear()
        self.name_error.hide()
        self.name_edit.setStyleSheet("")

    @property
    def error_text(self) -> str:
        return self.name_error.text() if self.name_error.isVisibleTo(self) else ""

    # -- the changes -------------------------------------------------------------------------

    def add_label(self, name: str) -> None:
        def store() -> str:
            with self._database.transaction() as session:
                return add_label(session, name).name

        self._write(store, at_field=True)

    def rename_label(self, old: str, new: str) -> None:
        def store() -> str:
            with self._database.transaction() as session:
                return rename_label(session, old, new).name

        self._write(store, at_field=True)

    def delete_selected(self) -> None:
        chosen = self.selected_label()
        if chosen is None:
            return
        name = chosen[1]

        def store() -> str:
            with self._database.transaction() as session:
                delete_label(session, name)
            return ""

        self._write(store, at_field=False)

    def _write(self, store: Callable[[], str], *, at_field: bool) -> None:
        failed = self._show_error if at_field else self._show_refusal
        self._tasks.run(
            store,
            self._did_write,
            lambda error: self._failed(error, failed),
            write=True,
        )

    def _did_write(self, name: str) -> None:
        self._wanted_name = name or None
        self.start_add()
        self.labels_did_change.emit()
        self.reload()

    def _failed(self, error: BaseException, show: Callable[[str], None]) -> None:
        if isinstance(error, OrderManagerError):
            show(str(error))
        else:
            self._show_failure(error)

    def _show_refusal(self, message: str) -> None:
        self.label_did_fail.emit(message)
        QMessageBox.warning(self, "Status Labels", message)

    def _show_failure(self, error: BaseException) -> None:
        self._show_refusal(f"The label list could not be changed: {error}")
        self.reload()
