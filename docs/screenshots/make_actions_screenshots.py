"""Redraw the order action screenshots: `python docs/screenshots/make_actions_screenshots.py`.

Builds the GUI tests' store in a scratch folder with the default status events and saves
order-menu.png (the order list's context menu: order-level, item-level and money actions),
tracking-import-preview.png (a CSV with good and bad rows, before importing),
item-action-dialog.png (Return Items on an order with one item not shipped),
log-payment-dialog.png (an amount flagged at its field) and refund-dialog.png (more than was
paid, flagged at its field).
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

    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication, QDialog, QMenu

    from ordermanager.db import location
    from ordermanager.db.migrate import open_database
    from ordermanager.settings import set_setting
    from ordermanager.status.defaults import load_defaults
    from tests.ui.conftest import SHOWCASE_TRACKING, build_store
    from ui.app import application
    from ui.main_window import MainWindow
    from ui.orders.item_dialogs import ItemActionDialog
    from ui.orders.money_dialogs import MoneyDialog
    from ui.orders.tracking_import_dialog import TrackingImportDialog
    from ui.tasks import TaskManager

    store = scratch / "store.sqlite3"
    build_store(store)
    database = open_database(location.parse_url(str(store)))
    with database.transaction() as session:
        set_setting(session, "UseStatusUpdates", True)
        load_defaults(session, force=True)
    app = application()
    QApplication.setStyle("Fusion")
    tasks = TaskManager()

    window = MainWindow(database, tasks, store_title="Demo store")
    window.resize(1400, 850)
    window.show()
    model = window.model
    wait_until(lambda: model.is_row_loaded(0))
    opened: list[QDialog] = []
    window.order_actions.dialog_did_open.connect(opened.append)

    def open_with(action_name: str) -> QDialog:
        opened.clear()
        getattr(window.order_actions, action_name).trigger()
        wait_until(lambda: bool(opened))
        return opened[0]

    # The context menu of one selected order.
    window.table.selectRow(0)
    wait_until(lambda: window.detail.shown_order is not None)
    window.table.customContextMenuRequested.emit(QPoint(60, 40))
    menu = window.table.findChild(QMenu)
    assert isinstance(menu, QMenu)
    wait_until(menu.isVisible)
    app.processEvents()
    menu.grab().save(str(HERE / "order-menu.png"))
    menu.close()

    # Return Items on the showcase order: the plates never shipped, so they cannot come back.
    returns = open_with("return_action")
    assert isinstance(returns, ItemActionDialog)
    returns.set_checked([900_001])
    app.processEvents()
    returns.grab().save(str(HERE / "item-action-dialog.png"))
    returns.reject()

    # Refund more than was paid.
    refund = open_with("refund_action")
    assert isinstance(refund, MoneyDialog)
    refund.amount_edit.setText("250.00")
    refund.method_combo.setCurrentText("PayPal")
    refund.entry()
    app.processEvents()
    refund.grab().save(str(HERE / "refund-dialog.png"))
    refund.reject()

    # Log a payment for another order, with a comma typed for the decimal point.
    window.table.selectRow(1)
    payment = open_with("payment_action")
    assert isinstance(payment, MoneyDialog)
    payment.amount_edit.setText("49,90")
    payment.method_combo.setCurrentText("Bank transfer")
    payment.reference_edit.setText("SEPA 2026-11-23 / RF18 5390 0754")
    payment.entry()
    app.processEvents()
    payment.grab().save(str(HERE / "log-payment-dialog.png"))
    payment.reject()

    # A tracking file from a carrier's export: good rows and every kind of bad row.
    numbers = [model.index(row, 0).data() for row in range(1, 6)]
    csv_file = scratch / "ups-export-2026-11-23.csv"
    csv_file.write_text(
        "\ufeffOrder Number;Tracking Number;Carrier\n"
        f"{numbers[0]};1Z999AA10123450001;UPS\n"
        f"{numbers[1]};1Z999AA10123450002;UPS\n"
        "WC-99999;1Z999AA10123450003;UPS\n"
        f"{numbers[2]};1Z999AA10123450002;UPS\n"
        f"{numbers[3]};1Z999AA10123450004;UPS;Ground\n"
        f"{numbers[3]};;UPS\n"
        f"{numbers[4]};{SHOWCASE_TRACKING[0]};DHL\n"
        f"{numbers[4]};00340434161234567890;DHL\n",
        encoding="utf-8",
    )
    window.table.clearSelection()
    importer = open_with("import_tracking_action")
    assert isinstance(importer, TrackingImportDialog)
    previews: list[object] = []
    importer.preview_did_load.connect(previews.append)
    importer.load(csv_file)
    wait_until(lambda: bool(previews))
    app.processEvents()
    importer.grab().save(str(HERE / "tracking-import-preview.png"))
    importer.reject()

    window.close()
    tasks.shutdown()
    database.dispose()
    print(f"saved the order action screenshots in {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
