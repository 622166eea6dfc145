"""Getting a store open before the window shows: the first-run offer, the demo store, opening
(and upgrading) the database, each off the GUI thread with a small progress dialog.

``open_store`` returns an open ``Database`` and a title for the window, or None when the
operator backed out; database problems propagate as ``DatabaseError`` for the caller to show.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer
from PySide6.QtWidgets import QProgressDialog, QWidget

from ordermanager.db import location as db_location
from ordermanager.db.engine import Database
from ordermanager.db.location import DatabaseLocation
from ordermanager.db.migrate import open_database
from ordermanager.store_setup import SchemaCondition, check_database
from ordermanager.workstation import data_dir
from ui.first_run import FirstRunChoice, ask_first_run_choice
from ui.tasks import ProgressRelay, TaskManager

log = logging.getLogger(__name__)

T = TypeVar("T")

DEMO_FILENAME = "demo.sqlite3"
DEMO_ORDERS = 5_000
DEMO_TITLE = "Demo store"
SHOW_PROGRESS_AFTER_MS = 300


class DemoCancelled(Exception):
    """The operator stopped the demo store while it was being made."""


@dataclass(frozen=True)
class OpenedStore:
    database: Database
    title: str | None  # None: the window names the store after its database
    is_new: bool = False  # the database was empty: the Store Setup Wizard opens once


def demo_path() -> Path:
    return data_dir() / DEMO_FILENAME


def is_first_run(location: DatabaseLocation) -> bool:
    """Nothing configured and no store made yet: the moment to offer the demo store."""
    return location.source == "default" and not db_location.default_sqlite_path().exists()


def open_store(
    database_url: str | None,
    tasks: TaskManager,
    *,
    ask: Callable[[QWidget | None], FirstRunChoice] | None = None,
) -> OpenedStore | None:
    ask = ask or ask_first_run_choice
    location = db_location.resolve(database_url)
    title = None
    while is_first_run(location):
        choice = ask(None)
        if choice is FirstRunChoice.QUIT:
            return None
        if choice is FirstRunChoice.EMPTY:
            break
        try:
            location = ensure_demo_store(tasks)
        except DemoCancelled:
            continue  # back to the offer: the operator may prefer an empty store now
        title = DEMO_TITLE
        break
    database, is_new = run_with_progress(
        tasks, lambda: _open_noting_new(location), "Opening store…", write=True
    )
    return OpenedStore(database, title, is_new)


def _open_noting_new(location: DatabaseLocation) -> tuple[Database, bool]:
    """Open the store, and say whether it was empty before (a new store, never set up).

    Asked before opening because opening creates the schema. A database that cannot be checked
    is not called new; opening it then reports the problem.
    """
    is_new = check_database(location).condition is SchemaCondition.EMPTY
    return open_database(location), is_new


def ensure_demo_store(tasks: TaskManager, orders: int | None = None) -> DatabaseLocation:
    """The demo store's location, making the store first if it does not exist yet.

    It is built in a side file and moved into place only when complete, so a cancelled or
    failed run never leaves half a demo store to be opened next time.
    """
    path = demo_path()
    final = db_location.parse_url(str(path), "demo store")
    if path.exists():
        return final
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    _remove_sqlite(partial)
    total = orders or DEMO_ORDERS
    relay = ProgressRelay()
    dialog = _progress_dialog(f"Creating demo order 0 of {total:,}", cancellable=True)
    dialog.setRange(0, total)
    dialog.canceled.connect(relay.cancel)

    relay.progress_changed.connect(_DemoProgress(dialog).show)

    def build() -> None:
        from ordermanager.demo import generate_demo_store

        database = open_database(db_location.parse_url(str(partial), "demo store"))
        try:
            generate_demo_store(
                database, total, progress=relay.report, is_cancelled=relay.is_cancelled
            )
        finally:
            database.dispose()

    try:
        run_blocking(tasks, build, write=True)
    except BaseException:
        _remove_sqlite(partial)
        if relay.is_cancelled():
            raise DemoCancelled() from None
        raise
    finally:
        # Closing a progress dialog emits canceled(); that is not the operator cancelling.
        dialog.canceled.disconnect(relay.cancel)
        dialog.close()
        dialog.deleteLater()
        relay.deleteLater()
    if relay.is_cancelled():
        _remove_sqlite(partial)
        raise DemoCancelled()
    partial.replace(path)
    return final


class _DemoProgress(QObject):
    """Shows the generator's progress; a QObject on the GUI thread, so updates arrive there."""

    def __init__(self, dialog: QProgressDialog) -> None:
        super().__init__(dialog)
        self._dialog = dialog

    def show(self, done: int, total: int) -> None:
        self._dialog.setMaximum(total)
        self._dialog.setValue(min(done, total))
        self._dialog.setLabelText(f"Creating demo order {min(done + 1, total):,} of {total:,}")


def run_blocking(tasks: TaskManager, fn: Callable[[], T], *, write: bool = False) -> T:
    """Run ``fn`` in the background while the GUI thread keeps painting; return its result.

    For start-up only, before the main window exists: everything later is asynchronous.
    """
    loop = QEventLoop()
    outcome: dict[str, Any] = {}

    def done(result: T) -> None:
        outcome["result"] = result
        loop.quit()

    def failed(error: BaseException) -> None:
        outcome["error"] = error
        loop.quit()

    tasks.run(fn, done, failed, write=write, owner=loop)
    # Results are delivered by queued signal, so nothing can have arrived before exec().
    loop.exec()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def run_with_progress(
    tasks: TaskManager, fn: Callable[[], T], text: str, *, write: bool = False
) -> T:
    """``run_blocking`` with a busy dialog that appears only if the work takes a moment."""
    dialog = _progress_dialog(text, cancellable=False)
    dialog.setRange(0, 0)
    timer = QTimer(singleShot=True, interval=SHOW_PROGRESS_AFTER_MS)
    timer.timeout.connect(dialog.show)
    timer.start()
    try:
        return run_blocking(tasks, fn, write=write)
    finally:
        timer.stop()
        dialog.close()
        dialog.deleteLater()


def _progress_dialog(text: str, *, cancellable: bool) -> QProgressDialog:
    dialog = QProgressDialog(text, "Cancel" if cancellable else "", 0, 0)
    dialog.setWindowTitle("Order Manager")
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setMinimumWidth(360)
    if not cancellable:
        dialog.setCancelButton(None)
    dialog.setMinimumDuration(0 if cancellable else SHOW_PROGRESS_AFTER_MS)
    if cancellable:
        dialog.show()
    return dialog


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()
