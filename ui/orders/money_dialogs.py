"""The money dialogs: Log Payment… and Refund… for one order.

The amount is checked at its field with the core's own ``parse_amount``; a refund is also checked
against what the order has left to refund. The dialog stays open while the core records the
money, so a refusal by the core (someone refunded the same order a moment ago) still lands at the
amount field rather than in a message box after the dialog has gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDialog, QFormLayout, QLineEdit, QWidget

from ordermanager.errors import InvalidInputError
from ordermanager.orders.detail import OrderDetail
from ordermanager.orders.payments import parse_amount
from ui.formatting import money
from ui.orders.action_dialogs import dialog_frame, error_label, show_error

# Offered in the drop-down; any other method can be typed.
METHODS = ("Card", "PayPal", "Bank transfer", "Cash", "Check", "Gift card", "Store credit")
METHOD_MAX_LENGTH = 50
REFERENCE_MAX_LENGTH = 100
CENT = Decimal("0.01")
# Far beyond any order; keeps typos (and 1e30) out of the money columns.
AMOUNT_LIMIT = Decimal(1_000_000_000)


@dataclass(frozen=True)
class Money:
    """What the order has been paid and refunded, from its detail."""

    currency: str
    total: Decimal
    paid: Decimal
    refunded: Decimal

    @classmethod
    def of(cls, detail: OrderDetail) -> Money:
        paid = sum((p.amount for p in detail.payments if p.kind == "payment"), Decimal(0))
        refunded = sum((p.amount for p in detail.payments if p.kind == "refund"), Decimal(0))
        return cls(detail.currency, detail.total, paid, refunded)

    @property
    def due(self) -> Decimal:
        return max(self.total - self.paid, Decimal(0))

    @property
    def refundable(self) -> Decimal:
        return max(self.paid - self.refunded, Decimal(0))


@dataclass(frozen=True)
class MoneyEntry:
    amount: Decimal
    method: str
    reference: str


class MoneyDialog(QDialog):
    """Amount, method and reference. OK emits ``submitted`` once every field is fine; the caller
    records it and then calls ``finish()`` or ``refuse(message)``."""

    submitted = Signal(object)  # the MoneyEntry

    def __init__(
        self,
        title: str,
        intro: str,
        *,
        ok_text: str,
        amount: Decimal | None,
        limit: Decimal | None = None,
        currency: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._limit = limit
        self._currency = currency
        self._busy = False

        self.amount_error = error_label(self, "amountError")
        self.method_error = error_label(self, "methodError")
        self.amount_edit = QLineEdit(self)
        self.amount_edit.setObjectName("amount")
        self.amount_edit.setPlaceholderText("For example 12.50")
        if amount is not None and amount > 0:
            self.amount_edit.setText(f"{amount:.2f}")
        self.amount_edit.textEdited.connect(lambda _t: show_error(self.amount_error, ""))
        self.method_combo = QComboBox(self)
        self.method_combo.setObjectName("method")
        self.method_combo.setEditable(True)
        self.method_combo.addItems(METHODS)
        self.method_combo.setCurrentIndex(-1)
        self.method_combo.setEditText("")
        line_edit = self.method_combo.lineEdit()
        assert line_edit is not None
        line_edit.setPlaceholderText("Choose or type (optional)")
        line_edit.textEdited.connect(lambda _t: show_error(self.method_error, ""))
        self.reference_edit = QLineEdit(self)
        self.reference_edit.setObjectName("reference")
        self.reference_edit.setMaxLength(REFERENCE_MAX_LENGTH)
        self.reference_edit.setPlaceholderText("Transaction id, check number… (optional)")

        form = QFormLayout()
        form.addRow(f"&Amount{f' ({currency})' if currency else ''}:", self.amount_edit)
        form.addRow("", self.amount_error)
        form.addRow("&Method:", self.method_combo)
        form.addRow("", self.method_error)
        form.addRow("&Reference:", self.reference_edit)
        self.ok_button = dialog_frame(self, intro, form, ok_text)
        self.amount_edit.setMinimumWidth(320)

    def entry(self) -> MoneyEntry | None:
        """What was typed, with each problem shown at its field; None when there is one."""
        amount: Decimal | None = None
        amount_problem = ""
        try:
            amount = parse_amount(self.amount_edit.text())
        except InvalidInputError as exc:
            amount_problem = str(exc)
        if amount is not None and amount >= AMOUNT_LIMIT:
            amount_problem = f"An amount is less than {AMOUNT_LIMIT:,}; check the digits."
        elif amount is not None and amount != amount.quantize(CENT):
            amount_problem = "An amount has at most two decimals (cents)."
        elif amount is not None and self._limit is not None and amount > self._limit:
            amount_problem = (
                f"At most {money(self._limit, self._currency)} can be refunded "
                f"(what was paid, less earlier refunds)."
            )
        method = self.method_combo.currentText().strip()
        method_problem = ""
        if len(method) > METHOD_MAX_LENGTH:
            method_problem = f"A method has at most {METHOD_MAX_LENGTH} characters."
        show_error(self.amount_error, amount_problem)
        show_error(self.method_error, method_problem)
        if amount_problem:
            self.amount_edit.setFocus()
            self.amount_edit.selectAll()
        elif method_problem:
            self.method_combo.setFocus()
        if amount is None or amount_problem or method_problem:
            return None
        return MoneyEntry(amount, method, self.reference_edit.text().strip())

    def accept(self) -> None:
        if self._busy:
            return
        entry = self.entry()
        if entry is not None:
            self._set_busy(True)
            self.submitted.emit(entry)

    def reject(self) -> None:
        if self._busy:  # the money is being recorded: the answer still needs this dialog
            return
        super().reject()

    def refuse(self, message: str) -> None:
        """The core said no: show why at the amount field and let the operator fix it."""
        self._set_busy(False)
        show_error(self.amount_error, message)
        self.amount_edit.setFocus()

    def finish(self) -> None:
        self._set_busy(False)
        super().accept()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.ok_button.setEnabled(not busy)


def payment_dialog(number: str, money_now: Money, parent: QWidget | None) -> MoneyDialog:
    paid = money(money_now.paid, money_now.currency)
    total = money(money_now.total, money_now.currency)
    dialog = MoneyDialog(
        "Log Payment",
        f"A payment received for order {number} (total {total}, paid so far {paid}). "
        "Fires Payment Received.",
        ok_text="Log Payment",
        amount=money_now.due,
        currency=money_now.currency,
        parent=parent,
    )
    dialog.setObjectName("logPaymentDialog")
    return dialog


def refund_dialog(number: str, money_now: Money, parent: QWidget | None) -> MoneyDialog:
    left = money(money_now.refundable, money_now.currency)
    dialog = MoneyDialog(
        "Refund",
        f"Money given back for order {number}: up to {left} (paid "
        f"{money(money_now.paid, money_now.currency)}, refunded "
        f"{money(money_now.refunded, money_now.currency)}). Fires Refund Issued, or Partial "
        "Refund Issued when some is left.",
        ok_text="Refund",
        amount=None,
        limit=money_now.refundable,
        currency=money_now.currency,
        parent=parent,
    )
    dialog.setObjectName("refundDialog")
    return dialog
