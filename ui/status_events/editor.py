"""The Status Events editor: what each event does, changed in place, with Undo.

Every change is written at once (in the background, on the serial write thread) and then the
stored rows are read back, so the table always shows what the store holds. Undo (Ctrl+Z) puts
back the previous value of the last changes. ``StatusEventsEditor`` is a plain widget so the Store
Setup Wizard can show it too; ``StatusEventsDialog`` is the window behind Setup ▸ Status Events….
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ordermanager.db.engine import Database
from ordermanager.errors import OrderManagerError
from ordermanager.status.defaults import changed_events, load_defaults
from ordermanager.status.events import Assignment, list_assignments, set_assignment
from ordermanager.status.labels import list_labels
from ui.status_events.labels_dialog import LabelsDialog
from ui.status_events.model import (
    FIELDS,
    HEADERS,
    NONE_TEXT,
    Column,
    FieldValue,
    LabelChoicesRole,
    StatusEventsModel,
    field_value,
)
from ui.tasks import TaskManager

_AnyIndex = QModelIndex | QPersistentModelIndex
MAX_WARNING_LINES = 4
Loaded = tuple[list[Assignment], list[str]]


class LabelComboDelegate(QStyledItemDelegate):
    """A drop-down of the label list (with "(none)") for the two status columns. Choosing an
    entry commits it at once; there is no separate "apply"."""

    def createEditor(
        self, parent: QWidget, _option: QStyleOptionViewItem, index: _AnyIndex
    ) -> QWidget:
        combo = QComboBox(parent)
        combo.setObjectName("labelCombo")
        combo.addItem(NONE_TEXT, "")
        for name in index.data(LabelChoicesRole) or []:
            combo.addItem(name, name)
        combo.activated.connect(partial(self._chosen, combo))
        # Open the list at once: one click (or F2) to choose, and arrow keys move in the list
        # instead of committing a label per key press.
        QTimer.singleShot(0, combo, combo.showPopup)
        return combo

    def setEditorData(self, editor: QWidget, index: _AnyIndex) -> None:
        assert isinstance(editor, QComboBox)
        found = editor.findData(index.data(Qt.ItemDataRole.EditRole) or "")
        editor.setCurrentIndex(max(found, 0))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: _AnyIndex) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData() or "", Qt.ItemDataRole.EditRole)

    def _chosen(self, combo: QComboBox, _row: int) -> None:
        self.commitData.emit(combo)
        self.closeEditor.emit(combo, QStyledItemDelegate.EndEditHint.NoHint)


class AssignmentCommand(QUndoCommand):
    """One change of one event; redo writes the new value, undo writes the old one back."""

    def __init__(
        self,
        editor: StatusEventsEditor,
        text: str,
        key: str,
        field: str,
        old: FieldValue,
        new: FieldValue,
    ) -> None:
        super().__init__(text)
        self._editor = editor
        self._key = key
        self._field = field
        self._old = old
        self._new = new

    def redo(self) -> None:
        self._editor.write(self._key, self._field, self._new)

    def undo(self) -> None:
        self._editor.write(self._key, self._field, self._old)


class StatusEventsEditor(QWidget):
    assignments_did_load = Signal()
    assignment_did_change = Signal(str)  # event key, after the write and the read back
    defaults_did_load = Signal()
    editor_did_fail = Signal(str)

    def __init__(self, database: Database, tasks: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("statusEventsEditor")
        self._database = database
        self._tasks = tasks
        self._generation = 0
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(50)

        self.model = StatusEventsModel(self)
        self.model.change_requested.connect(self._change_requested)
        self.view = self._build_view()

        self.warning_label = QLabel(self)
        self.warning_label.setObjectName("suppressionWarning")
        self.warning_label.setWordWrap(True)
        self.warning_label.setTextFormat(Qt.TextFormat.PlainText)
        self.warning_label.setStyleSheet(
            "QLabel { background: #fff4ce; color: #5c4400; border: 1px solid #e6c65c;"
            " border-radius: 4px; padding: 6px 8px; }"
        )
        self.warning_label.hide()

        self.labels_button = QPushButton("Enter Statuses…", self)
        self.labels_button.setToolTip("Add, rename or delete status labels")
        self.labels_button.clicked.connect(self.open_labels)
        self.defaults_button = QPushButton("Load Default Status Events", self)
        self.defaults_button.clicked.connect(self.load_defaults)
        self.undo_button = QPushButton("Undo", self)
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self.undo_stack.undo)
        self.undo_stack.canUndoChanged.connect(self.undo_button.setEnabled)
        self.undo_stack.undoTextChanged.connect(
            lambda text: self.undo_button.setToolTip(f"Undo {text} (Ctrl+Z)" if text else "")
        )
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.undo_action)

        buttons = QHBoxLayout()
        buttons.addWidget(self.labels_button)
        buttons.addWidget(self.defaults_button)
        buttons.addStretch(1)
        buttons.addWidget(self.undo_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.warning_label)
        layout.addLayout(buttons)
        self.reload()

    def _build_view(self) -> QTableView:
        view = QTableView(self)
        view.setObjectName("statusEventsTable")
        view.setModel(self.model)
        delegate = LabelComboDelegate(view)
        view.setItemDelegateForColumn(Column.ITEM_STATUS, delegate)
        view.setItemDelegateForColumn(Column.ORDER_STATUS, delegate)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.SelectedClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        view.verticalHeader().setVisible(False)
        view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 12)
        header = view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(Column.EVENT, QHeaderView.ResizeMode.Stretch)
        for column in (Column.ITEM_STATUS, Column.ORDER_STATUS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, 180)
        for column in (Column.NOTIFY_CART, Column.ENABLED):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        return view

    # -- reading -----------------------------------------------------------------------------

    def reload(self) -> None:
        self._read(self._did_load)

    def _read(self, then: Callable[[Loaded], None]) -> None:
        """Read the stored rows; an answer overtaken by a later read is dropped, so quick
        changes in a row never end with an older state on screen."""
        self._generation += 1
        generation = self._generation

        def arrived(loaded: Loaded) -> None:
            if generation == self._generation:
                then(loaded)

        self._tasks.run(self._load, arrived, self._did_fail, owner=self)

    def _load(self) -> Loaded:
        with self._database.session() as session:
            return list_assignments(session), [label.name for label in list_labels(session)]

    def _did_load(self, loaded: Loaded) -> None:
        rows, labels = loaded
        self.model.set_assignments(rows, labels)
        self._show_suppressions()
        self.assignments_did_load.emit()

    def _show_suppressions(self) -> None:
        found = self.model.suppressions()
        self.warning_label.setVisible(bool(found))
        lines = [f"⚠ {warning.message}" for warning in found[:MAX_WARNING_LINES]]
        if len(found) > MAX_WARNING_LINES:
            lines.append(
                f"… and {len(found) - MAX_WARNING_LINES} more: hover over an event marked ⚠."
            )
        self.warning_label.setText("\n".join(lines))

    # -- writing -----------------------------------------------------------------------------

    def _change_requested(self, key: str, field: str, new: FieldValue) -> None:
        row = self.model.row_of(key)
        if row is None:
            return
        column = next(c for c, name in FIELDS.items() if name == field)
        assignment = self.model.assignment(row)
        old = field_value(assignment, column)
        text = f"{assignment.event.name}: {HEADERS[column]}"
        self.undo_stack.push(AssignmentCommand(self, text, key, field, old, new))

    def write(self, key: str, field: str, value: FieldValue) -> None:
        """Store one field of one event, then show the stored rows again."""

        def store() -> str:
            with self._database.transaction() as session:
                set_assignment(session, key, **{field: value})  # type: ignore[arg-type]
            return key

        self._tasks.run(store, self._did_write, self._did_fail, write=True)

    def _did_write(self, key: str) -> None:
        def after(loaded: Loaded) -> None:
            self._did_load(loaded)
            self.assignment_did_change.emit(key)

        self._read(after)

    def _did_fail(self, error: BaseException) -> None:
        message = str(error) if isinstance(error, OrderManagerError) else f"Not saved: {error}"
        self.editor_did_fail.emit(message)
        QMessageBox.warning(self, "Status Events", message)
        self.reload()

    # -- buttons -----------------------------------------------------------------------------

    def open_labels(self) -> None:
        dialog = LabelsDialog(self._database, self._tasks, self)
        dialog.finished.connect(lambda _result: self.reload())
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def load_defaults(self) -> None:
        """Ask first when the store's own choices would be overwritten, then load."""

        def check() -> list[str]:
            with self._database.session() as session:
                return changed_events(session)

        self._tasks.run(check, self._confirm_defaults, self._did_fail)

    def _confirm_defaults(self, changed: list[str]) -> None:
        if changed:
            more = f" and {len(changed) - 8} more" if len(changed) > 8 else ""
            shown = ", ".join(changed[:8]) + more
            answer = QMessageBox.question(
                self,
                "Load Default Status Events",
                f"Loading the default status events replaces your settings for {shown}.\n\n"
                "Load the defaults anyway? This cannot be undone.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return

        def store() -> int:
            with self._database.transaction() as session:
                return load_defaults(session, force=True)

        self._tasks.run(store, self._defaults_loaded, self._did_fail, write=True)

    def _defaults_loaded(self, _count: int) -> None:
        self.undo_stack.clear()  # the old values are gone; undoing one field would mislead

        def after(loaded: Loaded) -> None:
            self._did_load(loaded)
            self.defaults_did_load.emit()

        self._read(after)


class StatusEventsDialog(QDialog):
    """Setup ▸ Status Events…: the editor in a window of its own."""

    def __init__(self, database: Database, tasks: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("statusEventsDialog")
        self.setWindowTitle("Status Events")
        intro = QLabel(
            "What each event does when it fires: the label it gives the items and the order, "
            "and whether the new status is sent to the cart (Notify Cart). Changes are saved at "
            "once; Ctrl+Z undoes the last ones.",
            self,
        )
        intro.setWordWrap(True)
        self.editor = StatusEventsEditor(database, tasks, self)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        # Enter belongs to the table (open a drop-down, pick a label), never to "Close".
        editor = self.editor
        for button in (
            close.button(QDialogButtonBox.StandardButton.Close),
            editor.labels_button,
            editor.defaults_button,
            editor.undo_button,
        ):
            button.setAutoDefault(False)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.editor, 1)
        layout.addWidget(close)
        self.resize(820, 640)
