"""The wizard's Database page: which database this workstation uses, and Test Connection.

The choice is saved for this workstation on Finish (ordermanager.db.location.save, password to
the keyring) and takes effect at the next start: the open window keeps the database it has.
Moving to a different PostgreSQL database needs a successful Test Connection first, so a typo
cannot send the next start to a server that is not there or to another program's database.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import URL

from ordermanager.db import location as db_location
from ordermanager.db.location import DatabaseLocation
from ordermanager.errors import InvalidInputError
from ordermanager.store_setup import DatabaseCheck, SchemaCondition, check_database
from ui.tasks import TaskManager
from ui.wizard.fields import ERROR_COLOR, CheckedField, hint_label
from ui.wizard.pages import SetupPage

DEFAULT_PORT = 5432
OK_COLOR = "#1e7b34"
SOURCE_NOTE = {
    "option": "It was chosen with --database-url when Order Manager was started; that option "
    "wins over the choice saved here.",
    "environment": "It was chosen by the ORDERMANAGER_DATABASE_URL environment variable, which "
    "wins over the choice saved here.",
}


def _check_host(text: str) -> str:
    host = text.strip()
    if any(c.isspace() or c in "/@?#" for c in host):
        raise InvalidInputError("Enter a server name or address, like db.example.com.")
    return host


def _check_port(text: str) -> str:
    port = text.strip()
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise InvalidInputError("The port is a number from 1 to 65535 (PostgreSQL uses 5432).")
    return port


def _check_name(text: str) -> str:
    name = text.strip()
    if any(c.isspace() or c in "/@?#" for c in name):
        raise InvalidInputError("A name without spaces or / @ ? #.")
    return name


class DatabasePage(SetupPage):
    connection_did_check = Signal(object)  # DatabaseCheck

    def __init__(
        self, current: DatabaseLocation, tasks: TaskManager, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setObjectName("databasePage")
        self.setTitle("Database")
        self.setSubTitle("Where this store's orders are kept.")
        self.current = current
        self._tasks = tasks
        self._checked: tuple[str, DatabaseCheck] | None = None  # for the URL tested last
        self._checking = False

        in_use = QLabel(
            f"In use now: <b>{_html(describe(current))}</b>"
            + (f"<br>{SOURCE_NOTE[current.source]}" if current.source in SOURCE_NOTE else ""),
            self,
        )
        in_use.setObjectName("databaseInUse")
        in_use.setWordWrap(True)
        in_use.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.sqlite_radio = QRadioButton("&Embedded (SQLite, this computer only)", self)
        self.sqlite_radio.setObjectName("sqliteRadio")
        self.postgres_radio = QRadioButton("Shared &PostgreSQL server", self)
        self.postgres_radio.setObjectName("postgresRadio")
        choice = QButtonGroup(self)
        choice.addButton(self.sqlite_radio)
        choice.addButton(self.postgres_radio)
        self._sqlite_location = (
            current
            if current.is_sqlite
            else db_location.parse_url(str(db_location.default_sqlite_path()), "saved setting")
        )
        sqlite_hint = hint_label(
            f"The store is kept in the file {self._sqlite_location.sqlite_path}. Nothing to set "
            "up; only this computer can use it.",
            self,
        )
        sqlite_hint.setContentsMargins(24, 0, 0, 0)

        self.host_field = CheckedField(
            "pgHost", _check_host, required="Enter the server's name or address.", parent=self
        )
        self.port_field = CheckedField(
            "pgPort", _check_port, required="Enter the port.", parent=self
        )
        self.database_field = CheckedField(
            "pgDatabase", _check_name, required="Enter the database's name.", parent=self
        )
        self.user_field = CheckedField(
            "pgUser", _check_name, required="Enter the user name.", parent=self
        )
        self.password_field = CheckedField("pgPassword", password=True, parent=self)
        self.password_field.edit.setPlaceholderText("kept in this computer's keyring")
        self.test_button = QPushButton("&Test Connection", self)
        self.test_button.setObjectName("testConnection")
        self.test_button.setAutoDefault(False)
        self.test_button.clicked.connect(self.test_connection)
        self.result_label = QLabel(self)
        self.result_label.setObjectName("connectionResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.PlainText)

        self.server_box = QWidget(self)
        form = QFormLayout(self.server_box)
        form.setContentsMargins(24, 0, 0, 0)
        form.addRow("&Server:", self.host_field)
        form.addRow("P&ort:", self.port_field)
        form.addRow("&Database:", self.database_field)
        form.addRow("&User:", self.user_field)
        form.addRow("Pass&word:", self.password_field)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        form.addRow("", test_row)
        form.addRow("", self.result_label)

        self.note_label = hint_label("", self)
        self.note_label.setObjectName("databaseNote")

        layout = QVBoxLayout(self)
        layout.addWidget(in_use)
        layout.addSpacing(8)
        layout.addWidget(self.sqlite_radio)
        layout.addWidget(sqlite_hint)
        layout.addWidget(self.postgres_radio)
        layout.addWidget(self.server_box)
        layout.addWidget(self.note_label)
        layout.addStretch(1)

        self._show_current()
        for field in self._server_fields():
            field.changed.connect(self._changed)
        choice.buttonToggled.connect(lambda _b, _on: self._changed())
        self._changed()

    def _server_fields(self) -> tuple[CheckedField, ...]:
        return (
            self.host_field,
            self.port_field,
            self.database_field,
            self.user_field,
            self.password_field,
        )

    def _show_current(self) -> None:
        url = self.current.url
        if self.current.is_sqlite:
            self.sqlite_radio.setChecked(True)
            self.port_field.set_text(str(DEFAULT_PORT))
            return
        self.postgres_radio.setChecked(True)
        self.host_field.set_text(url.host or "localhost")
        self.port_field.set_text(str(url.port or DEFAULT_PORT))
        self.database_field.set_text(url.database or "")
        self.user_field.set_text(url.username or "")

    # -- the choice --------------------------------------------------------------------------

    def uses_postgres(self) -> bool:
        return self.postgres_radio.isChecked()

    def chosen_location(self) -> DatabaseLocation | None:
        """The database chosen on this page, or None while the server fields are not valid."""
        if not self.uses_postgres():
            return self._sqlite_location
        if not all(field.is_valid() for field in self._server_fields()):
            return None
        current = self.current.url
        password: str | None = self.password_field.text() or None
        url = URL.create(
            "postgresql+psycopg",
            username=self.user_field.value(),
            password=password,
            host=self.host_field.value(),
            port=int(self.port_field.value()),
            database=self.database_field.value(),
        )
        if password is None and not self.current.is_sqlite and _same_place(url, current):
            url = url.set(password=current.password)  # the saved password still applies
        return DatabaseLocation(url, "saved setting")

    def changed_location(self) -> DatabaseLocation | None:
        """The chosen database when it differs from the one in use; None for no change."""
        chosen = self.chosen_location()
        if chosen is None or _same_place(chosen.url, self.current.url):
            if chosen is not None and chosen.url.password != self.current.url.password:
                return chosen  # same database, a new password to save
            return None
        return chosen

    def last_check(self) -> DatabaseCheck | None:
        chosen = self.chosen_location()
        if chosen is None or self._checked is None:
            return None
        key, check = self._checked
        return check if key == _key(chosen) else None

    def isComplete(self) -> bool:
        if not self.loaded or self._checking:
            return False
        if not self.uses_postgres():
            return True
        if self.chosen_location() is None:
            return False
        if self.changed_location() is None:
            return True
        check = self.last_check()
        return check is not None and check.usable

    def _changed(self) -> None:
        self.server_box.setEnabled(self.uses_postgres())
        checked = self.last_check()
        if checked is None:
            self.result_label.clear()
        self._update_note()
        self.completeChanged.emit()

    def _update_note(self) -> None:
        changed = self.changed_location()
        if changed is None:
            note = "This computer keeps using the database in use now."
        elif self.uses_postgres() and self.last_check() is None:
            note = "Press Test Connection: a new server must answer before you can go on."
        else:
            note = (
                f"On Finish, this computer switches to {describe(changed)}. The change takes "
                "effect the next time Order Manager starts."
            )
        self.note_label.setText(note)

    # -- Test Connection ---------------------------------------------------------------------

    def test_connection(self) -> None:
        chosen = self.chosen_location()
        if chosen is None:
            for field in self._server_fields():
                field.show_problem()
            return
        self._checking = True
        self.test_button.setEnabled(False)
        self._show_result(f"Connecting to {describe(chosen)}…", "")
        self.completeChanged.emit()
        key = _key(chosen)

        def done(check: DatabaseCheck) -> None:
            self._checking = False
            self.test_button.setEnabled(True)
            self._checked = (key, check)
            if self.last_check() is check:
                self._show_check(check)
            else:
                self.result_label.clear()  # the fields changed while it ran: not their answer
            self._update_note()
            self.completeChanged.emit()
            self.connection_did_check.emit(check)

        def failed(error: BaseException) -> None:
            # check_database reports database problems itself; this is anything else.
            done(
                DatabaseCheck(
                    chosen.display(), SchemaCondition.UNREACHABLE, f"The test failed: {error}"
                )
            )

        self._tasks.run(lambda: check_database(chosen), done, failed, owner=self)

    def _show_check(self, check: DatabaseCheck) -> None:
        if check.usable:
            self._show_result(f"✔ Reachable. {check.message}", OK_COLOR)
        elif check.reachable:
            self._show_result(
                f"✘ Reachable, but Order Manager cannot use it. {check.message}", ERROR_COLOR
            )
        else:
            self._show_result(f"✘ Not reachable. {check.message}", ERROR_COLOR)

    def _show_result(self, text: str, color: str) -> None:
        self.result_label.setText(text)
        self.result_label.setStyleSheet(f"color: {color};" if color else "")


def describe(location: DatabaseLocation) -> str:
    """The database in an operator's words, never with its password."""
    path = location.sqlite_path
    if path is not None:
        return f"the SQLite file {path}"
    url = location.url
    where = f"{url.host or 'localhost'}:{url.port or DEFAULT_PORT}"
    user = f" as user {url.username}" if url.username else ""
    return f"the PostgreSQL database {url.database} on {where}{user}"


def _same_place(a: URL, b: URL) -> bool:
    return (
        a.set(password=None).render_as_string(hide_password=False)
        == b.set(password=None).render_as_string(hide_password=False)
        and a.get_backend_name() == b.get_backend_name()
    )


def _key(location: DatabaseLocation) -> str:
    # The password is part of what was tested (a wrong one fails), so it is part of the key.
    return location.url.render_as_string(hide_password=False)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
