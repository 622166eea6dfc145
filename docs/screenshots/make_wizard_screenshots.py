"""Redraw the Store Setup Wizard and Settings screenshots:
`python docs/screenshots/make_wizard_screenshots.py`.

Builds the GUI tests' store in a scratch folder (three carts, given web addresses here), loads the
default status events, walks the wizard page by page as an operator would and saves one
wizard-N-PAGE.png per page, then settings-dialog.png with a mistyped e-mail flagged at its field.
The Database page tests the connection to the local PostgreSQL server when one answers.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # this checkout's packages, not an installed copy
sys.path.insert(0, str(HERE))

CART_URLS = {
    "Harbor Outfitters": "https://harbor-outfitters.example",
    "Juniper & Co": "https://juniper-co.myshopify.example",
    "Northwind Wholesale": "https://shop.northwind.example",
}


def main() -> int:
    from make_screenshots import scratch_workstation, wait_until

    scratch = scratch_workstation()

    from PySide6.QtWidgets import QApplication, QWidget
    from sqlalchemy import update

    from ordermanager.db import location
    from ordermanager.db.migrate import open_database
    from ordermanager.db.models import Cart
    from ordermanager.settings import StackControllerMode
    from ordermanager.status.defaults import load_defaults
    from tests.ui.conftest import build_store
    from ui.app import application
    from ui.settings_dialog import SettingsDialog
    from ui.tasks import TaskManager
    from ui.wizard.wizard import Page, StoreSetupWizard

    def save(widget: QWidget, name: str) -> None:
        app.processEvents()
        widget.grab().save(str(HERE / name))
        print(f"saved {name}")

    store = scratch / "store.sqlite3"
    build_store(store)
    database = open_database(location.parse_url(str(store), "saved setting"))
    with database.transaction() as session:
        load_defaults(session, force=True)
        for name, url in CART_URLS.items():
            session.execute(update(Cart).where(Cart.name == name).values(base_url=url))
    app = application()
    QApplication.setStyle("Fusion")
    tasks = TaskManager()

    wizard = StoreSetupWizard(database, tasks)
    wizard.resize(860, 700)
    wizard.show()
    wait_until(lambda: wizard.loaded is not None)

    store_group = wizard.store_page.group
    store_group.name_field.edit.setText("Harbor Outfitters")
    store_group.email_field.edit.setText("orders@harbor-outfitters.example")
    save(wizard, "wizard-1-store-details.png")

    wizard.next()
    page = wizard.database_page
    page.postgres_radio.setChecked(True)
    page.host_field.edit.setText("127.0.0.1")
    page.port_field.edit.setText("5432")
    page.database_field.edit.setText("postgres")
    page.user_field.edit.setText("postgres")
    checked: list[object] = []
    page.connection_did_check.connect(checked.append)
    page.test_button.click()
    wait_until(lambda: bool(checked))
    save(wizard, "wizard-2-database.png")
    page.sqlite_radio.setChecked(True)  # the shot shows the test; the store stays on SQLite

    wizard.next()
    oss = wizard.order_status_page.group
    oss.use_updates_check.setChecked(True)
    oss.send_updates_check.setChecked(True)
    oss.url_field.edit.setText("https://status.harbor-outfitters.example/api")
    oss.account_field.edit.setText("harbor-outfitters")
    oss.password_field.edit.setText("not-a-real-password")
    save(wizard, "wizard-3-order-status-system.png")

    wizard.next()
    editor = wizard.events_page.editor
    wait_until(lambda: editor.model.rowCount() > 0)
    save(wizard, "wizard-4-status-events.png")

    wizard.next()
    wizard.stack_page.group.radios[StackControllerMode.SHARED].setChecked(True)
    save(wizard, "wizard-5-stack-controller.png")

    wizard.next()
    save(wizard, "wizard-6-carts.png")

    wizard.next()
    assert wizard.currentId() == Page.FINISH
    save(wizard, "wizard-7-finish.png")
    wizard.reject()

    dialog = SettingsDialog(database, tasks)
    dialog.resize(640, 0)
    dialog.show()
    wait_until(lambda: dialog.loaded is not None)
    dialog.store_group.name_field.edit.setText("Harbor Outfitters")
    dialog.store_group.email_field.edit.setText("orders@harbor-outfitters")
    dialog.order_status_group.use_updates_check.setChecked(True)
    dialog.adjustSize()
    save(dialog, "settings-dialog.png")
    dialog.reject()

    tasks.shutdown()
    database.dispose()
    print(f"saved the wizard screenshots in {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
