"""Redraw the status screenshots: `python docs/screenshots/make_status_screenshots.py`.

Builds the GUI tests' store in a scratch folder, loads the default status events (plus one
assignment that collides, so the warning line shows) and saves status-events-editor.png,
ship-dialog.png (with a problem flagged at its field), status-labels.png and
main-window-actions.png (the toolbar with three orders selected).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # this checkout's packages, not an installed copy
sys.path.insert(0, str(HERE))


def main() -> int:
    from make_screenshots import scratch_workstation, wait_until

    scratch = scratch_workstation()

    from PySide6.QtCore import QItemSelection, QItemSelectionModel
    from PySide6.QtWidgets import QApplication

    from ordermanager.db import location
    from ordermanager.db.migrate import open_database
    from ordermanager.settings import set_setting
    from ordermanager.status.defaults import load_defaults
    from ordermanager.status.events import Event, set_assignment
    from tests.ui.conftest import build_store
    from ui.app import application
    from ui.main_window import MainWindow
    from ui.orders.action_dialogs import ShipDialog
    from ui.status_events.editor import StatusEventsDialog
    from ui.status_events.labels_dialog import LabelsDialog
    from ui.tasks import TaskManager

    store = scratch / "store.sqlite3"
    build_store(store)
    database = open_database(location.parse_url(str(store)))
    with database.transaction() as session:
        set_setting(session, "UseStatusUpdates", True)
        load_defaults(session, force=True)
        set_assignment(session, Event.ORDER_COMPLETED, order_label="Order Shipped")
    app = application()
    QApplication.setStyle("Fusion")
    tasks = TaskManager()

    window = MainWindow(database, tasks, store_title="Demo store")
    window.resize(1400, 850)
    window.show()
    model = window.model
    wait_until(lambda: model.is_row_loaded(0) and window.filter_bar.label_combo.count() > 1)
    selection = QItemSelection(model.index(0, 0), model.index(2, 0))
    window.table.selectionModel().select(
        selection,
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )
    window.table.selectionModel().setCurrentIndex(
        model.index(0, 0), QItemSelectionModel.SelectionFlag.NoUpdate
    )
    wait_until(lambda: window.detail.shown_order is not None)
    app.processEvents()
    window.grab().save(str(HERE / "main-window-actions.png"))

    opened: list[ShipDialog] = []
    window.order_actions.dialog_did_open.connect(opened.append)
    window.table.selectRow(0)
    window.order_actions.ship_action.trigger()
    wait_until(lambda: bool(opened))
    ship = opened[0]
    ship.carrier_combo.setCurrentText("UPS")
    ship.tracking_edit.setPlainText("1Z999AA10123456784\n" + "1Z" + "9" * 110)
    ship.validate()
    app.processEvents()
    ship.grab().save(str(HERE / "ship-dialog.png"))
    ship.reject()

    dialog = StatusEventsDialog(database, tasks, window)
    dialog.resize(860, 760)
    dialog.show()
    loaded: list[bool] = []
    dialog.editor.assignments_did_load.connect(lambda: loaded.append(True))
    wait_until(lambda: bool(loaded))
    editor = dialog.editor
    row = editor.model.row_of(Event.ORDER_SHIPPED.value) or 0
    editor.view.selectRow(row)
    app.processEvents()
    dialog.grab().save(str(HERE / "status-events-editor.png"))

    labels = LabelsDialog(database, tasks, window)
    labels.show()
    wait_until(lambda: labels.list.count() > 0)
    labels.select_label("Backordered")
    labels.name_edit.setText("Order Shipped")
    labels.add_button.click()
    wait_until(lambda: bool(labels.error_text))
    app.processEvents()
    labels.grab().save(str(HERE / "status-labels.png"))
    labels.close()

    dialog.close()
    window.close()
    tasks.shutdown()
    database.dispose()
    print(f"saved the status screenshots in {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
