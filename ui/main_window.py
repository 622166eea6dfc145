"""The main window: filter bar and order list above, the selected order's detail below.

It only wires the pieces together (state, model, view, filter bar, detail pane) and keeps the
menus and the status bar; the work happens in those pieces and in the core.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

import ordermanager
from ordermanager.db.engine import Database
from ordermanager.orders.query import list_carts, list_labels
from ui.formatting import count
from ui.orders.actions import OrderActions
from ui.orders.detail import OrderDetailPane
from ui.orders.filter_bar import FilterBar
from ui.orders.model import OrderListModel
from ui.orders.table import OrderTableView
from ui.settings_dialog import SettingsDialog
from ui.stack.monitor import StackMonitor
from ui.stack.runner import StackControllerRunner
from ui.stack.status_bar import StackStatusButton
from ui.status_events.editor import StatusEventsDialog
from ui.status_events.labels_dialog import LabelsDialog
from ui.sync.wiring import SyncFeature
from ui.tasks import TaskManager
from ui.ui_state import UiState
from ui.wizard.wizard import StoreSetupWizard

APP_TITLE = "Order Manager"
_SetupWindow = TypeVar(
    "_SetupWindow", StatusEventsDialog, LabelsDialog, SettingsDialog, StoreSetupWizard
)


class MainWindow(QMainWindow):
    def __init__(
        self,
        database: Database,
        tasks: TaskManager,
        *,
        store_title: str | None = None,
        new_store: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.new_store = new_store  # an empty store just made: offer the Store Setup Wizard
        self.database = database
        self._tasks = tasks
        self._ui_state = UiState()
        self.store_title = store_title or _store_title(database)
        self.setWindowTitle(f"{self.store_title} — {APP_TITLE}")

        self.model = OrderListModel(database, tasks, self)
        # The stack controller of this app (Local and Shared modes) and the stack's watcher; the
        # controller starts with start_stack_controller(), called by the app once it is shown.
        self.stack_runner = StackControllerRunner(database, tasks, self)
        self.stack_monitor = StackMonitor(database, tasks, self)
        self.sync = SyncFeature(database, tasks, self)
        self._stack_window: QWidget | None = None
        self.filter_bar = FilterBar(self)
        self.table = OrderTableView(self.model, self)
        self.detail = OrderDetailPane(database, tasks, self)

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(8, 8, 8, 0)
        top_layout.setSpacing(6)
        top_layout.addWidget(self.filter_bar)
        top_layout.addWidget(self.table)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)

        self._build_status_bar()
        self._build_menus()

        self.filter_bar.filter_changed.connect(self._filter_changed)
        self.table.current_order_changed.connect(self.detail.show_order)
        self.model.counts_changed.connect(self._show_counts)
        self.model.loading_changed.connect(self._busy.setVisible)
        self.model.load_did_fail.connect(self._show_problem)
        tasks.task_did_fail.connect(self._show_problem)

        self.resize(1400, 850)
        self._restore_state()
        if self.model.generation == 0:  # restoring the header did not already start a load
            self.model.refresh()
        self._load_choices()

    # -- building ----------------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.count_label = QLabel("Loading orders…", self)
        self.count_label.setObjectName("orderCount")
        self.count_label.setContentsMargins(6, 0, 0, 0)
        self._busy = QProgressBar(self)
        self._busy.setRange(0, 0)
        self._busy.setFixedWidth(90)
        self._busy.setMaximumHeight(12)
        self._busy.setTextVisible(False)
        self._busy.setToolTip("Loading…")
        self.database_label = QLabel(self.database.location.display(), self)
        self.database_label.setObjectName("databaseLabel")
        self.database_label.setContentsMargins(0, 0, 8, 0)
        self.database_label.setToolTip(
            f"Database in use ({self.database.location.source}). File ▸ Database… tells how to "
            "choose another."
        )
        self.stack_status = StackStatusButton(self.stack_monitor, self.stack_runner, self)
        self.stack_status.clicked.connect(self.show_stack_status)
        bar.addWidget(self.count_label)
        bar.addPermanentWidget(self._busy)
        bar.addPermanentWidget(self.stack_status)
        bar.addPermanentWidget(self.database_label)

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        self.open_database_action = self._action(
            "&Database…", self._show_database, tip="Which database this window uses"
        )
        file_menu.addAction(self.open_database_action)
        file_menu.addSeparator()
        self.quit_action = self._action("&Quit", self.close, "Ctrl+Q")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        file_menu.addAction(self.quit_action)

        edit_menu = menus.addMenu("&Edit")
        self.find_action = self._action("&Find…", self.filter_bar.focus_search, "Ctrl+F")
        edit_menu.addAction(self.find_action)
        self.clear_filters_action = self._action(
            "&Clear Filters", self.filter_bar.clear, "Esc", tip="Show all orders again"
        )
        edit_menu.addAction(self.clear_filters_action)
        # Esc clears only from the search box; elsewhere it keeps its usual meanings.
        self.filter_bar.add_search_action(self.clear_filters_action)

        view_menu = menus.addMenu("&View")
        self.refresh_action = self._action("&Refresh", self.refresh, "F5")
        view_menu.addAction(self.refresh_action)
        self.stack_status_action = self._action(
            "&Stack Controller Status",
            self.show_stack_status,
            "Ctrl+Shift+S",
            "Is the stack controller sending status updates, and what waits on the stack",
        )
        # From anywhere in the app, dialogs included (DESIGN.md section 1).
        self.stack_status_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        view_menu.addSeparator()
        view_menu.addAction(self.stack_status_action)
        self.sync.install_menus(view_menu, menus.addMenu("S&ync"))

        self.order_actions = OrderActions(
            self, self.database, self._tasks, self.table, self.refresh
        )
        toolbar = self.addToolBar("Order")
        toolbar.setObjectName("orderToolbar")
        toolbar.setMovable(False)
        self.order_actions.install(menus.addMenu("&Order"), toolbar)

        setup_menu = menus.addMenu("&Setup")
        self.status_events_action = self._action(
            "Status &Events…", partial(self._open_setup, StatusEventsDialog)
        )
        self.status_labels_action = self._action(
            "Status &Labels…", partial(self._open_setup, LabelsDialog)
        )
        setup_menu.addActions([self.status_events_action, self.status_labels_action])
        setup_menu.addSeparator()
        self.setup_wizard_action = self._action(
            "Store Setup &Wizard…",
            self.open_setup_wizard,
            tip="Set up the store step by step: details, database, status updates, carts",
        )
        self.settings_action = self._action(
            "&Settings…", partial(self._open_setup, SettingsDialog), "Ctrl+,"
        )
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.carts_action = self._action(
            "&Carts…",
            self.open_carts_dialog,
            tip="The web stores orders come from: add, edit, test, status mapping",
        )
        setup_menu.addActions([self.carts_action, self.setup_wizard_action, self.settings_action])

        help_menu = menus.addMenu("&Help")
        self.cart_matrix_action = self._action(
            "Shopping Cart &Matrix",
            self.show_cart_matrix,
            tip="What Order Manager can do with each kind of cart",
        )
        help_menu.addAction(self.cart_matrix_action)
        about = self._action(f"&About {APP_TITLE}", self._show_about)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        help_menu.addAction(about)

    def _action(
        self, text: str, slot: Callable[[], object], shortcut: str = "", tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # -- behaviour ---------------------------------------------------------------------------

    def start_stack_controller(self) -> None:
        """Start this app's stack controller (unless the mode is External) and watch the stack."""
        self.stack_runner.start()
        self.stack_monitor.start()

    def start_sync_scheduler(self) -> None:
        """Sync each cart when its interval is up (kept apart from the stack controller, so tests
        that start one do not start syncing)."""
        self.sync.start()

    def open_carts_dialog(self) -> None:
        """Setup ▸ Carts…"""
        from ui.carts.carts_dialog import open_carts_dialog

        dialog = open_carts_dialog(self, self.database, self._tasks)
        dialog.finished.connect(lambda _result: self._load_choices())  # cart names in the filter

    def show_cart_matrix(self) -> None:
        from ui.carts.matrix_dialog import ShoppingCartMatrixDialog

        dialog = ShoppingCartMatrixDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def show_stack_status(self) -> None:
        from ui.stack.status_window import StackStatusWindow

        if self._stack_window is None:
            self._stack_window = StackStatusWindow(
                self.database, self._tasks, self.stack_monitor, self.stack_runner, self
            )
        self._stack_window.show()
        self._stack_window.raise_()
        self._stack_window.activateWindow()

    def refresh(self) -> None:
        self.model.refresh(recount_all=True)
        self.detail.reload()
        self._load_choices()

    def _filter_changed(self) -> None:
        self.model.set_filter(self.filter_bar.choice().to_filter())

    def _load_choices(self) -> None:
        def load() -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
            with self.database.session() as session:
                return list_labels(session), list_carts(session)

        def show(choices: tuple[list[tuple[int, str]], list[tuple[int, str]]]) -> None:
            labels, carts = choices
            self.filter_bar.set_labels(labels)
            self.filter_bar.set_carts(carts)

        self._tasks.run(load, show, owner=self)

    def open_setup_wizard(self) -> StoreSetupWizard:
        """Setup ▸ Store Setup Wizard…; also opened once on a new empty store."""
        return self._open_setup(StoreSetupWizard)

    def _open_setup(self, dialog_class: type[_SetupWindow]) -> _SetupWindow:
        dialog = dialog_class(self.database, self._tasks, self)
        dialog.finished.connect(dialog.deleteLater)
        dialog.finished.connect(lambda _result: self.refresh())  # labels may have been renamed
        dialog.open()
        return dialog

    def _show_counts(self, matching: int, total: int | None) -> None:
        if self.model.order_filter.is_empty or total is None:
            text = count(matching, "order")
            if not self.model.order_filter.is_empty:
                text += " match"
        else:
            noun = "order matches" if matching == 1 and total == 1 else "orders match"
            text = f"{matching:,} of {total:,} {noun}"
        self.count_label.setText(text)

    def _show_problem(self, message: str) -> None:
        self.statusBar().showMessage(message, 15_000)

    def _show_database(self) -> None:
        location = self.database.location
        QMessageBox.information(
            self,
            "Database",
            f"<p>This window uses the database<br><b>{_html(location.display())}</b><br>"
            f"(chosen by: {location.source}).</p>"
            "<p>To use another database, start Order Manager with<br>"
            "<code>ordermanager --database-url URL</code><br>"
            "where URL is the path of an SQLite file or a PostgreSQL URL such as "
            "<code>postgresql://USER@HOST/DATABASE</code>. The environment variable "
            "<code>ORDERMANAGER_DATABASE_URL</code> does the same.</p>",
        )

    def _show_about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_TITLE}",
            f"<h3>{APP_TITLE} {ordermanager.__version__}</h3>"
            "<p>Imports orders from your web stores, keeps their status labels, and tells "
            "each cart what happened to its orders.</p>",
        )

    # -- remembered layout -------------------------------------------------------------------

    def _restore_state(self) -> None:
        geometry = self._ui_state.load("main_window/geometry")
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
        splitter = self._ui_state.load("main_window/splitter")
        if splitter.isEmpty() or not self.splitter.restoreState(splitter):
            self.splitter.setSizes([440, 360])
        self.table.restore_header(self._ui_state.load("order_list/header"))

    def save_state(self) -> None:
        self._ui_state.save("main_window/geometry", self.saveGeometry())
        self._ui_state.save("main_window/splitter", self.splitter.saveState())
        self._ui_state.save("order_list/header", self.table.save_header())
        self._ui_state.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        self.stack_monitor.stop()
        # Sends in flight finish or go back to the stack; nothing is lost by closing.
        self.stack_runner.stop()
        self.sync.stop()  # a download in progress stops between pages; its cursor stays
        super().closeEvent(event)


def _store_title(database: Database) -> str:
    location = database.location
    path = location.sqlite_path
    if path is not None:
        return path.name
    url = location.url
    return f"{url.database} on {url.host or 'localhost'}"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
