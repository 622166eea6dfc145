"""Stack Controller Status (Ctrl+Shift+S): is anything sending, what is waiting, and what failed.

The top half is the controller's health; the bottom half lists the records on the stack, with
Retry Now (Ctrl+R), Hold (Ctrl+H) and Discard… (Delete, confirmed and logged) for the selected ones.
Start / Pause act on this app's own controller (Local and Shared modes). Everything shown comes from
the database through the StackMonitor, so the window tells the truth for every workstation.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ordermanager.db.engine import Database
from ordermanager.stack import records as stack_records
from ordermanager.stack.records import StackOverview, StackRecordView
from ui.formatting import count
from ui.stack.health import describe
from ui.stack.monitor import StackMonitor
from ui.stack.records_model import RecordIdRole, StackRecordsModel
from ui.stack.runner import RunnerState, StackControllerRunner
from ui.tasks import TaskManager

WARNING_STYLE = "color: #a4262c; font-weight: 600;"


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


class StackStatusWindow(QDialog):
    # An operator action (retry / hold / discard) finished: its message, for tests and the bar.
    action_did_finish = Signal(str)

    def __init__(
        self,
        database: Database,
        tasks: TaskManager,
        monitor: StackMonitor,
        runner: StackControllerRunner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("stackStatusWindow")
        self.setWindowTitle("Stack Controller Status")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self._database = database
        self._tasks = tasks
        self._monitor = monitor
        self._runner = runner
        self._by = _operator()

        self.headline = QLabel(self)
        self.headline.setObjectName("stackHeadline")
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.headline.setFont(font)

        self.start_button = QPushButton("&Start", self)
        self.pause_button = QPushButton("&Pause", self)
        self.start_button.clicked.connect(runner.start)
        self.pause_button.clicked.connect(runner.pause)
        top = QHBoxLayout()
        top.addWidget(self.headline, 1)
        top.addWidget(self.start_button)
        top.addWidget(self.pause_button)

        health_box = QGroupBox("Health", self)
        # Two columns of figures, each its own grid, so a long error on the right does not
        # stretch the rows on the left.
        columns = QHBoxLayout(health_box)
        self._grids = (QGridLayout(), QGridLayout())
        for grid in self._grids:
            grid.setHorizontalSpacing(12)
            grid.setAlignment(Qt.AlignmentFlag.AlignTop)
            columns.addLayout(grid, 1)
        self._values: dict[str, QLabel] = {}

        self.model = StackRecordsModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("stackRecords")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        self.held_only = QCheckBox("Show only records on &hold", self)
        self.held_only.toggled.connect(self._held_only_toggled)
        self.records_caption = QLabel(self)
        self.retry_button = QPushButton("&Retry Now", self)
        self.hold_button = QPushButton("Hol&d", self)
        self.discard_button = QPushButton("D&iscard…", self)
        self.retry_button.setToolTip("Send the selected records again now (Ctrl+R)")
        self.hold_button.setToolTip("Keep the selected records until an operator retries (Ctrl+H)")
        self.discard_button.setToolTip(
            "Remove the selected records from the stack without sending them (Delete)"
        )
        self.retry_button.clicked.connect(self.retry_selected)
        self.hold_button.clicked.connect(self.hold_selected)
        self.discard_button.clicked.connect(self.discard_selected)
        for keys, slot in (
            ("Ctrl+R", self.retry_selected),
            ("Ctrl+H", self.hold_selected),
            (QKeySequence.StandardKey.Delete, self.discard_selected),
        ):
            QShortcut(QKeySequence(keys), self.table, slot)

        record_bar = QHBoxLayout()
        record_bar.addWidget(self.records_caption, 1)
        record_bar.addWidget(self.held_only)
        self.message = QLabel(self)
        self.message.setObjectName("stackActionMessage")
        self.message.setWordWrap(True)
        actions = QHBoxLayout()
        actions.addWidget(self.message, 1)
        for button in (self.retry_button, self.hold_button, self.discard_button):
            actions.addWidget(button)
        close = QPushButton("Close", self)
        close.clicked.connect(self.close)
        actions.addSpacing(18)
        actions.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(health_box)
        layout.addLayout(record_bar)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)

        monitor.overview_changed.connect(self._show_overview)
        monitor.records_changed.connect(self._show_records)
        runner.state_changed.connect(lambda _state: self._show_overview(monitor.overview))
        self._show_overview(monitor.overview)
        self._show_records(monitor.records)
        self.resize(980, 640)

    # -- showing -------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        self._monitor.watch_records(True)
        super().showEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._monitor.watch_records(False)
        super().closeEvent(event)

    def done(self, result: int) -> None:  # Esc and Close both end here
        if self.isVisible():
            self._monitor.watch_records(False)
        super().done(result)

    def _show_overview(self, overview: StackOverview | None) -> None:
        state: RunnerState = self._runner.state
        health = describe(state, overview)
        self.headline.setText(health.summary)
        self.headline.setStyleSheet(WARNING_STYLE if health.warning else "")
        for row, (name, value) in enumerate(health.figures):
            label = self._values.get(name)
            if label is None:
                caption = QLabel(f"{name}:", self)
                caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
                label = QLabel(self)
                label.setObjectName(f"figure{name.title().replace(' ', '')}")
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                label.setWordWrap(True)
                half = (len(health.figures) + 1) // 2
                grid = self._grids[0 if row < half else 1]
                grid.addWidget(caption, row % half, 0)
                grid.addWidget(label, row % half, 1)
                grid.setColumnStretch(1, 1)
                self._values[name] = label
            label.setText(value)
            warn = (name == "On hold" and value != "0") or (
                name == "Controller" and health.state == "stopped"
            )
            label.setStyleSheet(WARNING_STYLE if warn else "")
        own = state.mode in ("local", "shared") and not state.problem
        self.start_button.setEnabled(own and state.state in ("stopped", "paused"))
        self.pause_button.setEnabled(own and state.state not in ("stopped", "paused"))
        if state.mode == "external":
            tip = "An external stack controller sends the updates; start or stop that service."
        else:
            tip = ""
        self.start_button.setToolTip(tip)
        self.pause_button.setToolTip(tip)

    def _held_only_toggled(self, on: bool) -> None:
        self.model.set_held_only(on)
        self._update_buttons()

    def _show_records(self, records: list[StackRecordView]) -> None:
        chosen = set(self.selected_ids())
        self.model.set_records(records)
        held = sum(1 for r in records if r.state == "held")
        caption = count(len(records), "record") + " on the stack"
        if held:
            caption += f", {held:,} on hold"
        self.records_caption.setText(caption)
        selection = self.table.selectionModel()
        for row in range(self.model.rowCount()):
            index = self.model.index(row, 0)
            if index.data(RecordIdRole) in chosen:
                selection.select(
                    index,
                    selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
                )
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = bool(self.selected_ids())
        for button in (self.retry_button, self.hold_button, self.discard_button):
            button.setEnabled(chosen)

    def selected_ids(self) -> list[int]:
        rows = self.table.selectionModel().selectedRows()
        return [int(index.data(RecordIdRole)) for index in rows]

    # -- acting --------------------------------------------------------------------------------

    def retry_selected(self) -> None:
        self._act(
            "retried",
            lambda record_id: stack_records.retry_now(self._database, record_id, actor=self._by),
        )

    def hold_selected(self) -> None:
        self._act(
            "put on hold",
            lambda record_id: stack_records.hold_record(self._database, record_id, actor=self._by),
        )

    def discard_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        answer = QMessageBox.warning(
            self,
            "Discard status updates",
            f"Discard {count(len(ids), 'status update')}? The cart will never hear about "
            "these label changes. The discard is written to the log.",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Discard:
            return
        self._act(
            "discarded",
            lambda record_id: stack_records.discard(self._database, record_id, actor=self._by),
            ids,
        )

    def _act(self, done: str, act: Callable[[int], None], ids: list[int] | None = None) -> None:
        chosen = ids if ids is not None else self.selected_ids()
        if not chosen:
            return

        def run() -> list[str]:
            problems = []
            for record_id in chosen:
                try:
                    act(record_id)
                except Exception as exc:  # one gone record must not stop the others
                    problems.append(f"Record {record_id}: {exc}")
            return problems

        def finished(problems: list[str]) -> None:
            message = f"{count(len(chosen) - len(problems), 'record')} {done}."
            if problems:
                message += " " + " ".join(problems)
            self.message.setText(message)
            self.message.setStyleSheet(WARNING_STYLE if problems else "")
            self.action_did_finish.emit(message)
            self._monitor.refresh()

        self._tasks.run(run, finished, write=True, owner=self)
