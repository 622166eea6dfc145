"""Starting the application: database errors in a dialog, and the first-run demo offer."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QPushButton
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from ordermanager.db import location
from ordermanager.db.migrate import open_database
from ordermanager.db.models import Order
from ui import app as app_module
from ui import startup
from ui.first_run import FirstRunChoice, ask_first_run_choice, first_run_dialog
from ui.main_window import MainWindow
from ui.tasks import TaskManager


@pytest.fixture(autouse=True)
def critical(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Records error dialogs instead of showing them (a modal dialog would wait forever)."""
    shown: list[tuple[str, str]] = []

    def record(_parent: Any, title: str, text: str, *args: Any, **kwargs: Any) -> Any:
        shown.append((title, text))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(app_module.QMessageBox, "critical", record)
    return shown


@pytest.fixture
def no_offer(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """Fails the test if the first-run offer appears."""
    asked: list[None] = []

    def ask(_parent: Any) -> FirstRunChoice:
        asked.append(None)
        return FirstRunChoice.QUIT

    monkeypatch.setattr(startup, "ask_first_run_choice", ask)
    return asked


def answer(monkeypatch: pytest.MonkeyPatch, *choices: FirstRunChoice) -> list[FirstRunChoice]:
    """Answer the first-run offer with ``choices``, one per time it is shown."""
    remaining = list(choices)
    asked: list[FirstRunChoice] = []

    def ask(_parent: Any) -> FirstRunChoice:
        asked.append(remaining[0])
        return remaining.pop(0)

    monkeypatch.setattr(startup, "ask_first_run_choice", ask)
    return asked


@pytest.fixture
def launched(qtbot: QtBot, tasks: TaskManager) -> Iterator[list[MainWindow]]:
    windows: list[MainWindow] = []
    yield windows
    for window in windows:
        window.close()
        window.database.dispose()


def test_main__a_file_that_is_not_a_database_is_reported_and_left_alone(
    tmp_path: Path, critical: list[tuple[str, str]], no_offer: list[None]
) -> None:
    path = tmp_path / "orders.sqlite3"
    garbage = bytes(range(256)) * 64
    path.write_bytes(garbage)

    assert app_module.main(str(path)) == 1

    assert len(critical) == 1
    title, text = critical[0]
    assert title == app_module.ERROR_TITLE
    assert str(path) in text and "not an Order Manager database" in text
    assert "Traceback" not in text
    assert path.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.sqlite3"]


def test_main__an_unusable_url_is_reported(
    critical: list[tuple[str, str]], no_offer: list[None]
) -> None:
    assert app_module.main("mysql://shop@db.example.com/orders") == 1
    assert "SQLite or PostgreSQL" in critical[0][1]


def test_main__an_unreachable_server_is_reported_without_the_password(
    critical: list[tuple[str, str]], no_offer: list[None]
) -> None:
    # Nothing listens on port 1 of the loopback: the connection is refused at once.
    assert app_module.main("postgresql://shop:pw-secret@127.0.0.1:1/orders") == 1
    text = critical[0][1]
    assert "Cannot connect to the database" in text and "127.0.0.1" in text
    assert "pw-secret" not in text and "Traceback" not in text


def test_main__a_store_from_a_newer_version_is_reported_and_left_alone(
    tmp_path: Path, critical: list[tuple[str, str]], no_offer: list[None]
) -> None:
    path = tmp_path / "store.sqlite3"
    open_database(location.parse_url(str(path))).dispose()
    connection = sqlite3.connect(path)
    connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    connection.commit()
    connection.close()
    before = path.read_bytes()

    assert app_module.main(str(path)) == 1

    assert "newer version of Order Manager" in critical[0][1]
    assert path.read_bytes() == before
    assert not any("backup" in p.name for p in tmp_path.iterdir())


def test_launch__opens_a_window_on_the_given_store(
    qtbot: QtBot,
    tasks: TaskManager,
    store_path: Path,
    no_offer: list[None],
    launched: list[MainWindow],
) -> None:
    window = app_module.launch(str(store_path), tasks)
    assert isinstance(window, MainWindow)
    launched.append(window)
    assert window.windowTitle() == "store.sqlite3 — Order Manager"
    qtbot.waitUntil(lambda: window.model.rowCount() > 0)
    assert no_offer == []


def test_first_run__empty_store_creates_the_default_store(
    monkeypatch: pytest.MonkeyPatch, tasks: TaskManager, launched: list[MainWindow]
) -> None:
    asked = answer(monkeypatch, FirstRunChoice.EMPTY)
    default = location.default_sqlite_path()
    assert not default.exists()

    window = app_module.launch(None, tasks)
    assert isinstance(window, MainWindow)
    launched.append(window)

    assert asked == [FirstRunChoice.EMPTY]
    assert default.exists()
    assert window.database.location.sqlite_path == default
    assert not startup.demo_path().exists()
    # Next time there is a store, so no offer.
    assert not startup.is_first_run(location.resolve(None))


def test_first_run__demo_store_is_made_in_its_own_file_and_opened(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    tasks: TaskManager,
    launched: list[MainWindow],
    critical: list[tuple[str, str]],
) -> None:
    monkeypatch.setattr(startup, "DEMO_ORDERS", 250)
    answer(monkeypatch, FirstRunChoice.DEMO)

    window = app_module.launch(None, tasks)
    assert critical == []
    assert isinstance(window, MainWindow)
    launched.append(window)

    assert window.database.location.sqlite_path == startup.demo_path()
    assert window.windowTitle() == "Demo store — Order Manager"
    assert not location.default_sqlite_path().exists()
    assert not startup.demo_path().with_name("demo.sqlite3.part").exists()
    with window.database.session() as session:
        assert session.execute(select(func.count()).select_from(Order)).scalar_one() == 250
    qtbot.waitUntil(lambda: window.model.rowCount() == 250)


def test_first_run__an_existing_demo_store_is_reused(
    monkeypatch: pytest.MonkeyPatch,
    tasks: TaskManager,
    store_path: Path,
    launched: list[MainWindow],
) -> None:
    demo = startup.demo_path()
    demo.parent.mkdir(parents=True, exist_ok=True)
    demo.write_bytes(store_path.read_bytes())
    before = demo.stat().st_mtime_ns

    def must_not_generate(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the demo store was made again")

    monkeypatch.setattr("ordermanager.demo.generate_demo_store", must_not_generate, raising=False)
    answer(monkeypatch, FirstRunChoice.DEMO)
    window = app_module.launch(None, tasks)
    assert isinstance(window, MainWindow)
    launched.append(window)
    assert window.database.location.sqlite_path == demo
    assert demo.stat().st_mtime_ns >= before


def test_first_run__cancelling_the_demo_leaves_nothing_and_asks_again(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    tasks: TaskManager,
    launched: list[MainWindow],
) -> None:
    def slow_generator(
        database: Any, orders: int, *, seed: int = 1, progress: Any = None, is_cancelled: Any = None
    ) -> None:
        for done in range(orders):
            if is_cancelled():
                return
            progress(done, orders)
            QThreadSleep.msleep(1)

    from PySide6.QtCore import QThread as QThreadSleep

    monkeypatch.setattr("ordermanager.demo.generate_demo_store", slow_generator, raising=False)
    asked = answer(monkeypatch, FirstRunChoice.DEMO, FirstRunChoice.EMPTY)
    labels: list[str] = []

    def cancel_when_it_shows_progress() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QProgressDialog) and widget.isVisible() and widget.value() > 5:
                labels.append(widget.labelText())
                cancel = widget.findChild(QPushButton)
                assert cancel is not None and cancel.text() == "Cancel"
                cancel.click()

    watcher = QTimer(interval=10)
    watcher.timeout.connect(cancel_when_it_shows_progress)
    watcher.start()
    try:
        window = app_module.launch(None, tasks)
    finally:
        watcher.stop()
    assert isinstance(window, MainWindow)
    launched.append(window)

    assert asked == [FirstRunChoice.DEMO, FirstRunChoice.EMPTY]
    assert labels and labels[0].startswith("Creating demo order ")
    assert labels[0].endswith(" of 5,000")
    demo = startup.demo_path()
    assert not demo.exists()
    assert [p.name for p in demo.parent.iterdir() if p.name.startswith("demo")] == []
    assert window.database.location.sqlite_path == location.default_sqlite_path()


def test_first_run__quitting_the_offer_creates_nothing(
    monkeypatch: pytest.MonkeyPatch, tasks: TaskManager
) -> None:
    answer(monkeypatch, FirstRunChoice.QUIT)
    assert app_module.launch(None, tasks) == 0
    assert not location.default_sqlite_path().exists()
    assert not startup.demo_path().exists()


def test_first_run_dialog__demo_is_the_default_button(qtbot: QtBot) -> None:
    box = first_run_dialog()
    qtbot.addWidget(box)
    default = box.defaultButton()
    assert default is not None and default.text() == "Open demo store"
    buttons = {button.text() for button in box.buttons()}
    assert {"Open demo store", "Start an empty store"} <= buttons


def test_first_run_dialog__enter_chooses_the_demo(qtbot: QtBot) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    def press_enter() -> None:
        # Our dialog by name: a window left open by an earlier test must not get the key.
        box = next(
            (
                w
                for w in QApplication.topLevelWidgets()
                if w.objectName() == "firstRunDialog" and w.isVisible()
            ),
            None,
        )
        if box is None:
            QTimer.singleShot(10, press_enter)
            return
        QTest.keyClick(box, Qt.Key.Key_Return)

    QTimer.singleShot(0, press_enter)
    assert ask_first_run_choice() is FirstRunChoice.DEMO


def test_main__the_icon_loads() -> None:
    icon = app_module.app_icon()
    assert not icon.isNull()
    assert not icon.pixmap(32, 32).isNull()
