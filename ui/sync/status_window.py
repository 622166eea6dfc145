"""Sync Status (View ▸ Sync Status, Ctrl+Shift+Y): when each cart last downloaded orders and what
came of it, why orders were skipped, the last error, what waits to be sent, and when the next sync
is due. Stale carts are called out above the table and marked in it with an icon and words.

Sync Now syncs every scheduled cart, Sync Selected the chosen ones; while cycles run, a progress
bar reads "Harbor Outfitters: Downloading order 825 of 12,403" and Cancel stops them at the next
page (what was saved stays; the cursor does not move). Statuses come from the database through
the SyncStatusMonitor, so cycles of other workstations show too.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ordermanager.sync.status import CartSyncStatus
from ui.formatting import count
from ui.sync.monitor import SyncStatusMonitor
from ui.sync.runner import SyncOutcome, SyncProgress, SyncRunner
from ui.sync.status_model import CART, ERROR, SKIPPED, CartIdRole, SyncStatusModel

WARNING_STYLE = "color: #a4262c; font-weight: 600;"
# A manual sync may also run a disabled cart (the operator asks for it); never a demo cart or
# one whose kind has no connector.
_MANUAL_OK = ("", "disabled")


def headline(statuses: list[CartSyncStatus] | None) -> tuple[str, bool]:
    """The words above the table, and whether they are a warning."""
    if statuses is None:
        return "Reading the sync status…", False
    if not statuses:
        return "No carts are set up yet.", False
    stale = [s.name for s in statuses if s.stale]
    if stale:
        names = ", ".join(stale[:3]) + (f" and {len(stale) - 3:,} more" if len(stale) > 3 else "")
        verb = "has" if len(stale) == 1 else "have"
        return (
            f"{count(len(stale), 'cart')} {verb} not synced for too long: {names}. Orders placed "
            "since may be missing here; see Last error.",
            True,
        )
    failing = [s.name for s in statuses if s.last_error and s.scheduled]
    if failing:
        return f"The last sync of {', '.join(failing)} did not finish; see Last error.", True
    scheduled = sum(1 for s in statuses if s.scheduled)
    if not scheduled:
        return "No cart here is synced on a schedule; Next sync says why.", False
    return f"{count(scheduled, 'cart')} synced on schedule, all up to date.", False


class SyncStatusWindow(QDialog):
    # The words of the last finished cycle(s), for tests and the status bar.
    outcome_shown = Signal(str)

    def __init__(
        self,
        runner: SyncRunner,
        monitor: SyncStatusMonitor,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("syncStatusWindow")
        self.setWindowTitle("Sync Status")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self._runner = runner
        self._monitor = monitor
        self._outcomes: list[SyncOutcome] = []
        self._cancelling = False

        self.warning_icon = QLabel(self)
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.warning_icon.setPixmap(icon.pixmap(24, 24))
        self.headline = QLabel(self)
        self.headline.setObjectName("syncHeadline")
        self.headline.setWordWrap(True)
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.headline.setFont(font)
        top = QHBoxLayout()
        top.addWidget(self.warning_icon)
        top.addWidget(self.headline, 1)

        self.model = SyncStatusModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("syncStatusTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setWordWrap(True)
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setMinimumSectionSize(rows.defaultSectionSize())  # one-line rows keep their height
        # Short columns fit their contents; the two free texts share what is left, elided
        # (their tooltips hold the whole text), so every column stays in view.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(SKIPPED, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(ERROR, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(SKIPPED, 240)
        header.setStretchLastSection(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        self.progress_text = QLabel(self)
        self.progress_text.setObjectName("syncProgressText")
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("syncProgressBar")
        self.progress_bar.setTextVisible(True)
        self.cancel_button = QPushButton("&Cancel Sync", self)
        self.cancel_button.setToolTip(
            "Stop the running syncs after the page being saved; the next sync starts again from "
            "the same point"
        )
        self.cancel_button.clicked.connect(self.cancel)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_text, 2)
        progress_row.addWidget(self.progress_bar, 1)
        progress_row.addWidget(self.cancel_button)

        self.message = QLabel(self)
        self.message.setObjectName("syncMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sync_now_button = QPushButton("Sync &Now", self)
        self.sync_now_button.setToolTip("Download new and changed orders from every scheduled cart")
        self.sync_now_button.clicked.connect(self.sync_all)
        self.sync_selected_button = QPushButton("Sync &Selected", self)
        self.sync_selected_button.setToolTip("Download new and changed orders from the chosen cart")
        self.sync_selected_button.clicked.connect(self.sync_selected)
        close = QPushButton("Close", self)
        close.clicked.connect(self.close)
        actions = QHBoxLayout()
        actions.addWidget(self.message, 1)
        actions.addWidget(self.sync_selected_button)
        actions.addWidget(self.sync_now_button)
        actions.addSpacing(18)
        actions.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(progress_row)
        layout.addLayout(actions)

        monitor.statuses_changed.connect(self._show_statuses)
        monitor.read_did_fail.connect(self._read_failed)
        runner.sync_did_start.connect(self._started)
        runner.sync_progressed.connect(self._progressed)
        runner.sync_did_finish.connect(self._finished)
        runner.busy_changed.connect(self._busy_changed)
        for progress in runner.progress():
            self.model.set_progress(progress)
        self._show_statuses(monitor.statuses)
        self._show_progress()
        self.resize(1400, 420)

    # -- showing -------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        self._monitor.start()
        super().showEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._monitor.stop()
        super().closeEvent(event)

    def done(self, result: int) -> None:  # Esc and Close both end here
        self._monitor.stop()
        super().done(result)

    def _show_statuses(self, statuses: list[CartSyncStatus] | None) -> None:
        chosen = set(self.selected_ids())
        self.model.set_statuses(statuses or [])
        self.table.resizeRowsToContents()  # a long reason or error wraps onto a second line
        for progress in self._runner.progress():
            self.model.set_progress(progress)
        text, warning = headline(statuses)
        self.headline.setText(text)
        self.headline.setStyleSheet(WARNING_STYLE if warning else "")
        self.warning_icon.setVisible(warning)
        selection = self.table.selectionModel()
        for row in range(self.model.rowCount()):
            index = self.model.index(row, CART)
            if index.data(CartIdRole) in chosen:
                flags = selection.SelectionFlag.Select | selection.SelectionFlag.Rows
                selection.select(index, flags)
        self._update_buttons()

    def _read_failed(self, message: str) -> None:
        self.headline.setText(f"Could not read the sync status: {message}")
        self.headline.setStyleSheet(WARNING_STYLE)
        self.warning_icon.setVisible(True)

    def _show_progress(self) -> None:
        running = self._runner.progress()
        busy = bool(running)
        self.cancel_button.setEnabled(busy)
        self.progress_bar.setVisible(busy)
        if not busy:
            self.progress_text.setText("No sync running.")
            return
        lines = [p.text() for p in running]
        if self._cancelling:
            lines.append("Cancelling after the page being saved…")
        self.progress_text.setText("\n".join(lines))
        active = [p for p in running if not p.waiting]
        totals = [p.total for p in active]
        if active and all(t is not None for t in totals):
            total = sum(t for t in totals if t is not None)
            done = sum(min(p.done, p.total or 0) for p in active)
            self.progress_bar.setRange(0, max(total, 1))
            self.progress_bar.setValue(done if total else 1)
        else:
            self.progress_bar.setRange(0, 0)  # busy: the cart did not say how many

    def _update_buttons(self) -> None:
        statuses = self.model.statuses()
        self.sync_now_button.setEnabled(any(s.scheduled for s in statuses))
        chosen = self._selected_statuses()
        self.sync_selected_button.setEnabled(
            any(s.not_scheduled_because in _MANUAL_OK for s in chosen)
        )

    # -- the runner's reports ------------------------------------------------------------------

    def _busy_changed(self, busy: bool) -> None:
        if busy:
            self._outcomes = []
            self.message.setText("")
        else:
            self._cancelling = False
        self._show_progress()

    def _started(self, progress: SyncProgress) -> None:
        self.model.set_progress(progress)
        self._show_progress()
        self._monitor.refresh()

    def _progressed(self, progress: SyncProgress) -> None:
        self.model.set_progress(progress)
        self._show_progress()

    def _finished(self, outcome: SyncOutcome) -> None:
        self.model.set_progress(None, outcome.cart_id)
        self._outcomes.append(outcome)
        text = "\n".join(o.text() for o in self._outcomes)
        self.message.setText(text)
        failed = any(o.error for o in self._outcomes)
        self.message.setStyleSheet(WARNING_STYLE if failed else "")
        self._show_progress()
        self._monitor.refresh()
        self.outcome_shown.emit(outcome.text())

    # -- acting --------------------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        rows = self.table.selectionModel().selectedRows()
        return [int(index.data(CartIdRole)) for index in rows]

    def _selected_statuses(self) -> list[CartSyncStatus]:
        chosen = set(self.selected_ids())
        return [s for s in self.model.statuses() if s.cart_id in chosen]

    def sync_all(self) -> None:
        carts = [(s.cart_id, s.name) for s in self.model.statuses() if s.scheduled]
        self._start(carts, "No cart is scheduled for syncing.")

    def sync_selected(self) -> None:
        chosen = self._selected_statuses()
        carts = [(s.cart_id, s.name) for s in chosen if s.not_scheduled_because in _MANUAL_OK]
        taken = {cart_id for cart_id, _ in carts}
        refused = [
            f"{s.name} ({s.not_scheduled_because})" for s in chosen if s.cart_id not in taken
        ]
        self._start(carts, "These carts cannot be synced: " + ", ".join(refused) + ".")

    def _start(self, carts: list[tuple[int, str]], nothing: str) -> None:
        if not carts:
            self.message.setText(nothing)
            self.message.setStyleSheet(WARNING_STYLE)
            return
        started = self._runner.sync_many(carts)
        if not started:
            self.message.setText("Those carts are syncing already.")
            self.message.setStyleSheet("")

    def cancel(self) -> None:
        if self._runner.is_busy:
            self._cancelling = True
            self._runner.cancel()
            self._show_progress()
