"""The Store Setup Wizard driven through its real widgets, page by page, on real stores: what
Next allows, what Finish writes (and Cancel does not), Test Connection against the real
PostgreSQL server and an unreachable one, and the first-run opening."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import keyring
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QCheckBox, QRadioButton, QWizard
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ordermanager.db import location
from ordermanager.db.engine import Database
from ordermanager.db.location import DatabaseLocation
from ordermanager.db.models import SystemParameter
from ordermanager.oss_account import KEYRING_SERVICE
from ordermanager.settings import all_settings
from ordermanager.status.defaults import load_defaults
from ordermanager.status.events import Event, get_assignment
from ordermanager.workstation import WorkstationConfig
from tests.ui.test_status_events_editor import cell, choose_in_combo
from ui import app as app_module
from ui import startup
from ui.first_run import FirstRunChoice
from ui.main_window import MainWindow
from ui.status_events.model import Column
from ui.tasks import TaskManager
from ui.wizard.fields import CheckedField
from ui.wizard.wizard import Page, StoreSetupWizard

Next = QWizard.WizardButton.NextButton
Finish = QWizard.WizardButton.FinishButton
OSS_PASSWORD = "oss-Secret-9d1e"


@pytest.fixture(params=["sqlite", "postgresql"])
def setup_store(request: pytest.FixtureRequest) -> Database:
    """The GUI tests' store (three carts, many orders) on SQLite; an empty store on PostgreSQL."""
    return request.getfixturevalue("writable_store" if request.param == "sqlite" else "pg_db")


@pytest.fixture
def open_wizard(
    qtbot: QtBot, tasks: TaskManager
) -> Iterator[Callable[[Database], StoreSetupWizard]]:
    wizards: list[StoreSetupWizard] = []

    def open_one(database: Database) -> StoreSetupWizard:
        wizard = StoreSetupWizard(database, tasks)
        qtbot.addWidget(wizard)
        with qtbot.waitSignal(wizard.setup_did_load):
            wizard.show()
        wizards.append(wizard)
        return wizard

    yield open_one
    for wizard in wizards:
        if wizard.isVisible():
            wizard.reject()


def button(wizard: QWizard, which: QWizard.WizardButton) -> QAbstractButton:
    found = wizard.button(which)
    assert found is not None
    return found


