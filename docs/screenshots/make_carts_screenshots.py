"""Redraw the Carts dialog screenshots: `python docs/screenshots/make_carts_screenshots.py`.

Builds a scratch store with the default labels and four carts, added through the same core calls
as the dialog (their secrets go to a private gnome-keyring on its own D-Bus, started here, never
to the keyring of whoever runs this), starts the fake WooCommerce store on 127.0.0.1 so Test
Connection really connects, and saves:

- carts-dialog.png: Setup ▸ Carts… with the list, over it the Edit form of the WooCommerce cart
  after a successful Test Connection (secrets as dots, never their text);
- carts-status-mapping.png: the same form's Status Mapping tab, with one mapping of the cart's
  own and a store label without a mapping flagged.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # this checkout's packages, not an installed copy
sys.path.insert(0, str(HERE))


def main() -> int:
    from make_screenshots import scratch_workstation, wait_until

    from tests import keyring_service

    scratch = scratch_workstation()
    missing = keyring_service.missing_tools()
    if missing:
        print(f"cannot draw the carts screenshots: {', '.join(missing)} not installed")
        return 1
    with keyring_service.private_keyring(scratch / "keyring") as env:
        os.environ.update({k: v for k, v in env.items() if k != "HOME"})
        return draw(scratch, wait_until)


def draw(scratch: Path, wait_until: object) -> int:
    import keyring
    from keyring.backends.SecretService import Keyring as SecretServiceKeyring
    from PySide6.QtGui import QPainter, QPixmap
    from PySide6.QtWidgets import QApplication, QComboBox, QWidget
    from sqlalchemy import update

    from ordermanager.carts import admin
    from ordermanager.carts.status_map import ActionKind, CartAction, set_mapping
    from ordermanager.db import location
    from ordermanager.db.migrate import open_database
    from ordermanager.db.models import Cart, StatusLabel
    from ordermanager.status.defaults import load_defaults
    from tests import factories
    from tests.cart_support.fake_woocommerce import FakeWooCommerce, make_order
    from ui.app import application
    from ui.carts.cart_form import CartFormDialog
    from ui.carts.carts_dialog import CartsDialog
    from ui.tasks import TaskManager

    assert callable(wait_until)
    keyring.set_keyring(SecretServiceKeyring())
    app = application()
    QApplication.setStyle("Fusion")

    database = open_database(location.parse_url(str(scratch / "store.sqlite3"), "saved setting"))
    woo_key, woo_secret = "ck_9f2c41d7e0b35a86", "cs_61ad0e9b7c24f318"
    shop = FakeWooCommerce(consumer_key=woo_key, consumer_secret=woo_secret)
    now = datetime.now(UTC)
    shop.add(*(make_order(n, modified=now - timedelta(hours=n)) for n in range(1, 1285)))
    with shop:
        with database.transaction() as session:
            load_defaults(session, force=True)
            factories.label(session, "Gift Wrapped")
        harbor = admin.add_cart(
            database, "woocommerce", "Harbor Outfitters", shop.base_url, "auto-invoice", 10,
            {"consumer_key": woo_key, "consumer_secret": woo_secret},
        )  # fmt: skip
        admin.add_cart(
            database, "shopify", "Juniper & Co", "https://juniper-co.myshopify.com",
            "wait-for-invoice", 15, {"access_token": "shpat_not_a_real_token"},
        )  # fmt: skip
        admin.add_cart(
            database, "bigcommerce", "Northwind Wholesale",
            "https://api.bigcommerce.com/stores/x7k2p9", "auto-invoice", 30,
            {"access_token": "not-a-real-token"},
        )  # fmt: skip
        admin.add_cart(
            database, "generic", "Workshop Shop", "https://workshop.example/ordermanager.php",
            "auto-invoice", 60, {"status_secret": "not-a-real-secret"},
        )  # fmt: skip
        with database.transaction() as session:
            for name, ago in (
                ("Harbor Outfitters", 4),
                ("Juniper & Co", 11),
                ("Northwind Wholesale", 26),
            ):
                session.execute(
                    update(Cart)
                    .where(Cart.name == name)
                    .values(last_sync_at=now - timedelta(minutes=ago))
                )
            labels = {label.name: label.id for label in session.query(StatusLabel)}
            set_mapping(
                session, harbor.id, labels["Backordered"],
                CartAction(ActionKind.SET_STATUS, "on-hold", notify_customer=True),
            )  # fmt: skip

        tasks = TaskManager()
        dialog = CartsDialog(database, tasks)
        dialog.resize(980, 330)
        dialog.move(0, 0)
        dialog.show()
        wait_until(lambda: len(dialog.carts.carts) == 4)
        dialog.carts.select_cart("Harbor Outfitters")
        forms: list[CartFormDialog] = []
        dialog.carts.form_did_open.connect(forms.append)
        dialog.carts.edit_button.click()
        wait_until(lambda: bool(forms) and forms[0].isVisible())
        form = forms[0]
        form.resize(860, 440)
        tested: list[bool] = []
        form.connection_did_test.connect(lambda worked, _text: tested.append(worked))
        # Typed anew to show the masked field; the shot must never carry the text.
        form.secret_fields["consumer_secret"].edit.setText(woo_secret)
        form.test_button.click()
        wait_until(lambda: bool(tested))
        assert tested == [True], form.test_result.text()

        def save_pair(name: str) -> None:
            # The list above, the form it opened below: both whole, nothing hidden.
            app.processEvents()
            back, front = dialog.grab(), form.grab()
            gap, indent = 16, 60
            canvas = QPixmap(
                max(back.width(), indent + front.width()), back.height() + gap + front.height()
            )
            canvas.fill(app.palette().window().color().darker(110))
            painter = QPainter(canvas)
            painter.drawPixmap(0, 0, back)
            painter.drawPixmap(indent, back.height() + gap, front)
            painter.end()
            canvas.save(str(HERE / name))
            print(f"saved {name}")

        def save(widget: QWidget, name: str) -> None:
            app.processEvents()
            widget.grab().save(str(HERE / name))
            print(f"saved {name}")

        save_pair("carts-dialog.png")

        form.tabs.setCurrentIndex(1)
        editor = form.mapping_editor
        assert editor is not None
        wait_until(lambda: editor.table.rowCount() > 0)
        form.resize(980, 760)
        app.processEvents()
        gift = next(
            r
            for r in range(editor.table.rowCount())
            if editor.table.item(r, 0).text() == "Gift Wrapped"  # type: ignore[union-attr]
        )
        editor.table.scrollToItem(editor.table.item(gift, 0))
        combo = editor.table.cellWidget(gift, 1)
        assert isinstance(combo, QComboBox) and combo.currentIndex() == -1
        save(form, "carts-status-mapping.png")

        form.reject()
        dialog.reject()
        tasks.shutdown()
    database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
