"""Setup ▸ Settings… on a real store: OK and Apply write, Cancel writes nothing, a bad value is
flagged at its field, and the Order Status System password goes only to the keyring."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import keyring
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QCheckBox, QRadioButton
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ordermanager.db.engine import Database
from ordermanager.db.models import SystemParameter
from ordermanager.oss_account import KEYRING_SERVICE
from ordermanager.settings import StackControllerMode, all_settings, set_setting
from ui.main_window import MainWindow
from ui.settings_dialog import SettingsDialog
from ui.tasks import TaskManager
from ui.wizard.fields import CheckedField


@pytest.fixture
def open_dialog(qtbot: QtBot, tasks: TaskManager) -> Iterator[Callable[[Database], SettingsDialog]]:
    dialogs: list[SettingsDialog] = []

    def open_one(database: Database) -> SettingsDialog:
        dialog = SettingsDialog(database, tasks)
        qtbot.addWidget(dialog)
        with qtbot.waitSignal(dialog.settings_did_load):
            dialog.show()
        dialogs.append(dialog)
        return dialog

    yield open_one
    for dialog in dialogs:
        if dialog.isVisible():
            dialog.reject()


def click(qtbot: QtBot, widget: QAbstractButton) -> None:
    if isinstance(widget, QCheckBox | QRadioButton):
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(6, widget.height() // 2))
    else:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def type_into(qtbot: QtBot, field: CheckedField, text: str) -> None:
    field.edit.clear()
    qtbot.keyClicks(field.edit, text)


def stored(database: Database) -> dict[str, Any]:
    with database.session() as session:
        return all_settings(session)


def stored_rows(database: Database) -> list[tuple[str, str]]:
    with database.session() as session:
        rows = session.execute(select(SystemParameter).order_by(SystemParameter.name)).scalars()
        return [(p.name, p.value) for p in rows]


@pytest.fixture
def named_store(any_db: Database) -> Database:
    with any_db.transaction() as session:
        set_setting(session, "StoreName", "Harbor Outfitters")
        set_setting(session, "StoreEmail", "orders@harbor.example")
    return any_db


def test_settings__ok_writes_the_changes_and_closes(
    qtbot: QtBot, named_store: Database, open_dialog: Callable[[Database], SettingsDialog]
) -> None:
    dialog = open_dialog(named_store)
    assert dialog.store_group.name_field.text() == "Harbor Outfitters"
    type_into(qtbot, dialog.store_group.name_field, "Harbor Outfitters West")
    click(qtbot, dialog.order_status_group.use_updates_check)
    click(qtbot, dialog.stack_group.radios[StackControllerMode.EXTERNAL])
    assert dialog.stack_group.warning_label.isVisibleTo(dialog) is named_store.location.is_sqlite
    with qtbot.waitSignal(dialog.settings_did_save) as saved:
        click(qtbot, dialog.ok_button)
    assert set(saved.args[0]) == {"StoreName", "UseStatusUpdates", "StackControllerMode"}
    qtbot.waitUntil(lambda: not dialog.isVisible())
    settings = stored(named_store)
    assert settings["StoreName"] == "Harbor Outfitters West"
    assert settings["UseStatusUpdates"] is True
    assert settings["StackControllerMode"] == "external"
    assert settings["StoreEmail"] == "orders@harbor.example"


def test_settings__cancel_writes_nothing(
    qtbot: QtBot, named_store: Database, open_dialog: Callable[[Database], SettingsDialog]
) -> None:
    before = stored_rows(named_store)
    dialog = open_dialog(named_store)
    type_into(qtbot, dialog.store_group.name_field, "Changed My Mind")
    click(qtbot, dialog.order_status_group.use_updates_check)
    click(qtbot, dialog.cancel_button)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert stored_rows(named_store) == before


def test_settings__a_bad_value_is_flagged_and_ok_stays_disabled(
    qtbot: QtBot, writable_store: Database, open_dialog: Callable[[Database], SettingsDialog]
) -> None:
    dialog = open_dialog(writable_store)
    store = dialog.store_group
    type_into(qtbot, store.name_field, "Harbor")
    type_into(qtbot, store.email_field, "orders@harbor")
    assert store.email_field.error_label.isVisibleTo(dialog)
    assert "'orders@harbor' is not an e-mail address" in store.email_field.error_label.text()
    assert not dialog.ok_button.isEnabled() and not dialog.apply_button.isEnabled()

    type_into(qtbot, store.name_field, "x" * 101)
    assert "at most 100 characters (101 now)" in store.name_field.error_label.text()
    store.name_field.edit.clear()
    assert store.name_field.error_label.text() == "Enter the store's name."

    type_into(qtbot, store.name_field, "Harbor")
    type_into(qtbot, store.email_field, "orders@harbor.example")
    oss = dialog.order_status_group
    click(qtbot, oss.send_updates_check)
    type_into(qtbot, oss.url_field, "status.harbor.example")
    assert "must start with http:// or https://" in oss.url_field.error_label.text()
    assert not dialog.ok_button.isEnabled()
    assert stored(writable_store)["StoreName"] == ""

    click(qtbot, oss.send_updates_check)  # off again: the account is not needed
    assert not oss.url_field.isEnabled() and dialog.ok_button.isEnabled()


def test_settings__apply_writes_and_stays_open(
    qtbot: QtBot, named_store: Database, open_dialog: Callable[[Database], SettingsDialog]
) -> None:
    dialog = open_dialog(named_store)
    type_into(qtbot, dialog.store_group.email_field, "")
    with qtbot.waitSignal(dialog.settings_did_save):
        click(qtbot, dialog.apply_button)
    assert dialog.isVisible()
    assert stored(named_store)["StoreEmail"] == ""
    assert dialog.ok_button.isEnabled()


def test_settings__oss_password_goes_only_to_the_keyring(
    qtbot: QtBot,
    named_store: Database,
    open_dialog: Callable[[Database], SettingsDialog],
    real_keyring: keyring.backend.KeyringBackend,
) -> None:
    password = "Oss-Only-In-Keyring-51"
    dialog = open_dialog(named_store)
    oss = dialog.order_status_group
    click(qtbot, oss.send_updates_check)
    type_into(qtbot, oss.url_field, "https://status.harbor.example")
    type_into(qtbot, oss.account_field, "harbor")
    assert not dialog.ok_button.isEnabled()
    # Untouched, the empty password field says "Required" instead of showing red at once.
    assert oss.password_field.problem() == "Enter the account's password."
    assert oss.password_field.edit.placeholderText() == "Required"
    assert not oss.password_field.error_label.isVisibleTo(dialog)
    oss.password_field.show_problem()
    assert oss.password_field.error_label.text() == "Enter the account's password."
    type_into(qtbot, oss.password_field, password)
    with qtbot.waitSignal(dialog.settings_did_save):
        click(qtbot, dialog.apply_button)
    assert keyring.get_password(KEYRING_SERVICE, "harbor") == password
    assert all(password not in value for _name, value in stored_rows(named_store))
    # Shown again as stored: the field is empty and says a password is saved.
    assert oss.password_field.text() == ""
    assert "saved in the keyring" in oss.password_field.edit.placeholderText()
    assert dialog.ok_button.isEnabled()


def test_settings__no_keyring_means_nothing_is_saved(
    qtbot: QtBot, writable_store: Database, open_dialog: Callable[[Database], SettingsDialog]
) -> None:
    # The tests' default keyring refuses everything, like a desktop without one.
    before = stored_rows(writable_store)
    dialog = open_dialog(writable_store)
    type_into(qtbot, dialog.store_group.name_field, "Harbor")
    oss = dialog.order_status_group
    click(qtbot, oss.send_updates_check)
    type_into(qtbot, oss.url_field, "https://status.harbor.example")
    type_into(qtbot, oss.account_field, "harbor")
    type_into(qtbot, oss.password_field, "Pw-Nowhere-8")
    with qtbot.waitSignal(dialog.settings_did_fail) as failed:
        click(qtbot, dialog.ok_button)
    message = failed.args[0]
    assert message.startswith("Nothing was saved: ") and "keyring" in message
    assert "Pw-Nowhere-8" not in message
    assert dialog.isVisible() and dialog.error_label.text() == message
    assert stored_rows(writable_store) == before


def test_main_window__ctrl_comma_opens_the_settings(
    qtbot: QtBot, open_writable_window: Callable[[], MainWindow]
) -> None:
    window = open_writable_window()
    window.settings_action.trigger()
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.loaded is not None)
    assert dialog.isEnabled()
    dialog.reject()