def click(qtbot: QtBot, widget: QAbstractButton) -> None:
    """Click as the operator would: on a check box or radio button, on its indicator (their
    widgets are as wide as the page, and a click beside the text does nothing)."""
    if isinstance(widget, QCheckBox | QRadioButton):
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(6, widget.height() // 2))
    else:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def go_next(qtbot: QtBot, wizard: QWizard, expected: Page) -> None:
    assert button(wizard, Next).isEnabled()
    click(qtbot, button(wizard, Next))
    assert wizard.currentId() == expected


def type_into(qtbot: QtBot, field: CheckedField, text: str) -> None:
    field.edit.clear()
    qtbot.keyClicks(field.edit, text)


def stored_settings(database: Database) -> dict[str, Any]:
    with database.session() as session:
        return all_settings(session)


def stored_texts(database: Database) -> list[str]:
    with database.session() as session:
        return [p.value for p in session.execute(select(SystemParameter)).scalars()]


def test_wizard__every_page_checks_its_fields_and_finish_saves_it_all(
    qtbot: QtBot,
    setup_store: Database,
    open_wizard: Callable[[Database], StoreSetupWizard],
    real_keyring: keyring.backend.KeyringBackend,
) -> None:
    database = setup_store
    with database.transaction() as session:
        load_defaults(session, force=True)
    wizard = open_wizard(database)
    is_sqlite = database.location.is_sqlite

    # Store details: the name is required, the e-mail must be one.
    assert wizard.currentId() == Page.STORE
    store = wizard.store_page.group
    assert not button(wizard, Next).isEnabled()
    type_into(qtbot, store.name_field, "Harbor Outfitters")
    type_into(qtbot, store.email_field, "orders-at-harbor")
    assert store.email_field.error_label.isVisibleTo(wizard)
    assert "is not an e-mail address" in store.email_field.error_label.text()
    assert not button(wizard, Next).isEnabled()
    type_into(qtbot, store.email_field, "orders@harbor.example")
    assert not store.email_field.error_label.isVisibleTo(wizard)
    go_next(qtbot, wizard, Page.DATABASE)

    # Database: the one in use is shown and kept.
    page = wizard.database_page
    assert page.uses_postgres() is not is_sqlite
    assert page.changed_location() is None
    go_next(qtbot, wizard, Page.ORDER_STATUS)

    # Order Status System, page 1: the account is enabled, and required, only with Send Updates.
    oss = wizard.order_status_page.group
    assert not oss.url_field.isEnabled()
    click(qtbot, oss.use_updates_check)
    click(qtbot, oss.send_updates_check)
    assert oss.url_field.isEnabled() and oss.password_field.isEnabled()
    assert not button(wizard, Next).isEnabled()
    type_into(qtbot, oss.url_field, "ftp://status.harbor.example")
    assert "must start with http:// or https://" in oss.url_field.error_label.text()
    type_into(qtbot, oss.url_field, "https://status.harbor.example/api")
    type_into(qtbot, oss.account_field, "harbor")
    assert not button(wizard, Next).isEnabled()  # no password saved yet: one is needed
    type_into(qtbot, oss.password_field, OSS_PASSWORD)
    go_next(qtbot, wizard, Page.STATUS_EVENTS)

    # Order Status System, page 2: the embedded editor saves a change at once.
    editor = wizard.events_page.editor
    qtbot.waitUntil(lambda: editor.model.rowCount() > 0)
    index = cell(editor, Event.ORDER_APPROVED, Column.ORDER_STATUS)
    with qtbot.waitSignal(editor.assignment_did_change):
        choose_in_combo(qtbot, editor, index, "On Hold")
    with database.session() as session:
        assert get_assignment(session, Event.ORDER_APPROVED).order_label == "On Hold"
    go_next(qtbot, wizard, Page.STACK)

    # Stack controller: Shared on an SQLite store is warned about, not refused.
    stack = wizard.stack_page.group
    click(qtbot, stack.radios[stack.mode().SHARED])
    assert stack.warning_label.isVisibleTo(wizard) is is_sqlite
    go_next(qtbot, wizard, Page.CARTS)

    # Carts: listed, read-only, with the honest note.
    carts = wizard.carts_page
    expected_carts = 3 if is_sqlite else 0
    assert carts.table.rowCount() == expected_carts
    assert carts.empty_label.isVisibleTo(wizard) is (expected_carts == 0)
    if expected_carts:
        shown = [[carts.table.item(0, c).text() for c in range(3)]]  # type: ignore[union-attr]
        assert shown == [["Harbor Outfitters", "WooCommerce", "—"]]
    go_next(qtbot, wizard, Page.FINISH)

    summary = wizard.finish_page.summary_label.text()
    for text in ("Harbor Outfitters", "orders@harbor.example", "(unchanged)", "Shared"):
        assert text in summary
    assert "a new password is saved in the keyring" in summary
    assert OSS_PASSWORD not in summary
    assert stored_settings(database)["StoreName"] == ""  # nothing is written before Finish

    with qtbot.waitSignal(wizard.setup_did_save) as saved:
        click(qtbot, button(wizard, Finish))
    assert "StoreName" in saved.args[0]
    qtbot.waitUntil(lambda: not wizard.isVisible())
    settings = stored_settings(database)
    assert settings["StoreName"] == "Harbor Outfitters"
    assert settings["StoreEmail"] == "orders@harbor.example"
    assert settings["UseStatusUpdates"] is True
    assert settings["SendUpdatesToOrderStatusSystem"] is True
    assert settings["OrderStatusSystemUrl"] == "https://status.harbor.example/api"
    assert settings["OrderStatusSystemAccount"] == "harbor"
    assert settings["StackControllerMode"] == "shared"
    assert keyring.get_password(KEYRING_SERVICE, "harbor") == OSS_PASSWORD
    assert all(OSS_PASSWORD not in text for text in stored_texts(database))


def test_wizard__cancel_writes_nothing(
    qtbot: QtBot, writable_store: Database, open_wizard: Callable[[Database], StoreSetupWizard]
) -> None:
    before = stored_texts(writable_store)
    wizard = open_wizard(writable_store)
    type_into(qtbot, wizard.store_page.group.name_field, "Not Kept")
    go_next(qtbot, wizard, Page.DATABASE)
    go_next(qtbot, wizard, Page.ORDER_STATUS)
    click(qtbot, wizard.order_status_page.group.use_updates_check)
    click(qtbot, button(wizard, QWizard.WizardButton.CancelButton))
    qtbot.waitUntil(lambda: not wizard.isVisible())
    assert stored_texts(writable_store) == before
    assert stored_settings(writable_store)["UseStatusUpdates"] is False


def test_wizard__a_failed_save_is_reported_on_the_finish_page_and_nothing_is_kept(
    qtbot: QtBot, writable_store: Database, open_wizard: Callable[[Database], StoreSetupWizard]
) -> None:
    # The tests' default keyring refuses everything, like a desktop without one.
    before = stored_texts(writable_store)
    wizard = open_wizard(writable_store)
    type_into(qtbot, wizard.store_page.group.name_field, "Harbor Outfitters")
    go_next(qtbot, wizard, Page.DATABASE)
    go_next(qtbot, wizard, Page.ORDER_STATUS)
    oss = wizard.order_status_page.group
    click(qtbot, oss.send_updates_check)
    type_into(qtbot, oss.url_field, "https://status.harbor.example")
    type_into(qtbot, oss.account_field, "harbor")
    type_into(qtbot, oss.password_field, "Pw-Nowhere-4")
    for expected in (Page.STATUS_EVENTS, Page.STACK, Page.CARTS, Page.FINISH):
        go_next(qtbot, wizard, expected)
    with qtbot.waitSignal(wizard.setup_did_fail) as failed:
        click(qtbot, button(wizard, Finish))
    message = failed.args[0]
    assert message.startswith("Nothing was saved: ") and "keyring" in message
    assert "Pw-Nowhere-4" not in message
    assert wizard.isVisible() and wizard.finish_page.error_label.text() == message
    assert button(wizard, Finish).isEnabled()
    assert stored_texts(writable_store) == before


def test_wizard__a_saved_store_is_shown_and_the_saved_password_kept(
    qtbot: QtBot,
    writable_store: Database,
    open_wizard: Callable[[Database], StoreSetupWizard],
    real_keyring: keyring.backend.KeyringBackend,
) -> None:
    keyring.set_password(KEYRING_SERVICE, "juniper", "kept-password")
    with writable_store.transaction() as session:
        from ordermanager.settings import set_setting

        for name, value in (
            ("StoreName", "Juniper & Co"),
            ("SendUpdatesToOrderStatusSystem", "true"),
            ("OrderStatusSystemUrl", "https://oss.juniper.example"),
            ("OrderStatusSystemAccount", "juniper"),
        ):
            set_setting(session, name, value)
    wizard = open_wizard(writable_store)
    assert wizard.store_page.group.name_field.text() == "Juniper & Co"
    go_next(qtbot, wizard, Page.DATABASE)
    go_next(qtbot, wizard, Page.ORDER_STATUS)
    oss = wizard.order_status_page.group
    assert oss.password_field.text() == ""
    assert "saved in the keyring" in oss.password_field.edit.placeholderText()
    assert button(wizard, Next).isEnabled()  # the saved password will do
    type_into(qtbot, oss.account_field, "someone-else")
    assert not button(wizard, Next).isEnabled()  # ...but not for another account
    assert oss.password_field.problem() == "Enter the account's password."


def _pg_fields(qtbot: QtBot, wizard: StoreSetupWizard, where: DatabaseLocation, port: int) -> None:
    page = wizard.database_page
    click(qtbot, page.postgres_radio)
    url = where.url
    type_into(qtbot, page.host_field, url.host or "127.0.0.1")
    type_into(qtbot, page.port_field, str(port))
    type_into(qtbot, page.database_field, url.database or "")
    type_into(qtbot, page.user_field, url.username or "")


def test_database_page__test_connection_reaches_the_real_server_and_finish_saves_it(
    qtbot: QtBot,
    writable_store: Database,
    pg_location: DatabaseLocation,
    open_wizard: Callable[[Database], StoreSetupWizard],
) -> None:
    wizard = open_wizard(writable_store)
    type_into(qtbot, wizard.store_page.group.name_field, "Harbor Outfitters")
    go_next(qtbot, wizard, Page.DATABASE)
    page = wizard.database_page
    _pg_fields(qtbot, wizard, pg_location, pg_location.url.port or 5432)
    assert not button(wizard, Next).isEnabled()  # a new server must answer first
    assert "Press Test Connection" in page.note_label.text()

    with qtbot.waitSignal(page.connection_did_check, timeout=15_000) as checked:
        click(qtbot, page.test_button)
    assert checked.args[0].usable
    assert page.result_label.text().startswith("✔ Reachable. The database is empty")
    assert button(wizard, Next).isEnabled()
    assert "takes effect the next time Order Manager starts" in page.note_label.text()
    for expected in (Page.ORDER_STATUS, Page.STATUS_EVENTS, Page.STACK):
        go_next(qtbot, wizard, expected)
    assert not wizard.stack_page.group.warning_label.isVisibleTo(wizard)  # PostgreSQL chosen
    go_next(qtbot, wizard, Page.CARTS)
    go_next(qtbot, wizard, Page.FINISH)
    assert "from the next start of Order Manager" in wizard.finish_page.summary_label.text()

    with qtbot.waitSignal(wizard.setup_did_save):
        click(qtbot, button(wizard, Finish))
    saved = location.parse_url(WorkstationConfig.load().database_url)
    assert saved.url.database == pg_location.url.database
    assert saved.url.port == pg_location.url.port
    assert location.resolve(None).source == "saved setting"
    assert stored_settings(writable_store)["StoreName"] == "Harbor Outfitters"


def test_database_page__an_unreachable_server_is_reported_without_the_password(
    qtbot: QtBot,
    writable_store: Database,
    pg_location: DatabaseLocation,
    open_wizard: Callable[[Database], StoreSetupWizard],
) -> None:
    wizard = open_wizard(writable_store)
    type_into(qtbot, wizard.store_page.group.name_field, "Harbor Outfitters")
    go_next(qtbot, wizard, Page.DATABASE)
    page = wizard.database_page
    # Nothing listens on port 1 of the loopback: the connection is refused at once.
    _pg_fields(qtbot, wizard, pg_location, 1)
    type_into(qtbot, page.password_field, "Pw-Never-Shown-3")
    with qtbot.waitSignal(page.connection_did_check, timeout=15_000) as checked:
        click(qtbot, page.test_button)
    assert not checked.args[0].reachable
    text = page.result_label.text()
    assert text.startswith("✘ Not reachable. Cannot connect to the database")
    assert "127.0.0.1:1/" in text and "Check that the server is running" in text
    assert "Pw-Never-Shown-3" not in text
    assert not button(wizard, Next).isEnabled()

    type_into(qtbot, page.port_field, "70000")
    assert "from 1 to 65535" in page.port_field.error_label.text()
    assert page.result_label.text() == ""  # the result was for another address
    click(qtbot, page.sqlite_radio)
    assert button(wizard, Next).isEnabled()  # back to the database in use
    assert WorkstationConfig.load().database_url == ""


def test_main_window__setup_menu_opens_the_wizard_with_its_own_shortcuts(
    qtbot: QtBot, open_writable_window: Callable[[], MainWindow]
) -> None:
    window = open_writable_window()
    assert window.setup_wizard_action.text() == "Store Setup &Wizard…"
    assert window.settings_action.shortcut().toString() == "Ctrl+,"
    taken = [a.shortcut().toString() for a in window.actions() if not a.shortcut().isEmpty()]
    assert taken.count("Ctrl+,") == 1
    assert window.setup_wizard_action.shortcut().toString() != "Ctrl+Shift+S"
    window.setup_wizard_action.trigger()
    wizard = window.findChild(StoreSetupWizard)
    assert wizard is not None
    qtbot.waitUntil(lambda: wizard.isVisible() and wizard.loaded is not None)
    assert wizard.carts_page.table.rowCount() == 3
    wizard.reject()


def test_first_run__a_new_empty_store_opens_the_wizard_once(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, tasks: TaskManager
) -> None:
    monkeypatch.setattr(startup, "ask_first_run_choice", lambda _parent: FirstRunChoice.EMPTY)
    first = app_module.launch(None, tasks)
    assert isinstance(first, MainWindow)
    qtbot.addWidget(first)
    assert first.new_store
    wizard = first.open_setup_wizard()
    qtbot.waitUntil(lambda: wizard.loaded is not None)
    assert wizard.isVisible() and wizard.currentId() == Page.STORE
    wizard.reject()
    first.close()
    first.database.dispose()

    again = app_module.launch(None, tasks)  # the store exists now: no wizard this time
    assert isinstance(again, MainWindow)
    qtbot.addWidget(again)
    assert not again.new_store
    again.close()
    again.database.dispose()
