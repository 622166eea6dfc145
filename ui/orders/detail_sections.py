"""The building blocks of the order detail pane: section titles, state chips, address and
totals blocks. Each is a plain widget filled from plain values; none of them loads anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from ordermanager.orders.detail import Address
from ordermanager.orders.states import PaymentState, ShippingState
from ui.formatting import money

# (background, text) per tone; soft colours that read on light and dark palettes alike.
_TONES = {
    "good": ("#dcf3e3", "#17623a"),
    "warn": ("#fdf0d5", "#7a5200"),
    "bad": ("#fbe0e0", "#8f1d1d"),
    "info": ("#e1ecfb", "#1d4f91"),
    "neutral": ("#eceef1", "#3f4650"),
}

_PAYMENT_TONES: dict[str, str] = {
    PaymentState.PAID: "good",
    PaymentState.PARTIALLY_PAID: "warn",
    PaymentState.UNPAID: "warn",
    PaymentState.PARTIALLY_REFUNDED: "neutral",
    PaymentState.REFUNDED: "neutral",
}
_SHIPPING_TONES: dict[str, str] = {
    ShippingState.SHIPPED: "good",
    ShippingState.PARTIALLY_SHIPPED: "warn",
    ShippingState.UNSHIPPED: "neutral",
    ShippingState.CANCELLED: "bad",
    ShippingState.RETURNED: "neutral",
}


def payment_tone(state: str) -> str:
    return _PAYMENT_TONES.get(state, "neutral")


def shipping_tone(state: str) -> str:
    return _SHIPPING_TONES.get(state, "neutral")


class Chip(QLabel):
    """A short coloured tag: a status label or a payment/shipping state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def set_chip(self, text: str, tone: str, tip: str = "") -> None:
        background, foreground = _TONES.get(tone, _TONES["neutral"])
        self.setText(text)
        self.setToolTip(tip)
        self.setVisible(bool(text))
        self.setStyleSheet(
            f"QLabel {{ background: {background}; color: {foreground}; border-radius: 9px;"
            " padding: 2px 9px; font-weight: 600; }"
        )


def section_title(text: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text.upper(), parent)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.85)
    font.setWeight(QFont.Weight.DemiBold)
    font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 106)
    label.setFont(font)
    label.setStyleSheet("color: palette(dark); padding-top: 6px;")
    return label


def text_label(parent: QWidget | None = None, *, wrap: bool = True) -> QLabel:
    """A label whose text the operator can select and copy (numbers, addresses, tracking)."""
    label = QLabel(parent)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(wrap)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    return label


class InfoBlock(QWidget):
    """A titled block of text lines: the customer, an address, the shipping method."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(section_title(title, self))
        self.body = text_label(self)
        layout.addWidget(self.body)
        layout.addStretch(1)

    def set_lines(self, lines: Sequence[str], empty: str = "—") -> None:
        self.body.setText("\n".join(line for line in lines if line) or empty)

    def set_address(self, address: Address, *, extra: Sequence[str] = ()) -> None:
        self.set_lines([*address.lines(), *extra], empty="No address given")


class TotalsBlock(QWidget):
    """Subtotal, shipping, tax, discount and total, amounts right-aligned under each other."""

    _ROWS = ("Subtotal", "Shipping", "Tax", "Discount", "Total")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        outer.addWidget(section_title("Totals", self))
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(2)
        outer.addLayout(grid)
        outer.addStretch(1)
        self._amounts: dict[str, QLabel] = {}
        self._captions: dict[str, QLabel] = {}
        for row, name in enumerate(self._ROWS):
            caption = QLabel(name, self)
            amount = text_label(self, wrap=False)
            amount.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if name == "Total":
                line = QFrame(self)
                line.setFrameShape(QFrame.Shape.HLine)
                line.setFrameShadow(QFrame.Shadow.Sunken)
                grid.addWidget(line, row * 2, 0, 1, 2)
                bold = caption.font()
                bold.setWeight(QFont.Weight.Bold)
                caption.setFont(bold)
                amount.setFont(bold)
            grid.addWidget(caption, row * 2 + 1, 0)
            grid.addWidget(amount, row * 2 + 1, 1)
            self._amounts[name] = amount
            self._captions[name] = caption

    def set_totals(
        self,
        currency: str,
        subtotal: Decimal,
        shipping: Decimal,
        tax: Decimal,
        discount: Decimal,
        total: Decimal,
    ) -> None:
        values = dict(
            zip(self._ROWS, (subtotal, shipping, tax, -abs(discount), total), strict=True)
        )
        for name, value in values.items():
            self._amounts[name].setText(money(value, currency))
            hidden = name == "Discount" and not discount
            self._amounts[name].setVisible(not hidden)
            self._captions[name].setVisible(not hidden)
