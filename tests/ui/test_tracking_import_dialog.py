"""Import Tracking… from the main window: the preview of a CSV file with good rows, malformed
rows, unknown orders and duplicate tracking numbers (in the file and in the database) behind a
UTF-8 byte order mark; importing exactly the good rows; bad files; cancelling an import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select
from sqlalchemy.orm import Session

from ordermanager.db.engine import Database
from ordermanager.db.models import Order, Shipment, StatusLabel, StatusUpdate, TrackingNumber
from ordermanager.orders import tracking_import
from ordermanager.orders.bulk import run_bulk
from ordermanager.settings import set_setting
from ordermanager.status.defaults import load_defaults
from tests.ui.conftest import SHOWCASE_NUMBER, SHOWCASE_TRACKING
from ui.main_window import MainWindow
from ui.orders.model import OrderIdRole
from ui.orders.tracking_import_dialog import TrackingImportDialog

OpenWindow = Callable[[], MainWindow]


@pytest.fixture
def window(open_writable_window: OpenWindow, writable_store: Database) -> MainWindow:
    with writable_store.transaction() as session:
        set_setting(session, "UseStatusUpdates", True)
        load_defaults(session, force=True)
    return open_writable_window()


def open_dialog(qtbot: QtBot, window: MainWindow) -> TrackingImportDialog:
    window.table.clearSelection()  # the import needs no selection
    assert window.order_actions.import_tracking_action.isEnabled()
    with qtbot.waitSignal(window.order_actions.dialog_did_open) as opened:
        window.order_actions.import_tracking_action.trigger()
    dialog = opened.args[0]
    assert isinstance(dialog, TrackingImportDialog)
    return dialog


def preview(qtbot: QtBot, dialog: TrackingImportDialog, path: Path) -> object:
    with qtbot.waitSignal(dialog.preview_did_load) as loaded:
        dialog.load(path)
    return loaded.args[0]


def cells(table: Any) -> list[tuple[str, ...]]:
    return [
        tuple(table.item(r, c).text() for c in range(table.columnCount()))
        for r in range(table.rowCount())
    ]


def numbers_of(database: Database, order_id: int) -> list[str]:
    with database.session() as session:
        return list(
            session.execute(
                select(TrackingNumber.number)
                .join(Shipment, Shipment.id == TrackingNumber.shipment_id)
                .where(Shipment.order_id == order_id)
                .order_by(TrackingNumber.number)
            ).scalars()
        )


def test_import__previews_bad_rows_by_line_and_imports_exactly_the_good_rows(
    qtbot: QtBot, window: MainWindow, writable_store: Database, tmp_path: Path
) -> None:
    rows = {
        window.model.index(r, 0).data(): window.model.index(r, 0).data(OrderIdRole)
        for r in (1, 2, 3)
    }
    a, b, c = rows
    csv_file = tmp_path / "tracking.csv"
    csv_file.write_text(
        "\ufeffOrder Number,Tracking Number,Carrier\n"  # line 1, behind a byte order mark
        f"{a},1ZGOOD0001,UPS\n"  # 2: good
        "NOPE-404,1ZGOOD0002,UPS\n"  # 3: unknown order
        f"{b},1ZGOOD0001,UPS\n"  # 4: same number as line 2
        f"{b},1ZGOOD0003,DHL,extra,more\n"  # 5: malformed
        ",1ZGOOD0004,UPS\n"  # 6: no order number
        f"{c},,UPS\n"  # 7: no tracking number
        f"{b},1ZGOOD0005,DHL\n"  # 8: good
        f"{c},{SHOWCASE_TRACKING[0]},DHL\n"  # 9: already on the showcase order
        f"{c},1ZGOOD0006\n",  # 10: good, no carrier
        encoding="utf-8",
    )
    dialog = open_dialog(qtbot, window)
    assert not dialog.import_button.isEnabled()
    preview(qtbot, dialog, csv_file)

    assert cells(dialog.good_table) == [
        ("2", a, "1ZGOOD0001", "UPS"),
        ("8", b, "1ZGOOD0005", "DHL"),
        ("10", c, "1ZGOOD0006", ""),
    ]
    bad = cells(dialog.bad_table)
    assert [line for line, _ in bad] == ["3", "4", "5", "6", "7", "9"]
    problems = dict(bad)
    assert "NOPE-404" in problems["3"]
    assert problems["4"] == "Tracking number 1ZGOOD0001 is already on line 2"
    assert problems["5"] == "5 values, but the header has 3"
    assert problems["6"] == "No order number"
    assert problems["7"] == f"No tracking number for order {c}"
    assert problems["9"] == (
        f"Tracking number {SHOWCASE_TRACKING[0]} is already on order {SHOWCASE_NUMBER}"
    )
    assert dialog.summary.text() == (
        "3 tracking numbers for 3 orders will import. 6 rows with a problem will be skipped."
    )
    assert dialog.import_button.isEnabled()

    with qtbot.waitSignal(dialog.import_did_finish, timeout=10_000) as finished:
        dialog.import_button.click()
    result = finished.args[0]
    assert [row.line for row in result.imported] == [2, 8, 10]
    assert dialog.summary.text().startswith("Imported 3 tracking numbers for 3 orders.")
    assert dialog.close_button.text() == "Close"

    assert numbers_of(writable_store, rows[a]) == ["1ZGOOD0001"]
    assert numbers_of(writable_store, rows[b]) == ["1ZGOOD0005"]
    assert numbers_of(writable_store, rows[c]) == ["1ZGOOD0006"]
    with writable_store.session() as session:
        labels = session.execute(
            select(Order.id, StatusLabel.name)
            .join(StatusLabel, StatusLabel.id == Order.status_label_id)
            .where(Order.id.in_(rows.values()))
        )
        assert {name for _, name in labels} == {"Tracking Imported"}
        updates = session.execute(
            select(StatusUpdate.order_id).where(StatusUpdate.event == "tracking_number_imported")
        ).scalars()
        assert sorted(updates) == sorted(rows.values())
        owners = session.execute(
            select(Shipment.order_id)
            .join(TrackingNumber, TrackingNumber.shipment_id == Shipment.id)
            .where(TrackingNumber.number == SHOWCASE_TRACKING[0])
        ).scalars()
        assert len(list(owners)) == 1  # the duplicate was not imported a second time
    dialog.reject()
    assert not dialog.isVisible()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "The tracking file is empty."),
        (b"\xef\xbb\xbf", "The tracking file is empty."),
        (b"Order,Ship date\n1001,2026-11-20\n", "Line 1 must name the columns"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff\xfe", "is not a UTF-8 text (CSV) file."),
    ],
    ids=["empty", "only-a-bom", "missing-columns", "not-csv"],
)
def test_import__a_bad_file_says_why_and_cannot_import(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "tracking.csv"
    path.write_bytes(content)
    dialog = open_dialog(qtbot, window)
    assert preview(qtbot, dialog, path) is None
    assert problem in dialog.file_error.text()
    assert dialog.file_error.isVisibleTo(dialog)
    assert not dialog.import_button.isEnabled()
    assert dialog.good_table.rowCount() == 0


def test_import__a_folder_or_a_missing_file_says_why(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    dialog = open_dialog(qtbot, window)
    preview(qtbot, dialog, tmp_path)
    assert dialog.file_error.text() == f"{tmp_path} cannot be read: Is a directory."
    preview(qtbot, dialog, tmp_path / "gone.csv")
    assert dialog.file_error.text() == f"There is no file {tmp_path / 'gone.csv'}."


def test_import__cancel_keeps_what_is_done_and_stops(
    qtbot: QtBot,
    window: MainWindow,
    writable_store: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    orders = [window.model.index(r, 0).data(OrderIdRole) for r in range(1, 21)]
    numbers = [window.model.index(r, 0).data() for r in range(1, 21)]
    path = tmp_path / "many.csv"
    path.write_text(
        "Order,Tracking\n" + "".join(f"{n},1ZMANY{i:04d}\n" for i, n in enumerate(numbers))
    )
    gate, entered = threading.Event(), threading.Event()
    real_enter = tracking_import.enter_tracking

    def held_first(session: Session, order_id: int, *args: Any, **kwargs: Any) -> object:
        if order_id == orders[0]:
            entered.set()
            assert gate.wait(10), "the test never let the first order through"
        return real_enter(session, order_id, *args, **kwargs)

    monkeypatch.setattr(tracking_import, "enter_tracking", held_first)
    monkeypatch.setattr(tracking_import, "run_bulk", partial(run_bulk, chunk_size=1))
    dialog = open_dialog(qtbot, window)
    preview(qtbot, dialog, path)
    assert dialog.good_table.rowCount() == 20
    dialog.import_button.click()
    assert dialog.progress.isVisible()
    assert not dialog.import_button.isEnabled()
    assert entered.wait(10), "the import never reached the first order"
    with qtbot.waitSignal(dialog.import_did_finish, timeout=10_000) as finished:
        dialog.close_button.click()  # Cancel while importing stops the import, not the dialog
        assert dialog.isVisible()
        gate.set()
    result = finished.args[0]
    assert result.cancelled
    assert [row.order_id for row in result.imported] == orders[:1]
    assert "Cancelled before the end" in dialog.summary.text()
    assert numbers_of(writable_store, orders[0]) == ["1ZMANY0000"]
    assert all(numbers_of(writable_store, order_id) == [] for order_id in orders[1:])
