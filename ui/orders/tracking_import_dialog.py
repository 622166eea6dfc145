"""Import Tracking…: pick a CSV file, see what will import and which rows are bad, then import.

The preview is the core's ``preview_tracking`` (read off the GUI thread): the good rows in one
table, the bad rows by line number with the reason in another. Import runs the core's
``import_tracking`` on the write thread with a progress bar; Cancel stops after the current chunk
and keeps what is done. The summary stays in the dialog, so the operator can read it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ordermanager.db.engine import Database
from ordermanager.errors import OrderManagerError
from ordermanager.orders.tracking_import import (
    RowError,
    TrackingImportResult,
    TrackingPreview,
    TrackingRow,
    import_tracking,
    preview_tracking,
)
from ui.formatting import count
from ui.orders.action_dialogs import ERROR_STYLE, error_label, show_error
from ui.tasks import ProgressRelay, TaskManager

INTRO = (
    "Choose a CSV file with a header row naming an order column (Order or Order Number), a "
    "tracking column (Tracking or Tracking Number) and optionally Carrier. Each order's numbers "
    "are recorded and fire Tracking Number Imported once."
)


def _table(parent: QWidget, name: str, headers: Sequence[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    header = table.horizontalHeader()
    for column in range(len(headers)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: Sequence[Sequence[str]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            cell = QTableWidgetItem(value)
            if c == 0:  # the line number
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, cell)


def _sentence(message: str) -> str:
    """The core's row messages start in lower case (they follow "line N:" in the CLI)."""
    return message[:1].upper() + message[1:]


