"""Starting the Order Manager window: the application object, its icon, opening the store.

``main`` returns the process exit code: 0 after a normal quit, 1 when the store could not be
opened (after telling the operator why in a dialog, never with a traceback).
"""

from __future__ import annotations

import logging
import sys
from importlib import resources

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QGuiApplication, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QMessageBox

import ordermanager
from ordermanager.errors import OrderManagerError
from ui.main_window import APP_TITLE, MainWindow
from ui.startup import open_store
from ui.tasks import TaskManager

log = logging.getLogger(__name__)

ORGANIZATION = "OrderManager"
DESKTOP_FILE = "ordermanager"
ERROR_TITLE = "Order Manager cannot open the store"
EXIT_OK = 0
EXIT_ERROR = 1


def application() -> QApplication:
    """The one QApplication of this process, created and named on first use."""
    existing = QCoreApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APP_TITLE)
    app.setApplicationVersion(ordermanager.__version__)
    QGuiApplication.setDesktopFileName(DESKTOP_FILE)
    app.setWindowIcon(app_icon())
    return app


def app_icon() -> QIcon:
    icon = QIcon()
    try:
        data = resources.files("resources").joinpath("ordermanager.svg").read_bytes()
    except (OSError, ModuleNotFoundError) as exc:  # a broken install should not stop the app
        log.warning("the application icon could not be loaded: %s", exc)
        return icon
    for size in (16, 24, 32, 48, 64, 128, 256):
        pixmap = QPixmap()
        if pixmap.loadFromData(data, "SVG"):
            icon.addPixmap(pixmap.scaled(size, size))
    return icon


def launch(database_url: str | None, tasks: TaskManager) -> MainWindow | int:
    """Open the store and build the main window, or say why not and return the exit code."""
    try:
        store = open_store(database_url, tasks)
    except OrderManagerError as exc:
        show_error(str(exc))
        return EXIT_ERROR
    except Exception as exc:  # a bug or a surprise from a driver: still no traceback on screen
        log.exception("opening the store failed")
        show_error(f"Something unexpected went wrong while opening the store: {exc}")
        return EXIT_ERROR
    if store is None:
        return EXIT_OK
    return MainWindow(store.database, tasks, store_title=store.title, new_store=store.is_new)


def show_error(message: str) -> None:
    QMessageBox.critical(None, ERROR_TITLE, message)


def main(database_url: str | None = None) -> int:
    app = application()
    tasks = TaskManager()
    window: MainWindow | None = None
    try:
        launched = launch(database_url, tasks)
        if isinstance(launched, int):
            return launched
        window = launched
        window.show()
        window.start_stack_controller()
        window.start_sync_scheduler()
        if window.new_store:
            window.open_setup_wizard()  # once: the next start finds the store set up
        return app.exec()
    finally:
        if window is not None:
            window.stack_runner.stop()  # a no-op when closing the window already stopped it
            window.sync.stop()
        tasks.shutdown(wait=True)
        if window is not None:
            window.database.dispose()
            window.deleteLater()
        tasks.deleteLater()
