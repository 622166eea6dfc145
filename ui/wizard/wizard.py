"""The Store Setup Wizard (Setup ▸ Store Setup Wizard…, and once on a new empty store).

Pages in order: store details, database, Order Status System (account, then status events),
stack controller, carts, finish. The store's settings are read in the background when the wizard
opens (Next stays disabled until they are in) and written in one background call on Finish:
the OSS password and a changed database to this computer's keyring and config first, then every
store-wide setting in one transaction. Cancel writes nothing (the status events page excepted,
whose editor saves each change at once and says so).
"""

from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMessageBox, QWidget, QWizard

from ordermanager.db.engine import Database
from ordermanager.errors import OrderManagerError
from ordermanager.settings import StackControllerMode
from ordermanager.store_setup import (
    LoadedSetup,
    SetupChanges,
    StoreSettings,
    apply_setup,
    load_setup,
)
from ui.tasks import TaskManager
from ui.wizard.database_page import DatabasePage, describe
from ui.wizard.field_groups import MODE_TEXT
from ui.wizard.pages import OrderStatusAccountPage, SetupPage, StackControllerPage, StoreDetailsPage
from ui.wizard.review_pages import CartsPage, FinishPage, StatusEventsPage

TITLE = "Store Setup Wizard"


class Page(IntEnum):
    STORE = 0
    DATABASE = 1
    ORDER_STATUS = 2
    STATUS_EVENTS = 3
    STACK = 4
    CARTS = 5
    FINISH = 6


class StoreSetupWizard(QWizard):
    setup_did_load = Signal()
    setup_did_save = Signal(list)  # the names of the settings that changed
    setup_did_fail = Signal(str)  # a message shown to the operator

    def __init__(self, database: Database, tasks: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("storeSetupWizard")
        self.setWindowTitle(TITLE)
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self._database = database
        self._tasks = tasks
        self.loaded: LoadedSetup | None = None
        self.saving = False

        self.store_page = StoreDetailsPage(self)
        self.database_page = DatabasePage(database.location, tasks, self)
        self.order_status_page = OrderStatusAccountPage(self)
        self.events_page = StatusEventsPage(database, tasks, self)
        self.stack_page = StackControllerPage(self)
        self.carts_page = CartsPage(database, tasks, self)
        self.finish_page = FinishPage(self)
        for page_id, page in (
            (Page.STORE, self.store_page),
            (Page.DATABASE, self.database_page),
            (Page.ORDER_STATUS, self.order_status_page),
            (Page.STATUS_EVENTS, self.events_page),
            (Page.STACK, self.stack_page),
            (Page.CARTS, self.carts_page),
            (Page.FINISH, self.finish_page),
        ):
            self.setPage(page_id, page)
        self.setStartId(Page.STORE)
        self.currentIdChanged.connect(self._page_shown)
        self.resize(860, 680)

        tasks.run(lambda: load_setup(database), self._did_load, self._load_failed, owner=self)

    # -- loading -----------------------------------------------------------------------------

    def _setup_pages(self) -> list[SetupPage]:
        return [
            self.store_page,
            self.database_page,
            self.order_status_page,
            self.stack_page,
            self.carts_page,
            self.finish_page,
        ]

    def _did_load(self, loaded: LoadedSetup) -> None:
        self.loaded = loaded
        settings = loaded.settings
        self.store_page.group.show_settings(settings)
        self.order_status_page.group.show_settings(
            settings, password_saved=loaded.oss_password_saved
        )
        self.stack_page.group.show_settings(settings)
        self.carts_page.show_carts(loaded.carts)
        for page in self._setup_pages():
            page.set_loaded()
        self.setup_did_load.emit()

    def _load_failed(self, error: BaseException) -> None:
        message = f"The store's settings could not be read: {error}"
        self.setup_did_fail.emit(message)
        QMessageBox.warning(self, TITLE, message)
        self.reject()

    # -- between pages -----------------------------------------------------------------------

    def _page_shown(self, page_id: int) -> None:
        if page_id == Page.STACK:
            self.stack_page.group.set_database_is_sqlite(not self.database_page.uses_postgres())
        elif page_id == Page.FINISH:
            self.finish_page.show_summary(self.summary())

    def changes(self) -> SetupChanges:
        """What Finish saves, from the pages as they are now."""
        assert self.loaded is not None
        settings = self.loaded.settings
        settings = self.store_page.group.apply(settings)
        settings = self.order_status_page.group.apply(settings)
        settings = self.stack_page.group.apply(settings)
        return SetupChanges(
            settings,
            oss_password=self.order_status_page.group.password(),
            database=self.database_page.changed_location(),
        )

    def summary(self) -> list[tuple[str, str]]:
        changes = self.changes()
        return summary_rows(changes, describe(self._database.location))

    # -- saving ------------------------------------------------------------------------------

    def accept(self) -> None:
        """Finish: save in the background; close only once everything is stored."""
        if self.saving or self.loaded is None:
            return
        changes = self.changes()
        self._set_saving(True)
        self._tasks.run(
            lambda: apply_setup(self._database, changes),
            self._did_save,
            self._save_failed,
            write=True,
            owner=self,
        )

    def _set_saving(self, saving: bool) -> None:
        # Back and Cancel wait too: the save runs to its end either way, so the window
        # should not pretend it could still be called off.
        self.saving = saving
        self.finish_page.set_saving(saving)
        for which in (QWizard.WizardButton.BackButton, QWizard.WizardButton.CancelButton):
            button = self.button(which)
            if button is not None:
                button.setEnabled(not saving)

    def _did_save(self, changed: list[str]) -> None:
        self._set_saving(False)
        self.setup_did_save.emit(changed)
        super().accept()

    def _save_failed(self, error: BaseException) -> None:
        self._set_saving(False)
        if isinstance(error, OrderManagerError):
            message = f"Nothing was saved: {error}"
        else:
            message = f"Nothing was saved, because something unexpected went wrong: {error}"
        self.finish_page.show_error(message)
        self.setup_did_fail.emit(message)


def summary_rows(changes: SetupChanges, database_in_use: str) -> list[tuple[str, str]]:
    """The Finish page's table: each setting as the operator will read it."""
    settings: StoreSettings = changes.settings
    rows = [
        ("Store name", settings.store_name or "(not set)"),
        ("Contact e-mail", settings.store_email or "(none)"),
    ]
    if changes.database is None:
        rows.append(("Database", f"{database_in_use} (unchanged)"))
    else:
        rows.append(
            ("Database", f"{describe(changes.database)}, from the next start of Order Manager")
        )
    rows.append(("Use Status Updates", "on" if settings.use_status_updates else "off"))
    if settings.send_updates_to_oss:
        password = (
            "a new password is saved in the keyring"
            if changes.oss_password
            else "the saved password is kept"
        )
        rows.append(("Send Updates to Order Status System", "on"))
        rows.append(("Order Status System", f"{settings.oss_url}, account {settings.oss_account}"))
        rows.append(("Its password", password))
    else:
        rows.append(("Send Updates to Order Status System", "off"))
    mode_name = MODE_TEXT[StackControllerMode(settings.stack_controller_mode)][0].replace("&", "")
    rows.append(("Stack controller", mode_name))
    rows.append(("Status events", "already saved as they were changed"))
    return rows
