"""Stack Controller Status window (Ctrl+Shift+S) and the status bar line, through real widgets on a
real SQLite store: the window opens from the main window, Retry / Hold / Discard change the
database, and the status bar turns to a warning when the controller stops or records are held.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from ordermanager.db.engine import Database
from ordermanager.db.models import EventLogRow, Order, StatusUpdate
from ordermanager.settings import set_setting
from ordermanager.status.events import Event, event_info
from ordermanager.status.firing import status_update_row
from ui.main_window import MainWindow
from ui.stack.status_window import StackStatusWindow


def _queue(database: Database, count: int, *, held: int = 0, far_future: bool = True) -> list[int]:
    """Put ``count`` records on the stack for the first orders, the first ``held`` of them on hold.
    ``far_future``: not due, so a running controller leaves them alone."""
    now = datetime.now(UTC)
    ids = []
    with database.transaction() as session:
        orders = session.execute(select(Order).order_by(Order.id).limit(count)).scalars().all()
        for n, order in enumerate(orders):
            row = status_update_row(
                event_info(Event.ORDER_SHIPPED),
                order_id=order.id,
                order_remote_id=order.remote_id,
                order_number=order.number,
                cart_id=order.cart_id,
                cart_kind="woocommerce",
                order_label="Order Shipped",
                order_changed=True,
                item_changes=[],
                tracking=["1Z999"],
                carrier="UPS",
                now=now,
            )
            if far_future:
                row["next_attempt_at"] = now + timedelta(days=1)
            if n < held:
                row.update(state="held", attempts=3, last_error="HTTP 404: order not found")
            record = StatusUpdate(**row)
            session.add(record)
            session.flush()
            ids.append(record.id)
    return ids


def _open_status(qtbot: QtBot, window: MainWindow) -> StackStatusWindow:
    window.stack_monitor.start()
    qtbot.keyClick(
        window,
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: window._stack_window is not None and window._stack_window.isVisible())
    status = window._stack_window
    assert isinstance(status, StackStatusWindow)
    return status


def test_ctrl_shift_s_opens_the_status_window_with_the_records(
    qtbot: QtBot, open_writable_window: Callable[[], MainWindow], writable_store: Database
) -> None:
    _queue(writable_store, 5, held=2)
    window = open_writable_window()
    status = _open_status(qtbot, window)
    qtbot.waitUntil(lambda: status.model.rowCount() == 5)
    assert status.records_caption.text() == "5 records on the stack, 2 on hold"
    states = sorted(status.model.record(r).state for r in range(5))
    assert states == ["held", "held", "queued", "queued", "queued"]
    qtbot.waitUntil(lambda: status.findChild(object, "figureOnHold") is not None)
    assert status.findChild(object, "figureOnHold").text() == "2"
    # Show only the held ones.
    status.held_only.setChecked(True)
    assert status.model.rowCount() == 2
    # The same shortcut raises the same window rather than opening a second one.
    qtbot.keyClick(
        window,
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window._stack_window is status


def _select(status: StackStatusWindow, ids: list[int]) -> None:
    selection = status.table.selectionModel()
    selection.clearSelection()
    for row in range(status.model.rowCount()):
        if status.model.record(row).id in ids:
            selection.select(
                status.model.index(row, 0),
                selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
            )


def test_retry_hold_and_discard_act_on_the_database(
    qtbot: QtBot,
    open_writable_window: Callable[[], MainWindow],
    writable_store: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held, queued, doomed = _queue(writable_store, 3, held=1)
    window = open_writable_window()
    status = _open_status(qtbot, window)
    qtbot.waitUntil(lambda: status.model.rowCount() == 3)

    _select(status, [held])
    with qtbot.waitSignal(status.action_did_finish) as finished:
        qtbot.mouseClick(status.retry_button, Qt.MouseButton.LeftButton)
    assert finished.args == ["1 record retried."]
    with writable_store.session() as session:
        record = session.get(StatusUpdate, held)
        assert record is not None and record.state == "queued"
        assert record.next_attempt_at <= datetime.now(UTC)

    _select(status, [queued])
    with qtbot.waitSignal(status.action_did_finish):
        qtbot.mouseClick(status.hold_button, Qt.MouseButton.LeftButton)
    with writable_store.session() as session:
        record = session.get(StatusUpdate, queued)
        assert record is not None and record.state == "held"

    # Discard asks first; "Cancel" keeps the record.
    _select(status, [doomed])
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    qtbot.mouseClick(status.discard_button, Qt.MouseButton.LeftButton)
    with writable_store.session() as session:
        assert session.get(StatusUpdate, doomed) is not None
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Discard)
    with qtbot.waitSignal(status.action_did_finish) as finished:
        qtbot.mouseClick(status.discard_button, Qt.MouseButton.LeftButton)
    assert finished.args == ["1 record discarded."]
    with writable_store.session() as session:
        assert session.get(StatusUpdate, doomed) is None
        logged = session.execute(
            select(func.count()).select_from(EventLogRow).where(EventLogRow.record_id == doomed)
        ).scalar_one()
        assert logged >= 1
    qtbot.waitUntil(lambda: status.model.rowCount() == 2)


def test_status_bar_warns_when_the_controller_stops(
    qtbot: QtBot, open_writable_window: Callable[[], MainWindow], writable_store: Database
) -> None:
    with writable_store.transaction() as session:
        set_setting(session, "StackControllerMode", "local")
    window = open_writable_window()
    window.start_stack_controller()
    bar = window.stack_status
    qtbot.waitUntil(
        lambda: (
            bar.health is not None
            and bar.health.state == "running"
            and window.stack_monitor.overview is not None
        ),
        timeout=10_000,
    )
    assert bar.text().startswith("Stack controller running")
    assert "background: #c42b1c" not in bar.styleSheet()

    window.stack_runner.stop()
    qtbot.waitUntil(lambda: bar.health is not None and bar.health.state == "stopped")
    assert bar.text().startswith("Stack controller stopped")
    assert "background: #c42b1c" in bar.styleSheet()


def test_status_bar_warns_about_records_on_hold(
    qtbot: QtBot, open_writable_window: Callable[[], MainWindow], writable_store: Database
) -> None:
    _queue(writable_store, 2, held=1)
    window = open_writable_window()
    window.start_stack_controller()
    bar = window.stack_status
    qtbot.waitUntil(lambda: "1 on hold" in bar.text(), timeout=10_000)
    assert "background: #c42b1c" in bar.styleSheet()
    window.stack_runner.stop()
