"""The form of one cart (Add… and Edit… in the Carts dialog and on the wizard's Carts page):
its kind, name, store URL, secrets, download mode and sync interval, a Test Connection that
tries exactly what is typed, and, once the cart exists, its Status Mapping.

Every check is the core's own (``ordermanager.carts.admin``), shown at the field. Secrets are
typed into password fields, handed to the core, and never shown again: when editing, an empty
secret field keeps what the keyring holds. Saving and testing run off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Collection

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ordermanager.carts import admin
from ordermanager.carts.protocol import AUTO_INVOICE, WAIT_FOR_INVOICE, CartConfig
from ordermanager.carts.registry import connectors
from ordermanager.db.engine import Database
from ordermanager.errors import InvalidInputError, OrderManagerError
from ui.carts.status_mapping import StatusMappingEditor, generic_note
from ui.tasks import TaskManager
from ui.wizard.fields import ERROR_STYLE, CheckedField, hint_label

OK_STYLE = "color: #1e7b34; font-weight: bold;"
FAIL_STYLE = ERROR_STYLE + " font-weight: bold;"
MODE_HINTS = {
    AUTO_INVOICE: "Orders are downloaded as soon as they are placed (on carts with separate "
    "invoices, Order Manager invoices them in the cart).",
    WAIT_FOR_INVOICE: "Orders are downloaded only once invoiced (paid, on carts without "
    "invoices); until then each is skipped, and the skip is logged.",
}
SECRET_ROW = 4  # after kind, name, URL and the URL hint
KEEP_SECRET = "Stored in the keyring; leave empty to keep it"


def secret_title(field: str) -> str:
    """``consumer_key`` as "Consumer key"."""
    return field.replace("_", " ").capitalize()


class CartFormDialog(QDialog):
    cart_did_save = Signal(object)  # the saved CartInfo
    connection_did_test = Signal(bool, str)  # worked, the line shown
    save_did_fail = Signal(str)

    def __init__(
        self,
        database: Database,
        tasks: TaskManager,
        *,
        cart: admin.CartInfo | None = None,
        taken_names: Collection[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("cartForm")
        self.setWindowTitle(f"Edit Cart “{cart.name}”" if cart else "Add Cart")
        self._database = database
        self._tasks = tasks
        self.cart = cart
        self._taken = {n.casefold() for n in taken_names if not cart or n != cart.name}
        self._saving = False
        self._test_number = 0
        self.secret_fields: dict[str, CheckedField] = {}

        self.kind_combo = QComboBox(self)
        self.kind_combo.setObjectName("kindCombo")
        for kind, cls in sorted(connectors().items(), key=lambda item: item[1].title):
            self.kind_combo.addItem(cls.title, kind)
        if cart is not None:
            if self.kind_combo.findData(cart.kind) < 0:
                self.kind_combo.addItem(cart.title, cart.kind)
            self.kind_combo.setCurrentIndex(self.kind_combo.findData(cart.kind))
            self.kind_combo.setEnabled(False)  # another kind is another cart
        else:
            self.kind_combo.setCurrentIndex(max(self.kind_combo.findData("woocommerce"), 0))
        self.kind_hint = hint_label("", self)
        self.kind_hint.setObjectName("kindHint")

        self.name_field = CheckedField(
            "cartName",
            self._check_name,
            required="Enter a name for the cart.",
            placeholder="Main Store",
            max_length=admin.NAME_MAX_LENGTH,
            parent=self,
        )
        self.url_field = CheckedField(
            "storeUrl", admin.check_url, required="Enter the store's web address.", parent=self
        )

        self.mode_combo = QComboBox(self)
        self.mode_combo.setObjectName("downloadModeCombo")
        for mode in (AUTO_INVOICE, WAIT_FOR_INVOICE):
            self.mode_combo.addItem(admin.DOWNLOAD_MODE_TITLES[mode], mode)
        self.mode_hint = hint_label("", self)
        self.mode_hint.setObjectName("downloadModeHint")
        self.interval_field = CheckedField(
            "syncInterval",
            lambda text: str(admin.check_interval(text)),
            required="Enter how often to sync, in minutes.",
            placeholder="15",
            parent=self,
        )

        self.test_button = QPushButton("&Test Connection", self)
        self.test_button.setObjectName("testConnectionButton")
        self.test_button.setAutoDefault(False)
        self.test_result = QLabel(self)
        self.test_result.setObjectName("testResult")
        self.test_result.setWordWrap(True)
        self.test_result.hide()

        connection = QWidget(self)
        self.form = form = QFormLayout(connection)
        form.addRow("&Kind:", self.kind_combo)
        form.addRow("&Name:", self.name_field)
        form.addRow("Store &URL:", self.url_field)
        form.addRow("", self.kind_hint)
        # The kind's secret fields go here, one row each (see _kind_changed).
        form.addRow("&Download mode:", self.mode_combo)
        form.addRow("", self.mode_hint)
        form.addRow("&Sync every (minutes):", self.interval_field)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)
        form.addRow(test_row)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("cartTabs")
        self.tabs.addTab(connection, "Connection")
        self.mapping_editor: StatusMappingEditor | None = None
        self.tabs.addTab(self._mapping_tab(), "Status Mapping")

        self.error_label = QLabel(self)
        self.error_label.setObjectName("saveError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        assert save is not None
        self.save_button = save
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        self.test_button.clicked.connect(self.test_connection)
        for field in (self.name_field, self.url_field, self.interval_field):
            field.changed.connect(self._update_buttons)
            field.changed.connect(self._forget_test)
        self._kind_changed()
        self._show_cart()
        self.resize(760, 480)

    # -- what is shown -----------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return str(self.kind_combo.currentData() or "")

    def _mapping_tab(self) -> QWidget:
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        cls = connectors().get(self.cart.kind) if self.cart else None
        if self.cart is None:
            layout.addWidget(
                hint_label(
                    "Save the cart first; then Edit… it to choose what each status label does "
                    "in it. Until then the cart kind's defaults apply.",
                    tab,
                )
            )
            layout.addStretch(1)
        elif cls is None:
            layout.addWidget(
                hint_label(f"No connector for '{self.cart.kind}' carts is installed.", tab)
            )
            layout.addStretch(1)
        elif not cls.supported_actions:
            layout.addWidget(generic_note(tab, cls.title))
            layout.addStretch(1)
        else:
            self.mapping_editor = StatusMappingEditor(
                self._database, self._tasks, self.cart.id, self.cart.kind, tab
            )
            layout.addWidget(self.mapping_editor)
        return tab

    def _show_cart(self) -> None:
        cart = self.cart
        if cart is None:
            self.interval_field.set_text(str(admin.DEFAULT_INTERVAL))
            self._mode_changed()
            return
        self.name_field.set_text(cart.name)
        self.url_field.set_text(cart.base_url)
        self.interval_field.set_text(str(cart.sync_interval_minutes))
        self.mode_combo.setCurrentIndex(max(self.mode_combo.findData(cart.download_mode), 0))
        self._mode_changed()

    def _kind_changed(self) -> None:
        kind = self.kind
        self.kind_hint.setText(admin.url_hint(kind))
        example = admin.URL_EXAMPLES.get(kind, "https://shop.example.com")
        self.url_field.edit.setPlaceholderText(f"Required, e.g. {example}")
        for old in self.secret_fields.values():
            self.form.removeRow(old)
        self.secret_fields.clear()
        cls = connectors().get(kind)
        for number, name in enumerate(cls.secret_fields if cls is not None else ()):
            field = CheckedField(
                f"secret_{name}",
                required="" if self.cart else f"Enter the {secret_title(name).lower()}.",
                password=True,
                parent=self,
            )
            if self.cart is not None:
                field.edit.setPlaceholderText(KEEP_SECRET)
            field.changed.connect(self._update_buttons)
            field.changed.connect(self._forget_test)
            self.secret_fields[name] = field
            self.form.insertRow(SECRET_ROW + number, f"{secret_title(name)}:", field)
        self._forget_test()
        self._update_buttons()

    def _mode_changed(self) -> None:
        self.mode_hint.setText(MODE_HINTS.get(str(self.mode_combo.currentData()), ""))

    def _check_name(self, text: str) -> str:
        name = admin.check_name(text)
        if name.casefold() in self._taken:
            raise InvalidInputError(f"There is already a cart named '{name}'.")
        return name

    def fields(self) -> list[CheckedField]:
        return [self.name_field, self.url_field, *self.secret_fields.values(), self.interval_field]

    def is_valid(self) -> bool:
        return bool(self.kind) and all(field.is_valid() for field in self.fields())

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(not self._saving and self.is_valid())
        self.test_button.setEnabled(bool(self.kind) and self.url_field.is_valid())

    def typed_secrets(self) -> dict[str, str]:
        return {name: field.text() for name, field in self.secret_fields.items()}

    # -- Test Connection ---------------------------------------------------------------------

    def _forget_test(self) -> None:
        # What was tested is no longer what is typed; a late answer must not claim otherwise.
        self._test_number += 1
        self.test_result.hide()

    def test_connection(self) -> None:
        if not self.url_field.is_valid():
            self.url_field.show_problem()
            return
        self._test_number += 1
        number = self._test_number
        config = CartConfig(
            self.cart.id if self.cart else 0,
            self.name_field.value() or "New cart",
            self.kind,
            self.url_field.value(),
            str(self.mode_combo.currentData()),
        )
        typed = self.typed_secrets()
        stored_under = self.cart.name if self.cart else ""
        self._show_result(None, "Testing the connection…")
        self._tasks.run(
            lambda: admin.test_cart(config, typed, stored_under=stored_under),
            lambda text: self._tested(number, True, text),
            lambda error: self._tested(number, False, _message(error)),
            owner=self,
        )

    def _tested(self, number: int, worked: bool, text: str) -> None:
        if number != self._test_number:
            return
        self._show_result(worked, text)
        self.connection_did_test.emit(worked, text)

    def _show_result(self, worked: bool | None, text: str) -> None:
        mark = {True: "✔ ", False: "✖ ", None: ""}[worked]
        self.test_result.setText(mark + text)
        style = {True: OK_STYLE, False: FAIL_STYLE, None: "color: #5f6368;"}[worked]
        self.test_result.setStyleSheet(style)
        self.test_result.show()

    # -- saving ------------------------------------------------------------------------------

    def accept(self) -> None:
        if self._saving:
            return
        if not self.is_valid():
            for field in self.fields():
                field.show_problem()
            self.tabs.setCurrentIndex(0)
            return
        database, cart = self._database, self.cart
        kind, name, url = self.kind, self.name_field.value(), self.url_field.value()
        mode = str(self.mode_combo.currentData())
        interval = int(self.interval_field.value())
        typed = self.typed_secrets()

        def save() -> admin.CartInfo:
            if cart is None:
                return admin.add_cart(database, kind, name, url, mode, interval, typed)
            return admin.update_cart(
                database,
                cart.id,
                name=name,
                url=url,
                download_mode=mode,
                interval=interval,
                enabled=cart.enabled,
                secrets=typed,
            )

        self._saving = True
        self.error_label.hide()
        self._update_buttons()
        self._tasks.run(save, self._did_save, self._save_failed, write=True, owner=self)

    def _did_save(self, info: admin.CartInfo) -> None:
        self._saving = False
        for field in self.secret_fields.values():
            field.edit.clear()  # nothing typed stays in a widget longer than needed
        self.cart_did_save.emit(info)
        super().accept()

    def _save_failed(self, error: BaseException) -> None:
        self._saving = False
        message = f"The cart was not saved: {_message(error)}"
        self.error_label.setText(message)
        self.error_label.show()
        self._update_buttons()
        self.save_did_fail.emit(message)


def _message(error: BaseException) -> str:
    if isinstance(error, OrderManagerError):
        return str(error)
    # Not our own message, so it may quote anything: say only what kind of failure it was.
    return f"something unexpected went wrong ({type(error).__name__})."
