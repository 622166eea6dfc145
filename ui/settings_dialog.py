"""Setup ▸ Settings…: the store-wide settings without the wizard, with OK, Cancel and Apply.

The field groups are the wizard's own (ui.wizard.field_groups), so both check and save the same
way. Settings are read in the background when the dialog opens and written in one background
call on OK or Apply; OK closes only once they are stored. Cancel writes nothing.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ordermanager.db.engine import Database
from ordermanager.errors import OrderManagerError
from ordermanager.store_setup import LoadedSetup, SetupChanges, apply_setup, load_setup
from ui.tasks import TaskManager
from ui.wizard.field_groups import OrderStatusGroup, StackModeGroup, StoreDetailsGroup
from ui.wizard.fields import ERROR_STYLE

TITLE = "Settings"


class SettingsDialog(QDialog):
    settings_did_load = Signal()
    settings_did_save = Signal(list)  # the names of the settings that changed
    settings_did_fail = Signal(str)

    def __init__(self, database: Database, tasks: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(TITLE)
        self._database = database
        self._tasks = tasks
        self.loaded: LoadedSetup | None = None
        self._saving = False
        self._close_after_save = False

        self.store_group = StoreDetailsGroup(self)
        self.order_status_group = OrderStatusGroup(self)
        self.stack_group = StackModeGroup(self)
        self.stack_group.set_database_is_sqlite(database.location.is_sqlite)

        self.error_label = QLabel(self)
        self.error_label.setObjectName("saveError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.Apply,
            self,
        )
        self.ok_button = self._button(QDialogButtonBox.StandardButton.Ok)
        self.apply_button = self._button(QDialogButtonBox.StandardButton.Apply)
        self.cancel_button = self._button(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.apply_button.clicked.connect(self.apply)

        layout = QVBoxLayout(self)
        for title, group in (
            ("Store details", self.store_group),
            ("Order Status System", self.order_status_group),
            ("Stack controller: who sends status updates", self.stack_group),
        ):
            box = QGroupBox(title, self)
            box_layout = QVBoxLayout(box)
            box_layout.addWidget(group)
            layout.addWidget(box)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        for group in (self.store_group, self.order_status_group, self.stack_group):
            group.changed.connect(self._update_buttons)
        self.setEnabled(False)  # until the stored values are in
        self._update_buttons()
        self.setMinimumWidth(640)  # room for the explanations on one or two lines each
        tasks.run(lambda: load_setup(database), self._did_load, self._load_failed, owner=self)

    def _button(self, which: QDialogButtonBox.StandardButton) -> QPushButton:
        button = self.buttons.button(which)
        assert button is not None
        return button

    # -- loading -----------------------------------------------------------------------------

    def _did_load(self, loaded: LoadedSetup) -> None:
        self.loaded = loaded
        self._show(loaded)
        self.setEnabled(True)
        self._update_buttons()
        self.settings_did_load.emit()

    def _show(self, loaded: LoadedSetup) -> None:
        self.store_group.show_settings(loaded.settings)
        self.order_status_group.show_settings(
            loaded.settings, password_saved=loaded.oss_password_saved
        )
        self.stack_group.show_settings(loaded.settings)

    def _load_failed(self, error: BaseException) -> None:
        message = f"The store's settings could not be read: {error}"
        self.settings_did_fail.emit(message)
        QMessageBox.warning(self, TITLE, message)
        self.reject()

    # -- checking ----------------------------------------------------------------------------

    def is_valid(self) -> bool:
        return (
            self.store_group.is_valid()
            and self.order_status_group.is_valid()
            and self.stack_group.is_valid()
        )

    def _update_buttons(self) -> None:
        ready = self.loaded is not None and not self._saving and self.is_valid()
        self.ok_button.setEnabled(ready)
        self.apply_button.setEnabled(ready)

    def changes(self) -> SetupChanges:
        assert self.loaded is not None
        settings = self.store_group.apply(self.loaded.settings)
        settings = self.order_status_group.apply(settings)
        settings = self.stack_group.apply(settings)
        return SetupChanges(settings, oss_password=self.order_status_group.password())

    # -- saving ------------------------------------------------------------------------------

    def accept(self) -> None:
        self._save(close=True)

    def apply(self) -> None:
        self._save(close=False)

    def _save(self, *, close: bool) -> None:
        if self.loaded is None or self._saving:
            return
        if not self.is_valid():
            self.store_group.show_problems()
            self.order_status_group.show_problems()
            return
        changes = self.changes()
        self._saving = True
        self._close_after_save = close
        self.error_label.hide()
        self._update_buttons()
        self._tasks.run(
            lambda: (apply_setup(self._database, changes), load_setup(self._database)),
            self._did_save,
            self._save_failed,
            write=True,
            owner=self,
        )

    def _did_save(self, outcome: tuple[list[str], LoadedSetup]) -> None:
        changed, reloaded = outcome
        self._saving = False
        self.settings_did_save.emit(changed)
        if self._close_after_save:
            super().accept()
            return
        # Apply: show what is stored now (a new password becomes "saved in the keyring").
        self.loaded = reloaded
        self._show(reloaded)
        self._update_buttons()

    def _save_failed(self, error: BaseException) -> None:
        self._saving = False
        detail = str(error) if isinstance(error, OrderManagerError) else f"unexpected: {error}"
        message = f"Nothing was saved: {detail}"
        self.error_label.setText(message)
        self.error_label.show()
        self._update_buttons()
        self.settings_did_fail.emit(message)
