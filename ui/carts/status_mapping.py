"""The Carts dialog's Status Mapping tab: for each status label, what a status update with that
label does in this cart (ship, cancel, set one of the cart's statuses, add a note, don't send).

Each change is saved at once (``ordermanager.carts.status_map.set_mapping`` on the write thread),
like the Status Events editor, because the stack controller reads the mapping when it sends:
an operator fixing a held update's label wants the fix to count now, not after some OK button.
Only what the cart kind can do is offered, so a choice can only be refused if the store changed
underneath; that refusal is shown under the table and the row goes back to what is stored.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ordermanager.carts.status_map import (
    ACTION_TITLES,
    ActionKind,
    CartAction,
    MappingRow,
    kind_actions,
    kind_statuses,
    list_mappings,
    set_mapping,
)
from ordermanager.db.engine import Database
from ordermanager.errors import OrderManagerError
from ui.tasks import TaskManager
from ui.wizard.fields import ERROR_STYLE, hint_label

UNMAPPED_TEXT = "Not sent: updates with this label are held"
UNMAPPED_COLOUR = "#fde7e4"
NO_STATUS = "(cart's usual status)"  # an empty cart_status for actions other than SET_STATUS


class Column:
    LABEL, ACTION, STATUS, NOTIFY, SOURCE, RESET = range(6)


HEADERS = ["Label", "Cart action", "Cart status", "Notify customer", "", ""]


class StatusMappingEditor(QWidget):
    """One cart's status mapping. ``mapping_did_load`` once rows are in; ``mapping_did_save``
    after each stored change; ``mapping_did_fail`` with the message shown to the operator."""

    mapping_did_load = Signal()
    mapping_did_save = Signal(str)  # the label whose mapping changed
    mapping_did_fail = Signal(str)

    def __init__(
        self,
        database: Database,
        tasks: TaskManager,
        cart_id: int,
        kind: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("statusMappingEditor")
        self._database = database
        self._tasks = tasks
        self.cart_id = cart_id
        self.kind = kind
        self.cart_actions = [a for a in ActionKind if a in kind_actions(kind)]
        self.statuses = kind_statuses(kind)
        self._status_titles = {s.code: s.title for s in self.statuses}
        self.rows: list[MappingRow] = []
        self._filling = False

        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setObjectName("statusMappingTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(Column.ACTION, QHeaderView.ResizeMode.Stretch)
        self.note = hint_label(
            "What a status update with each label does in this cart. Changes are saved at "
            "once; updates waiting on the stack use them when they are sent. “default” is the "
            "cart kind's own choice; Reset to default takes yours back. A label without a "
            "mapping holds its updates on the stack, which matters only for labels set by "
            "status events with Notify Cart on.",
            self,
        )
        self.note.setObjectName("statusMappingNote")
        self.error_label = QLabel(self)
        self.error_label.setObjectName("statusMappingError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error_label)
        self.reload()

    # -- loading -----------------------------------------------------------------------------

    def reload(self) -> None:
        database, cart_id = self._database, self.cart_id

        def load() -> list[MappingRow]:
            with database.session() as session:
                return list_mappings(session, cart_id)

        self._tasks.run(load, self._show, self._failed, owner=self)

    def _show(self, rows: list[MappingRow]) -> None:
        self.rows = rows
        self._filling = True
        try:
            self.table.setRowCount(len(rows))
            for r, row in enumerate(rows):
                self._fill_row(r, row)
        finally:
            self._filling = False
        self.table.resizeRowsToContents()
        self.mapping_did_load.emit()

    def _fill_row(self, r: int, row: MappingRow) -> None:
        label = QTableWidgetItem(row.label)
        self.table.setItem(r, Column.LABEL, label)

        action = QComboBox(self.table)
        action.setObjectName(f"actionCombo{r}")
        for kind in self.cart_actions:
            action.addItem(ACTION_TITLES[kind], kind.value)
        action.setPlaceholderText(UNMAPPED_TEXT)
        action.setCurrentIndex(action.findData(row.action.kind.value) if row.action else -1)
        action.setToolTip(UNMAPPED_TEXT if row.action is None else "")
        self.table.setCellWidget(r, Column.ACTION, action)

        status = QComboBox(self.table)
        status.setObjectName(f"statusCombo{r}")
        self._fill_statuses(status, row.action)
        self.table.setCellWidget(r, Column.STATUS, status)

        notify = QCheckBox(self.table)
        notify.setObjectName(f"notifyCheck{r}")
        notify.setChecked(bool(row.action and row.action.notify_customer))
        notify.setEnabled(row.action is not None and row.action.kind is not ActionKind.SKIP)
        notify.setToolTip("The cart e-mails the customer, where it can")
        self.table.setCellWidget(r, Column.NOTIFY, _centred(notify, self.table))

        source = QTableWidgetItem(_source_text(row))
        source.setForeground(QBrush(QColor("#5f6368")))
        self.table.setItem(r, Column.SOURCE, source)

        reset = QPushButton("Reset to default", self.table)
        reset.setObjectName(f"resetButton{r}")
        reset.setEnabled(not row.is_default)
        reset.setAutoDefault(False)
        self.table.setCellWidget(r, Column.RESET, reset)

        colour = QBrush(QColor(UNMAPPED_COLOUR if row.action is None else "#ffffff"))
        for column in (Column.LABEL, Column.SOURCE):
            item = self.table.item(r, column)
            if item is not None:
                item.setBackground(colour)
        if row.action is None:
            label.setToolTip(UNMAPPED_TEXT)

        action.activated.connect(lambda _i, r=r: self._row_edited(r))
        status.activated.connect(lambda _i, r=r: self._row_edited(r))
        notify.toggled.connect(lambda _on, r=r: self._row_edited(r))
        reset.clicked.connect(lambda _checked=False, r=r: self._save(r, None))

    def _fill_statuses(self, combo: QComboBox, action: CartAction | None) -> None:
        combo.clear()
        needs_status = action is not None and action.kind is ActionKind.SET_STATUS
        if not needs_status:
            combo.addItem(NO_STATUS, "")
        for status in self.statuses:
            combo.addItem(status.title, status.code)
        chosen = combo.findData(action.cart_status) if action is not None else 0
        combo.setCurrentIndex(max(chosen, 0))
        combo.setEnabled(
            action is not None and action.kind is not ActionKind.SKIP and bool(self.statuses)
        )

    # -- editing -----------------------------------------------------------------------------

    def widget_at(self, r: int, column: int) -> QWidget:
        widget = self.table.cellWidget(r, column)
        assert widget is not None
        if column == Column.NOTIFY:
            found = widget.findChild(QCheckBox)
            assert found is not None
            return found
        return widget

    def action_in_row(self, r: int) -> CartAction | None:
        """What row ``r`` shows now, as an action (None while no action is chosen)."""
        action = self.widget_at(r, Column.ACTION)
        status = self.widget_at(r, Column.STATUS)
        notify = self.widget_at(r, Column.NOTIFY)
        assert isinstance(action, QComboBox) and isinstance(status, QComboBox)
        assert isinstance(notify, QCheckBox)
        if action.currentIndex() < 0:
            return None
        kind = ActionKind(action.currentData())
        code = str(status.currentData() or "")
        if kind is ActionKind.SET_STATUS and not code and self.statuses:
            code = self.statuses[0].code
        if kind is ActionKind.SKIP:
            code = ""
        return CartAction(kind, code, notify.isChecked() and kind is not ActionKind.SKIP)

    def _row_edited(self, r: int) -> None:
        if self._filling:
            return
        action = self.action_in_row(r)
        if action is not None:
            self._save(r, action)

    def _save(self, r: int, action: CartAction | None) -> None:
        database, cart_id, row = self._database, self.cart_id, self.rows[r]
        self.error_label.hide()

        def save() -> list[MappingRow]:
            with database.transaction() as session:
                set_mapping(session, cart_id, row.label_id, action)
            with database.session() as session:
                return list_mappings(session, cart_id)

        def saved(rows: list[MappingRow]) -> None:
            self._show(rows)
            self.mapping_did_save.emit(row.label)

        self._tasks.run(save, saved, self._failed, write=True, owner=self)

    def _failed(self, error: BaseException) -> None:
        detail = str(error) if isinstance(error, OrderManagerError) else f"unexpected: {error}"
        message = f"The status mapping was not changed: {detail}"
        self.error_label.setText(message)
        self.error_label.show()
        self.mapping_did_fail.emit(message)
        if self.rows:
            self._show(self.rows)  # back to what is stored


def _source_text(row: MappingRow) -> str:
    if row.action is None:
        return "no mapping"
    return "default" if row.is_default else "this cart's own"


def _centred(widget: QWidget, parent: QWidget) -> QWidget:
    holder = QWidget(parent)
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignCenter)
    return holder


def generic_note(parent: QWidget, title: str) -> QLabel:
    """What the tab says for a kind without a mapping (the generic script)."""
    label = hint_label(
        f"{title} carts have no status mapping: labels are sent as they are, and the store's "
        "script decides what each one means (docs/generic-cart-protocol.md).",
        parent,
    )
    label.setObjectName("labelsSentAsTheyAre")
    return label
