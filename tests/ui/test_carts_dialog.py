"""The Carts dialog through its real widgets: a WooCommerce cart added against the fake
WooCommerce store on 127.0.0.1 (Test Connection really asks it), bad values flagged at their
fields, secrets only in this test run's own keyring, and a Status Mapping edit that the stack's
senders then read (``load_status_map``)."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from PySide6.QtWidgets import QComboBox, QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from ordermanager.carts import admin
from ordermanager.carts.status_map import ActionKind, CartAction, load_status_map
from ordermanager.db.engine import Database
from ordermanager.secrets import CART_SERVICE
from ordermanager.status.defaults import load_defaults
from tests import factories
from tests.cart_support.fake_woocommerce import FakeWooCommerce
from ui.carts.cart_form import CartFormDialog
from ui.carts.carts_dialog import CartsDialog
from ui.carts.status_mapping import UNMAPPED_TEXT, Column, StatusMappingEditor
from ui.tasks import TaskManager
from ui.wizard.fields import CheckedField

KEY = "ck_test_0123456789abcdef"
SECRET = "cs_test_fedcba9876543210"


@pytest.fixture
def shop() -> Iterator[FakeWooCommerce]:
    with FakeWooCommerce(consumer_key=KEY, consumer_secret=SECRET) as fake:
        yield fake


@pytest.fixture
def database(sqlite_db: Database) -> Database:
    with sqlite_db.transaction() as session:
        load_defaults(session, force=True)
        factories.label(session, "Gift Wrapped")  # a label of the store's own: no default
    return sqlite_db


@pytest.fixture
def dialog(qtbot: QtBot, database: Database, tasks: TaskManager) -> Iterator[CartsDialog]:
    window = CartsDialog(database, tasks)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.carts.carts_did_load):
        window.show()
    yield window
    window.close()


def open_form(qtbot: QtBot, dialog: CartsDialog, edit: bool = False) -> CartFormDialog:
    with qtbot.waitSignal(dialog.carts.form_did_open) as opened:
        button = dialog.carts.edit_button if edit else dialog.carts.add_button
        qtbot.mouseClick(button, _left())
    form = opened.args[0]
    assert isinstance(form, CartFormDialog)
    qtbot.waitUntil(form.isVisible)
    return form


def _left():  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def type_into(qtbot: QtBot, field: CheckedField, value: str) -> None:
    field.edit.clear()
    qtbot.keyClicks(field.edit, value)


def shown_texts(form: CartFormDialog) -> str:
    return " ".join(label.text() for label in form.findChildren(QLabel))


def test_add_woocommerce_cart__fields_checked__tested__saved_with_secrets_in_keyring(
    qtbot: QtBot,
    dialog: CartsDialog,
    database: Database,
    shop: FakeWooCommerce,
    real_keyring: keyring.backend.KeyringBackend,
) -> None:
    assert dialog.carts.table.rowCount() == 0 and dialog.carts.empty_label.isVisibleTo(dialog)
    form = open_form(qtbot, dialog)
    form.kind_combo.setCurrentIndex(form.kind_combo.findData("shopify"))
    assert "https://STORE.myshopify.com" in form.kind_hint.text()
    form.kind_combo.setCurrentIndex(form.kind_combo.findData("woocommerce"))
    assert list(form.secret_fields) == ["consumer_key", "consumer_secret"]
    assert all(f.edit.echoMode() == f.edit.EchoMode.Password for f in form.secret_fields.values())
    assert not form.save_button.isEnabled()

    # Bad values: each flagged at its own field, Save stays disabled.
    type_into(qtbot, form.name_field, "Harbor:Outfitters")
    assert "cannot contain ':'" in form.name_field.error_label.text()
    assert form.name_field.error_label.isVisibleTo(form)
    type_into(qtbot, form.url_field, "ftp://harbor.example")
    assert "http:// or https://" in form.url_field.error_label.text()
    type_into(qtbot, form.interval_field, "0")
    assert "between 1 and 1440" in form.interval_field.error_label.text()
    assert not form.save_button.isEnabled()

    type_into(qtbot, form.name_field, "Harbor Outfitters")
    type_into(qtbot, form.url_field, shop.base_url)
    type_into(qtbot, form.interval_field, "10")
    assert not form.name_field.error_label.isVisibleTo(form)
    assert not form.save_button.isEnabled()  # the secrets are still missing

    # Test Connection with a wrong secret: red, the store's refusal, no secret in it.
    type_into(qtbot, form.secret_fields["consumer_key"], KEY)
    type_into(qtbot, form.secret_fields["consumer_secret"], "cs_wrong_0000")
    with qtbot.waitSignal(form.connection_did_test, timeout=15_000) as tested:
        qtbot.mouseClick(form.test_button, _left())
    assert tested.args[0] is False
    assert form.test_result.text().startswith("✖ ") and "c42b1c" in form.test_result.styleSheet()
    assert "cs_wrong_0000" not in shown_texts(form)

    type_into(qtbot, form.secret_fields["consumer_secret"], SECRET)
    assert not form.test_result.isVisibleTo(form)  # the old verdict no longer applies
    with qtbot.waitSignal(form.connection_did_test, timeout=15_000) as tested:
        qtbot.mouseClick(form.test_button, _left())
    expected = f"Connected to WooCommerce at {shop.base_url}; 0 orders in the store."
    assert tested.args == [True, expected]
    assert form.test_result.text() == f"✔ {expected}"
    assert "1e7b34" in form.test_result.styleSheet()
    assert SECRET not in shown_texts(form) and KEY not in shown_texts(form)

    form.mode_combo.setCurrentIndex(form.mode_combo.findData("wait-for-invoice"))
    assert "only once invoiced" in form.mode_hint.text()
    assert form.save_button.isEnabled()
    with qtbot.waitSignals([form.finished, dialog.carts.carts_did_load]):
        qtbot.mouseClick(form.save_button, _left())

    table = dialog.carts.table
    row = [table.item(0, c).text() for c in range(table.columnCount())]  # type: ignore[union-attr]
    assert row == [
        "Harbor Outfitters",
        "WooCommerce",
        shop.base_url,
        "Wait-For-Invoice",
        "10 min",
        "never",
    ]
    assert keyring.get_password(CART_SERVICE, "Harbor Outfitters:consumer_secret") == SECRET
    assert keyring.get_password(CART_SERVICE, "Harbor Outfitters:consumer_key") == KEY
    with database.session() as session:
        stored = repr(session.execute(text("SELECT * FROM carts")).all())
    assert SECRET not in stored and KEY not in stored and "wait-for-invoice" in stored


def test_edit__empty_secrets_keep_the_stored_ones__and_name_taken_is_flagged(
    qtbot: QtBot,
    dialog: CartsDialog,
    database: Database,
    shop: FakeWooCommerce,
    real_keyring: keyring.backend.KeyringBackend,
) -> None:
    secrets = {"consumer_key": KEY, "consumer_secret": SECRET}
    admin.add_cart(database, "woocommerce", "Main Store", shop.base_url, secrets=secrets)
    admin.add_cart(database, "woocommerce", "Spare", "https://spare.example", secrets=secrets)
    with qtbot.waitSignal(dialog.carts.carts_did_load):
        dialog.carts.reload()
    dialog.carts.select_cart("Main Store")
    form = open_form(qtbot, dialog, edit=True)
    assert not form.kind_combo.isEnabled()
    assert form.secret_fields["consumer_secret"].text() == ""  # never shown again
    assert "leave empty to keep" in form.secret_fields["consumer_secret"].edit.placeholderText()

    type_into(qtbot, form.name_field, "spare")
    assert "already a cart named 'spare'" in form.name_field.error_label.text()
    assert not form.save_button.isEnabled()

    # Tested with the stored secrets, before anything is saved.
    with qtbot.waitSignal(form.connection_did_test, timeout=15_000) as tested:
        qtbot.mouseClick(form.test_button, _left())
    assert tested.args[0] is True

    type_into(qtbot, form.name_field, "Harbor Outfitters")
    with qtbot.waitSignal(dialog.carts.carts_did_load):
        qtbot.mouseClick(form.save_button, _left())
    assert [c.name for c in dialog.carts.carts] == ["Harbor Outfitters", "Spare"]
    assert keyring.get_password(CART_SERVICE, "Harbor Outfitters:consumer_secret") == SECRET
    assert keyring.get_password(CART_SERVICE, "Main Store:consumer_secret") is None


def mapping_row(editor: StatusMappingEditor, label: str) -> int:
    for r in range(editor.table.rowCount()):
        item = editor.table.item(r, Column.LABEL)
        if item is not None and item.text() == label:
            return r
    raise AssertionError(f"no row for {label!r}")


def test_status_mapping__edit_persists_and_the_senders_use_it(
    qtbot: QtBot,
    dialog: CartsDialog,
    database: Database,
    real_keyring: keyring.backend.KeyringBackend,
) -> None:
    secrets = {"consumer_key": KEY, "consumer_secret": SECRET}
    cart = admin.add_cart(
        database, "woocommerce", "Main Store", "https://shop.example", secrets=secrets
    )
    with qtbot.waitSignal(dialog.carts.carts_did_load):
        dialog.carts.reload()
    dialog.carts.select_cart("Main Store")
    form = open_form(qtbot, dialog, edit=True)
    editor = form.mapping_editor
    assert editor is not None
    qtbot.waitUntil(lambda: editor.table.rowCount() > 0)
    form.tabs.setCurrentIndex(1)

    # Only what WooCommerce can do is offered; its statuses for Set cart status.
    shipped = mapping_row(editor, "Order Shipped")
    action = editor.widget_at(shipped, Column.ACTION)
    assert isinstance(action, QComboBox)
    offered = [action.itemText(i) for i in range(action.count())]
    assert offered == ["Ship (with tracking)", "Cancel order", "Set cart status",
                       "Add order note", "Don't send"]  # fmt: skip
    assert editor.table.item(shipped, Column.SOURCE).text() == "default"  # type: ignore[union-attr]

    # A label of the store's own has no mapping: flagged, its updates are held.
    gift = mapping_row(editor, "Gift Wrapped")
    gift_action = editor.widget_at(gift, Column.ACTION)
    assert isinstance(gift_action, QComboBox)
    assert gift_action.currentIndex() == -1 and gift_action.placeholderText() == UNMAPPED_TEXT
    assert editor.table.item(gift, Column.SOURCE).text() == "no mapping"  # type: ignore[union-attr]

    with qtbot.waitSignal(editor.mapping_did_save):
        index = gift_action.findText("Set cart status")
        gift_action.setCurrentIndex(index)
        gift_action.activated.emit(index)
    gift = mapping_row(editor, "Gift Wrapped")
    status = editor.widget_at(gift, Column.STATUS)
    assert isinstance(status, QComboBox) and status.isEnabled()
    with qtbot.waitSignal(editor.mapping_did_save):
        index = status.findText("On hold")
        status.setCurrentIndex(index)
        status.activated.emit(index)
    with qtbot.waitSignal(editor.mapping_did_save):
        editor.widget_at(mapping_row(editor, "Gift Wrapped"), Column.NOTIFY).click()  # type: ignore[attr-defined]

    with database.session() as session:
        mapping = load_status_map(session, cart.id)
    assert mapping.action_for("Gift Wrapped") == CartAction(ActionKind.SET_STATUS, "on-hold", True)
    gift = mapping_row(editor, "Gift Wrapped")
    assert editor.table.item(gift, Column.SOURCE).text() == "this cart's own"  # type: ignore[union-attr]

    # Don't send for Order Shipped, then Reset to default brings the kind's default back.
    shipped = mapping_row(editor, "Order Shipped")
    action = editor.widget_at(shipped, Column.ACTION)
    assert isinstance(action, QComboBox)
    with qtbot.waitSignal(editor.mapping_did_save):
        index = action.findText("Don't send")
        action.setCurrentIndex(index)
        action.activated.emit(index)
    with database.session() as session:
        assert load_status_map(session, cart.id).action_for("Order Shipped") == CartAction(
            ActionKind.SKIP
        )
    reset = editor.widget_at(mapping_row(editor, "Order Shipped"), Column.RESET)
    assert reset.isEnabled()
    with qtbot.waitSignal(editor.mapping_did_save):
        qtbot.mouseClick(reset, _left())
    with database.session() as session:
        mapping = load_status_map(session, cart.id)
    assert mapping.action_for("Order Shipped") == CartAction(ActionKind.SHIP, "", True)
    assert mapping.is_default("Order Shipped")
    form.reject()


def test_generic_cart__labels_sent_as_they_are__and_remove(
    qtbot: QtBot,
    dialog: CartsDialog,
    database: Database,
    real_keyring: keyring.backend.KeyringBackend,
) -> None:
    admin.add_cart(
        database, "generic", "Script Store", "https://shop.example/om.php",
        secrets={"status_secret": "s3cr3t-value"},
    )  # fmt: skip
    with qtbot.waitSignal(dialog.carts.carts_did_load):
        dialog.carts.reload()
    dialog.carts.select_cart("Script Store")
    form = open_form(qtbot, dialog, edit=True)
    assert form.mapping_editor is None
    note = form.findChild(QLabel, "labelsSentAsTheyAre")
    assert note is not None and "labels are sent as they are" in note.text()
    form.reject()

    dialog.carts.confirm_remove = lambda _parent, _cart: True
    with qtbot.waitSignal(dialog.carts.carts_did_load):
        qtbot.mouseClick(dialog.carts.remove_button, _left())
    assert dialog.carts.table.rowCount() == 0
    assert "Removed cart “Script Store”" in dialog.carts.message_label.text()
    assert keyring.get_password(CART_SERVICE, "Script Store:status_secret") is None


def test_wizard_carts_page__embeds_the_list_and_opens_the_same_form(
    qtbot: QtBot,
    database: Database,
    tasks: TaskManager,
    real_keyring: keyring.backend.KeyringBackend,
) -> None:
    from ui.wizard.wizard import StoreSetupWizard

    secrets = {"consumer_key": KEY, "consumer_secret": SECRET}
    admin.add_cart(database, "woocommerce", "Main Store", "https://shop.example", secrets=secrets)
    wizard = StoreSetupWizard(database, tasks)
    qtbot.addWidget(wizard)
    page = wizard.carts_page
    with qtbot.waitSignals([wizard.setup_did_load, page.carts.carts_did_load]):
        wizard.show()
    qtbot.waitUntil(lambda: len(page.carts.carts) == 1)
    assert page.table.item(0, 3).text() == "Auto-Invoice"  # type: ignore[union-attr]
    page.carts.select_cart("Main Store")
    with qtbot.waitSignal(page.carts.form_did_open) as opened:
        qtbot.mouseClick(page.carts.edit_button, _left())
    form = opened.args[0]
    assert isinstance(form, CartFormDialog) and form.cart is not None
    assert form.name_field.text() == "Main Store" and form.mapping_editor is not None
    form.reject()
    wizard.reject()


def test_open_carts_dialog__for_the_main_window_menu(
    qtbot: QtBot, database: Database, tasks: TaskManager
) -> None:
    from PySide6.QtWidgets import QWidget

    from ui.carts.carts_dialog import open_carts_dialog

    with database.transaction() as session:
        factories.cart(session, "No Keys Yet", "woocommerce")  # its secrets were never stored
    parent = QWidget()
    qtbot.addWidget(parent)
    dialog = open_carts_dialog(parent, database, tasks)
    qtbot.waitUntil(lambda: dialog.isVisible() and len(dialog.carts.carts) == 1)
    assert dialog.parent() is parent and dialog.windowTitle() == "Carts"
    name = dialog.carts.table.item(0, 0)
    assert name is not None and name.text() == "No Keys Yet"
    assert "No secrets for this cart" in name.toolTip()
    dialog.close()