class TrackingImportDialog(QDialog):
    preview_did_load = Signal(object)  # the TrackingPreview, or None when the file was refused
    import_did_finish = Signal(object)  # the TrackingImportResult

    def __init__(
        self,
        database: Database,
        tasks: TaskManager,
        *,
        changed_by: str = "",
        imported: Callable[[], None] = lambda: None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("trackingImportDialog")
        self.setWindowTitle("Import Tracking Numbers")
        self._database = database
        self._tasks = tasks
        self._changed_by = changed_by
        self._imported = imported
        self._path: Path | None = None
        self._relay: ProgressRelay | None = None
        self.preview: TrackingPreview | None = None
        self.import_result: TrackingImportResult | None = None

        intro = QLabel(INTRO, self)
        intro.setWordWrap(True)
        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("csvPath")
        self.path_edit.setPlaceholderText("The CSV file with the tracking numbers")
        self.path_edit.returnPressed.connect(lambda: self.load(Path(self.path_edit.text())))
        self.browse_button = QPushButton("&Choose File…", self)
        self.browse_button.clicked.connect(self._choose)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        self.file_error = error_label(self, "fileError")

        self.summary = QLabel(self)
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.good_title = QLabel("<b>Will import</b>", self)
        self.good_table = _table(self, "goodRows", ("Line", "Order", "Tracking number", "Carrier"))
        self.bad_title = QLabel("<b>Skipped: rows with a problem</b>", self)
        self.bad_title.setStyleSheet(ERROR_STYLE)
        self.bad_table = _table(self, "badRows", ("Line", "Problem"))
        self.progress = QProgressBar(self)
        self.progress.setObjectName("importProgress")
        self.progress.hide()

        self.buttons = QDialogButtonBox(self)
        self.import_button = self.buttons.addButton(
            "&Import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setEnabled(False)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.import_button.clicked.connect(self.start_import)
        self.close_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(path_row)
        layout.addWidget(self.file_error)
        layout.addWidget(self.summary)
        layout.addWidget(self.good_title)
        layout.addWidget(self.good_table, 1)
        layout.addWidget(self.bad_title)
        layout.addWidget(self.bad_table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        self._show_preview(None)
        self.resize(760, 640)

    # -- choosing and previewing ---------------------------------------------------------------

    def _choose(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileName(
            self, "Import Tracking Numbers", "", "CSV files (*.csv *.txt);;All files (*)"
        )
        if chosen:
            self.load(Path(chosen))

    def load(self, path: Path) -> None:
        """Preview ``path`` in the background; ``preview_did_load`` tells when it is shown."""
        if self._relay is not None:
            return
        self._path = path
        self.path_edit.setText(str(path))
        self.import_button.setEnabled(False)
        self.summary.setText("Reading the file…")
        database = self._database

        def read() -> TrackingPreview:
            with database.session() as session:
                return preview_tracking(session, path)

        self._tasks.run(read, self._previewed, self._refused, owner=self)

    def _previewed(self, preview: TrackingPreview) -> None:
        show_error(self.file_error, "")
        self._show_preview(preview)
        self.preview_did_load.emit(preview)

    def _refused(self, error: BaseException) -> None:
        # A file the core cannot use (not CSV, no header, empty) says why in one line; anything
        # else is unexpected but still no traceback for the operator.
        message = str(error) if isinstance(error, OrderManagerError) else f"{error}"
        show_error(self.file_error, message or "This file cannot be read.")
        self._show_preview(None)
        self.preview_did_load.emit(None)

    def _show_preview(self, preview: TrackingPreview | None) -> None:
        self.preview = preview
        rows: list[TrackingRow] = preview.rows if preview else []
        errors: list[RowError] = preview.errors if preview else []
        _fill(self.good_table, [(f"{r.line}", r.order, r.tracking, r.carrier) for r in rows])
        _fill(self.bad_table, [(f"{e.line}", _sentence(e.message)) for e in errors])
        self.bad_title.setVisible(bool(errors))
        self.bad_table.setVisible(bool(errors))
        if preview is None:
            self.summary.setText("")
        else:
            orders = len({r.order_id for r in rows})
            text = (
                f"{count(len(rows), 'tracking number')} for {count(orders, 'order')} will import."
            )
            if errors:
                text += f" {count(len(errors), 'row')} with a problem will be skipped."
            if not rows:
                text = "Nothing in this file can be imported." + (
                    f" {count(len(errors), 'row')} with a problem." if errors else ""
                )
            self.summary.setText(text)
        self.import_button.setEnabled(bool(rows))

    # -- importing ----------------------------------------------------------------------------

    def start_import(self) -> None:
        if self._path is None or self.preview is None or not self.preview.rows:
            return
        relay = ProgressRelay(self)
        self._relay = relay
        relay.progress_changed.connect(self._progressed)
        self.import_button.setEnabled(False)
        self.browse_button.setEnabled(False)
        self.path_edit.setEnabled(False)
        self.progress.setRange(0, 0)  # busy until the first report gives the total
        self.progress.show()
        self.summary.setText("Importing…")
        path, database, by = self._path, self._database, self._changed_by

        def work() -> TrackingImportResult:
            return import_tracking(
                database,
                path,
                changed_by=by,
                progress=relay.report,
                is_cancelled=relay.is_cancelled,
            )

        self._tasks.run(work, self._finished, self._failed, write=True, owner=self)

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _finished(self, result: TrackingImportResult) -> None:
        self._end_import()
        self.import_result = result
        orders = len({r.order_id for r in result.imported})
        text = (
            f"Imported {count(len(result.imported), 'tracking number')} for "
            f"{count(orders, 'order')}."
        )
        if result.errors:
            text += f" {count(len(result.errors), 'row')} skipped (listed below)."
        if result.cancelled:
            text += " Cancelled before the end: the rest was not imported."
        self.summary.setText(text)
        _fill(
            self.good_table,
            [(f"{r.line}", r.order, r.tracking, r.carrier) for r in result.imported],
        )
        self.good_title.setText("<b>Imported</b>")
        _fill(self.bad_table, [(f"{e.line}", _sentence(e.message)) for e in result.errors])
        self.bad_title.setVisible(bool(result.errors))
        self.bad_table.setVisible(bool(result.errors))
        self._imported()
        self.import_did_finish.emit(result)

    def _failed(self, error: BaseException) -> None:
        self._end_import()
        self.summary.setText("")
        show_error(self.file_error, f"The import stopped: {error}")
        self.import_did_finish.emit(None)

    def _end_import(self) -> None:
        if self._relay is not None:
            self._relay.deleteLater()
        self._relay = None
        self.progress.hide()
        self.close_button.setText("Close")
        self.close_button.setEnabled(True)

    def reject(self) -> None:
        if self._relay is not None:  # importing: Cancel stops the import, keeping what is done
            self._relay.cancel()
            self.close_button.setEnabled(False)
            self.summary.setText("Cancelling after the current orders…")
            return
        super().reject()
