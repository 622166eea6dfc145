"""The small dialogs of the order actions: Ship… / Enter Tracking…, Set Label… and Enter Ship
Date…, and the pieces every action dialog shares (the frame, the error line under a field).

They only collect and check what the operator typed (each problem is shown at its field); the
action itself runs in ``ui.orders.actions`` once the dialog is accepted.
"""

from __future__ import annotations

import re
from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ordermanager.orders.actions import TRACKING_MAX_LENGTH

CARRIER_MAX_LENGTH = 50
# Offered in the drop-down; any other carrier can be typed.
CARRIERS = (
    "UPS",
    "USPS",
    "FedEx",
    "DHL",
    "DPD",
    "GLS",
    "Royal Mail",
    "Canada Post",
    "Australia Post",
    "PostNL",
    "Colissimo",
)
ERROR_STYLE = "color: #c42b1c;"
_SEPARATORS = re.compile(r"[\s,;]+")


def error_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.hide()
    return label


def show_error(label: QLabel, message: str) -> None:
    label.setText(message)
    label.setVisible(bool(message))


def orders_phrase(numbers: list[str], count: int) -> str:
    """'order #1001' for one order, '3 orders' for several."""
    if count == 1:
        return f"order {numbers[0]}" if len(numbers) == 1 else "1 order"
    return f"{count:,} orders"


def dialog_frame(dialog: QDialog, intro: str, form: QLayout, ok_text: str) -> QPushButton:
    """Intro text, the form and OK / Cancel: the frame every action dialog shares.

    Returns the OK button, named after the action.
    """
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog
    )
    ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok_button.setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    intro_label = QLabel(intro, dialog)
    intro_label.setWordWrap(True)
    layout.addWidget(intro_label)
    layout.addLayout(form)
    layout.addWidget(buttons)
    # The dialog grows and shrinks with the error lines instead of squeezing the fields.
    layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)
    return ok_button


class TrackingFields:
    """Carrier and tracking numbers with an error line under each, for any dialog that asks
    for them (Ship…, Enter Tracking…, Ship Items…)."""

    def __init__(self, parent: QWidget, *, required: bool) -> None:
        self._required = required
        self.carrier_error = error_label(parent, "carrierError")
        self.tracking_error = error_label(parent, "trackingError")
        self.carrier_combo = QComboBox(parent)
        self.carrier_combo.setObjectName("carrierCombo")
        self.carrier_combo.setEditable(True)
        self.carrier_combo.addItems(CARRIERS)
        self.carrier_combo.setCurrentIndex(-1)
        self.carrier_combo.setEditText("")
        line_edit = self.carrier_combo.lineEdit()
        assert line_edit is not None
        line_edit.setPlaceholderText("Choose or type the carrier")
        line_edit.textEdited.connect(lambda _text: show_error(self.carrier_error, ""))

        self.tracking_edit = QPlainTextEdit(parent)
        self.tracking_edit.setObjectName("trackingNumbers")
        self.tracking_edit.setTabChangesFocus(True)
        self.tracking_edit.setPlaceholderText(
            "One tracking number per line" + ("" if required else " (optional)")
        )
        self.tracking_edit.setFixedHeight(parent.fontMetrics().height() * 5 + 12)
        self.tracking_edit.textChanged.connect(lambda: show_error(self.tracking_error, ""))
        self.tracking_edit.setMinimumWidth(320)

    def add_rows(self, form: QFormLayout) -> None:
        form.addRow("&Carrier:", self.carrier_combo)
        form.addRow("", self.carrier_error)
        form.addRow("&Tracking numbers:", self.tracking_edit)
        form.addRow("", self.tracking_error)

    def carrier(self) -> str:
        return self.carrier_combo.currentText().strip()

    def tracking_numbers(self) -> list[str]:
        numbers: list[str] = []
        for number in _SEPARATORS.split(self.tracking_edit.toPlainText()):
            if number and number not in numbers:
                numbers.append(number)
        return numbers

    def validate(self) -> bool:
        """Show every problem at its field; True when there is none."""
        carrier_problem = ""
        if len(self.carrier()) > CARRIER_MAX_LENGTH:
            carrier_problem = f"A carrier name has at most {CARRIER_MAX_LENGTH} characters."
        numbers = self.tracking_numbers()
        tracking_problem = ""
        too_long = [n for n in numbers if len(n) > TRACKING_MAX_LENGTH]
        if too_long:
            tracking_problem = (
                f"A tracking number has at most {TRACKING_MAX_LENGTH} characters: "
                f"'{too_long[0][:20]}…' has {len(too_long[0])}."
            )
        elif self._required and not numbers:
            tracking_problem = "Give at least one tracking number."
        elif numbers and not self.carrier():
            carrier_problem = "Which carrier has these tracking numbers?"
        show_error(self.carrier_error, carrier_problem)
        show_error(self.tracking_error, tracking_problem)
        if tracking_problem:
            self.tracking_edit.setFocus()
        elif carrier_problem:
            self.carrier_combo.setFocus()
        return not (carrier_problem or tracking_problem)


