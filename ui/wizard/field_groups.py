"""The store-wide settings as three groups of fields, each written once and shown twice: on the
Store Setup Wizard's pages and in the Settings dialog.

Each group shows a ``StoreSettings`` (``show``), says whether what is typed can be saved
(``is_valid``, with messages at the fields) and returns the settings with its own part changed
(``apply``). ``changed`` fires on every edit so a page or dialog can enable Next/OK.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ordermanager.settings import (
    OSS_ACCOUNT_MAX_LENGTH,
    STORE_NAME_MAX_LENGTH,
    StackControllerMode,
    check_email,
    check_http_url,
    check_oss_account,
    check_store_name,
)
from ordermanager.store_setup import StoreSettings
from ui.wizard.fields import CheckedField, hint_label

WARNING_STYLE = (
    "QLabel { background: #fff4ce; color: #5c4400; border: 1px solid #e6c65c;"
    " border-radius: 4px; padding: 6px 8px; }"
)


class StoreDetailsGroup(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name_field = CheckedField(
            "storeName",
            check_store_name,
            required="Enter the store's name.",
            placeholder="Harbor Outfitters",
            max_length=STORE_NAME_MAX_LENGTH,
            parent=self,
        )
        self.email_field = CheckedField(
            "storeEmail", check_email, placeholder="orders@example.com", parent=self
        )
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Store &name:", self.name_field)
        form.addRow("Contact &e-mail:", self.email_field)
        form.addRow(
            "",
            hint_label(
                "Shared by every workstation of this store. The contact e-mail may be left empty.",
                self,
            ),
        )
        for field in (self.name_field, self.email_field):
            field.changed.connect(self.changed)

    def show_settings(self, settings: StoreSettings) -> None:
        self.name_field.set_text(settings.store_name)
        self.email_field.set_text(settings.store_email)

    def is_valid(self) -> bool:
        return self.name_field.is_valid() and self.email_field.is_valid()

    def show_problems(self) -> None:
        for field in (self.name_field, self.email_field):
            field.show_problem()

    def apply(self, settings: StoreSettings) -> StoreSettings:
        return replace(
            settings, store_name=self.name_field.value(), store_email=self.email_field.value()
        )


class OrderStatusGroup(QWidget):
    """Use Status Updates, Send Updates to Order Status System, and the OSS account.

    The account fields matter only when updates go to the Order Status System, so they are
    enabled (and required) only then. The password is never shown back: when one is saved in
    the keyring the field says so and may stay empty.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._password_saved = False
        self.use_updates_check = QCheckBox("&Use Status Updates", self)
        self.use_updates_check.setObjectName("useStatusUpdates")
        self.send_updates_check = QCheckBox("&Send Updates to Order Status System", self)
        self.send_updates_check.setObjectName("sendUpdatesToOrderStatusSystem")
        self.url_field = CheckedField(
            "ossUrl",
            check_http_url,
            placeholder="https://status.example.com/api",
            parent=self,
        )
        self.account_field = CheckedField(
            "ossAccount",
            check_oss_account,
            placeholder="harbor-outfitters",
            max_length=OSS_ACCOUNT_MAX_LENGTH,
            parent=self,
        )
        self.password_field = CheckedField("ossPassword", password=True, parent=self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.use_updates_check)
        layout.addWidget(
            _indented(
                hint_label(
                    "When on, status events give orders and items their status labels and queue "
                    "status updates for the carts (for events with Notify Cart). When off, "
                    "events change nothing.",
                    self,
                )
            )
        )
        layout.addSpacing(8)
        layout.addWidget(self.send_updates_check)
        layout.addWidget(
            _indented(
                hint_label(
                    "For carts that cannot take status updates: send them to the Order Status "
                    "System, the customer-facing order status page, instead.",
                    self,
                )
            )
        )
        self.account_form = QFormLayout()
        self.account_form.setContentsMargins(24, 4, 0, 0)
        self.account_form.addRow("Server &address:", self.url_field)
        self.account_form.addRow("&Account name:", self.account_field)
        self.account_form.addRow("&Password:", self.password_field)
        self.password_hint = hint_label("", self)
        self.account_form.addRow("", self.password_hint)
        layout.addLayout(self.account_form)

        self.use_updates_check.toggled.connect(lambda _on: self.changed.emit())
        self.send_updates_check.toggled.connect(self._send_toggled)
        for field in (self.url_field, self.account_field, self.password_field):
            field.changed.connect(self.changed)
        self.account_field.changed.connect(self._update_password_hint)
        self._send_toggled(False)

    def show_settings(self, settings: StoreSettings, *, password_saved: bool) -> None:
        self._password_saved = password_saved
        self._saved_account = settings.oss_account
        self.use_updates_check.setChecked(settings.use_status_updates)
        self.send_updates_check.setChecked(settings.send_updates_to_oss)
        self.url_field.set_text(settings.oss_url)
        self.account_field.set_text(settings.oss_account)
        self.password_field.set_text("")
        self._send_toggled(settings.send_updates_to_oss)

    def _send_toggled(self, on: bool) -> None:
        for field in (self.url_field, self.account_field, self.password_field):
            field.setEnabled(on)
        self.url_field.set_required("Enter the Order Status System's address." if on else "")
        self.account_field.set_required("Enter the account name." if on else "")
        self._update_password_hint()
        self.changed.emit()

    def has_saved_password(self) -> bool:
        """A password is in the keyring for the account now typed (not for another one)."""
        return self._password_saved and self.account_field.value() == getattr(
            self, "_saved_account", ""
        )

    def _update_password_hint(self) -> None:
        saved = self.has_saved_password()
        self.password_hint.setText(
            "The password is kept in this computer's keyring, never in the store's database."
        )
        if self.send_updates_check.isChecked():
            self.password_field.set_required("" if saved else "Enter the account's password.")
        if saved:
            self.password_field.edit.setPlaceholderText("saved in the keyring; type to replace it")

    def is_valid(self) -> bool:
        return all(f.is_valid() for f in (self.url_field, self.account_field, self.password_field))

    def show_problems(self) -> None:
        for field in (self.url_field, self.account_field, self.password_field):
            field.show_problem()

    def password(self) -> str:
        """A newly typed password (to store in the keyring), or "" to keep the saved one."""
        return self.password_field.text() if self.send_updates_check.isChecked() else ""

    def apply(self, settings: StoreSettings) -> StoreSettings:
        return replace(
            settings,
            use_status_updates=self.use_updates_check.isChecked(),
            send_updates_to_oss=self.send_updates_check.isChecked(),
            oss_url=self.url_field.value(),
            oss_account=self.account_field.value(),
        )


