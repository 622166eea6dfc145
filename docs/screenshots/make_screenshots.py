"""Redraw the screenshots in this folder: `python docs/screenshots/make_screenshots.py [STORE]`.

Opens the main window offscreen on a store (default: the demo store in the data folder), selects
a recent order that has several items, tracking numbers and label history, and saves
main-window.png; then saves first-run.png, the offer shown when nothing is configured.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # this checkout's packages, not an installed copy
SIZE = (1400, 850)


def _offscreen_with_a_big_screen() -> None:
    # The offscreen platform's default screen is 800x800, which would squeeze the window.
    config = Path(tempfile.mkdtemp()) / "offscreen.json"
    screen = {
        "name": "shot",
        "x": 0,
        "y": 0,
        "width": 1920,
        "height": 1200,
        "logicalDpi": 96,
        "logicalBaseDpi": 96,
        "dpr": 1,
    }
    config.write_text(json.dumps({"synchronousWindowSystemEvents": True, "screens": [screen]}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"


def scratch_workstation() -> Path:
    """Offscreen Qt on a big screen, and config and data folders of a scratch workstation, so the
    screenshots neither pick up nor change this workstation's settings and window layout."""
    _offscreen_with_a_big_screen()
    scratch = Path(tempfile.mkdtemp())
    os.environ["ORDERMANAGER_CONFIG_DIR"] = str(scratch / "config")
    os.environ["ORDERMANAGER_DATA_DIR"] = str(scratch / "data")
    return scratch


def wait_until(condition: Callable[[], object], timeout_ms: int = 20_000) -> None:
    """Run the event loop until ``condition()`` holds (the windows load in the background)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    waited = 0
    while not condition():
        QTimer.singleShot(20, loop.quit)
        loop.exec()
        waited += 20
        if waited > timeout_ms:
            raise TimeoutError("the window did not get there in time")


def main(argv: list[str]) -> int:
    _offscreen_with_a_big_screen()
    # Screenshots must not pick up (or change) this workstation's remembered window layout.
    scratch = Path(tempfile.mkdtemp())
    os.environ["ORDERMANAGER_CONFIG_DIR"] = str(scratch / "config")
    real_data = os.environ.get("ORDERMANAGER_DATA_DIR")
    os.environ["ORDERMANAGER_DATA_DIR"] = str(scratch / "data")

    from PySide6.QtWidgets import QAbstractItemView, QApplication

    from ordermanager.db import location
    from ordermanager.db.migrate import open_database
    from ordermanager.orders.detail import load_order_detail
    from ordermanager.orders.query import fetch_orders
    from ordermanager.workstation import data_dir
    from ui.app import application
    from ui.first_run import first_run_dialog
    from ui.main_window import MainWindow
    from ui.tasks import TaskManager

    if real_data is not None:
        os.environ["ORDERMANAGER_DATA_DIR"] = real_data
    store = Path(argv[1]) if len(argv) > 1 else data_dir() / "demo.sqlite3"
    os.environ["ORDERMANAGER_DATA_DIR"] = str(scratch / "data")
    app = application()
    QApplication.setStyle("Fusion")

    database = open_database(location.parse_url(str(store)))
    with database.session() as session:
        showcase = 0
        for row in fetch_orders(session, limit=400):
            detail = load_order_detail(session, row.id)
            tracked = any(s.tracking_numbers for s in detail.shipments)
            if tracked and len(detail.items) >= 3 and len(detail.history) >= 3:
                showcase = row.id
                break
    tasks = TaskManager()
    window = MainWindow(database, tasks, store_title="Demo store")
    window.resize(*SIZE)
    window.show()
    model = window.model
    wait_until(lambda: model.is_row_loaded(0) and window.filter_bar.label_combo.count() > 1)
    row = model.row_of_order(showcase) if showcase else 0
    window.table.selectRow(row or 0)
    window.table.scrollTo(model.index(row or 0, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
    wait_until(lambda: window.detail.shown_order is not None)
    wait_until(lambda: not model.is_loading)
    app.processEvents()
    window.grab().save(str(HERE / "main-window.png"))

    box = first_run_dialog()
    box.show()
    app.processEvents()
    box.grab().save(str(HERE / "first-run.png"))
    box.close()

    window.close()
    tasks.shutdown()
    database.dispose()
    print(f"saved {HERE / 'main-window.png'} and {HERE / 'first-run.png'} (store: {store})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