class ShipDialog(QDialog):
    """Carrier and tracking numbers, for Ship… (tracking optional) and Enter Tracking…
    (at least one number)."""

    def __init__(
        self,
        title: str,
        intro: str,
        *,
        ok_text: str,
        tracking_required: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("shipDialog")
        self.setWindowTitle(title)
        self.fields = TrackingFields(self, required=tracking_required)
        self.carrier_combo = self.fields.carrier_combo
        self.tracking_edit = self.fields.tracking_edit
        self.carrier_error = self.fields.carrier_error
        self.tracking_error = self.fields.tracking_error
        form = QFormLayout()
        self.fields.add_rows(form)
        self.ok_button = dialog_frame(self, intro, form, ok_text)

    def carrier(self) -> str:
        return self.fields.carrier()

    def tracking_numbers(self) -> list[str]:
        return self.fields.tracking_numbers()

    def validate(self) -> bool:
        return self.fields.validate()

    def accept(self) -> None:
        if self.validate():
            super().accept()


class SetLabelDialog(QDialog):
    """Choose the label to give the selected orders by hand."""

    def __init__(self, intro: str, labels: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("setLabelDialog")
        self.setWindowTitle("Set Label")
        self.label_error = error_label(self, "labelError")
        self.label_combo = QComboBox(self)
        self.label_combo.setObjectName("labelCombo")
        self.label_combo.addItems(labels)
        self.label_combo.setCurrentIndex(-1)
        self.label_combo.setPlaceholderText("Choose a status label")
        self.label_combo.currentIndexChanged.connect(lambda _i: show_error(self.label_error, ""))
        form = QFormLayout()
        form.addRow("&Status label:", self.label_combo)
        form.addRow("", self.label_error)
        dialog_frame(self, intro, form, "Set Label")
        self.label_combo.setMinimumWidth(240)

    def label(self) -> str:
        return self.label_combo.currentText() if self.label_combo.currentIndex() >= 0 else ""

    def accept(self) -> None:
        if not self.label():
            show_error(self.label_error, "Choose the label to set.")
            self.label_combo.setFocus()
            return
        super().accept()


# A ship date this far from today is almost surely a typo in the year.
SHIP_DATE_RANGE_DAYS = 366


class ShipDateDialog(QDialog):
    """The day the selected orders ship (or shipped): today unless the operator picks another."""

    def __init__(self, intro: str, parent: QWidget | None = None, *, today: date | None = None):
        super().__init__(parent)
        self.setObjectName("shipDateDialog")
        self.setWindowTitle("Enter Ship Date")
        self._today = today or date.today()
        self.date_error = error_label(self, "dateError")
        self.date_edit = QDateEdit(self)
        self.date_edit.setObjectName("shipDate")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setDate(QDate(self._today))
        self.date_edit.dateChanged.connect(lambda _d: show_error(self.date_error, ""))
        form = QFormLayout()
        form.addRow("Ship &date:", self.date_edit)
        form.addRow("", self.date_error)
        self.ok_button = dialog_frame(self, intro, form, "Save")
        self.date_edit.setMinimumWidth(160)

    def day(self) -> date:
        chosen = self.date_edit.date()
        return date(chosen.year(), chosen.month(), chosen.day())

    def validate(self) -> bool:
        distance = abs((self.day() - self._today).days)
        problem = ""
        if distance > SHIP_DATE_RANGE_DAYS:
            when = "ago" if self.day() < self._today else "from now"
            problem = f"That is more than a year {when}; check the year."
        show_error(self.date_error, problem)
        if problem:
            self.date_edit.setFocus()
        return not problem

    def accept(self) -> None:
        if self.validate():
            super().accept()
