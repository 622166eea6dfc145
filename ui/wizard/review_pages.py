"""The wizard's later pages: the status events (the Status Events editor itself), the carts this
store has, and the summary of what Finish will save.

The events page is the one exception to "saved on Finish": the editor saves each change at once,
as it does in Setup ▸ Status Events…, and the page says so.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ordermanager.carts.registry import kind_title
from ordermanager.db.engine import Database
from ordermanager.store_setup import CartSummary
from ui.carts.carts_dialog import CartsWidget
from ui.status_events.editor import StatusEventsEditor
from ui.tasks import TaskManager
from ui.wizard.fields import ERROR_STYLE, hint_label
from ui.wizard.pages import SetupPage


class StatusEventsPage(QWizardPage):
    def __init__(self, database: Database, tasks: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("statusEventsPage")
        self.setTitle("Order Status System (2 of 2): status events")
        self.setSubTitle(
            "What each event does: the labels it gives items and the order, and whether the "
            "new status is sent to the cart (Notify Cart)."
        )
        self.editor = StatusEventsEditor(database, tasks, self)
        for button in (
            self.editor.labels_button,
            self.editor.defaults_button,
            self.editor.undo_button,
        ):
            button.setAutoDefault(False)  # Enter belongs to Next, not to these
        note = hint_label(
            "Changes on this page are saved at once, as in Setup ▸ Status Events… (Ctrl+Z "
            "undoes the last ones); Cancel does not take them back. A new store can start "
            "with Load Default Status Events.",
            self,
        )
        note.setObjectName("eventsSavedAtOnce")
        layout = QVBoxLayout(self)
        layout.addWidget(self.editor, 1)
        layout.addWidget(note)


class CartsPage(SetupPage):
    """The carts list of Setup ▸ Carts…, embedded: Add… / Edit… / Remove open the same cart
    form, and save at once (like the status events page), which the page says."""

    def __init__(
        self, database: Database, tasks: TaskManager, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("cartsPage")
        self.setTitle("Carts")
        self.setSubTitle("The web stores whose orders come into Order Manager.")
        self.carts = CartsWidget(database, tasks, self)
        self.table = self.carts.table
        self.empty_label = self.carts.empty_label
        note = hint_label(
            "Add… connects a store: its kind, web address and API keys (kept in this computer's "
            "keyring), with Test Connection. A cart is saved when you press Save in its form, "
            "as in Setup ▸ Carts…; Cancel on this wizard does not take it back. Edit… a cart for "
            "its Status Mapping.",
            self,
        )
        note.setObjectName("cartsSavedAtOnce")
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.carts, 1)

    def show_carts(self, carts: list[CartSummary]) -> None:
        """The carts the wizard read with the settings, shown at once; the full list (download
        mode, interval, last sync) follows from the carts widget's own read."""
        if not self.carts.carts:
            self.table.setRowCount(len(carts))
            for row, cart in enumerate(carts):
                kind = kind_title(cart.kind)
                name = cart.name if cart.enabled else f"{cart.name} (disabled)"
                for column, text in enumerate((name, kind, cart.url or "—")):
                    self.table.setItem(row, column, QTableWidgetItem(text))
            self.table.setVisible(bool(carts))
            self.empty_label.setVisible(not carts)
        self.carts.reload()


class FinishPage(SetupPage):
    """A summary of what Finish saves; a failed save is reported here and nothing is lost."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("finishPage")
        self.setTitle("Ready to save")
        self.setSubTitle("Finish saves these settings for the whole store. Cancel saves none.")
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("setupSummary")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("saveError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()
        self._saving = False
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.error_label)
        layout.addStretch(1)

    def show_summary(self, rows: list[tuple[str, str]]) -> None:
        cells = "".join(
            f"<tr><td style='padding: 3px 14px 3px 0'><b>{_html(name)}</b></td>"
            f"<td style='padding: 3px 0'>{_html(value)}</td></tr>"
            for name, value in rows
        )
        self.summary_label.setText(f"<table>{cells}</table>")

    def set_saving(self, saving: bool) -> None:
        self._saving = saving
        if saving:
            self.show_error("")
        self.completeChanged.emit()

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))

    def isComplete(self) -> bool:
        return self.loaded and not self._saving


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