# Who sends the status updates, in one sentence each, for the operator choosing.
MODE_TEXT = {
    StackControllerMode.LOCAL: (
        "&Local",
        "Each workstation sends the status updates its own operators caused, while Order "
        "Manager is open on it.",
    ),
    StackControllerMode.SHARED: (
        "S&hared",
        "One open workstation at a time (they agree through the database) sends the status "
        "updates of the whole store.",
    ),
    StackControllerMode.EXTERNAL: (
        "E&xternal",
        "A separate service (ordermanager stack-controller) sends every status update, "
        "whether or not any workstation is open.",
    ),
}


class StackModeGroup(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sqlite = False
        self.buttons = QButtonGroup(self)
        self.radios: dict[StackControllerMode, QRadioButton] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for mode, (text, explanation) in MODE_TEXT.items():
            radio = QRadioButton(text, self)
            radio.setObjectName(f"stackMode_{mode.value}")
            self.radios[mode] = radio
            self.buttons.addButton(radio)
            layout.addWidget(radio)
            layout.addWidget(_indented(hint_label(explanation, self)))
            layout.addSpacing(4)
        self.radios[StackControllerMode.LOCAL].setChecked(True)
        self.warning_label = QLabel(self)
        self.warning_label.setObjectName("stackModeWarning")
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet(WARNING_STYLE)
        self.warning_label.hide()
        layout.addWidget(self.warning_label)
        self.buttons.buttonToggled.connect(lambda _b, _on: self._update_warning())

    def show_settings(self, settings: StoreSettings) -> None:
        self.radios[settings.stack_controller_mode].setChecked(True)
        self._update_warning()

    def set_database_is_sqlite(self, sqlite: bool) -> None:
        self._sqlite = sqlite
        self._update_warning()

    def mode(self) -> StackControllerMode:
        return next(m for m, radio in self.radios.items() if radio.isChecked())

    def _update_warning(self) -> None:
        warn = self._sqlite and self.mode() is not StackControllerMode.LOCAL
        self.warning_label.setText(
            "⚠ This store's database is an embedded SQLite file on one computer. Shared and "
            "External make sense only when several workstations share a PostgreSQL database; "
            "with SQLite, choose Local."
            if warn
            else ""
        )
        self.warning_label.setVisible(warn)
        self.changed.emit()

    def is_valid(self) -> bool:
        return True  # every choice can be saved; SQLite with Shared/External is only warned

    def apply(self, settings: StoreSettings) -> StoreSettings:
        return replace(settings, stack_controller_mode=self.mode())


def _indented(widget: QWidget) -> QWidget:
    widget.setContentsMargins(24, 0, 0, 0)
    return widget
