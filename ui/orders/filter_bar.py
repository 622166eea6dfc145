"""The bar above the order list: status label, cart, date range and quick search.

Choosing from a list applies at once; typing in the search box applies after a short pause
(``SEARCH_DELAY_MS``), so each keystroke does not start a query. The bar only edits a
``FilterChoice`` and says when it changed; the window hands it to the model.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from ui.orders.state import DateRange, FilterChoice

SEARCH_DELAY_MS = 250  # also for typed dates
SEARCH_PLACEHOLDER = "Search number, customer or e-mail (Ctrl+F)"
ALL_LABELS = "All statuses"
ALL_CARTS = "All carts"


class FilterBar(QWidget):
    filter_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterBar")
        self.label_combo = QComboBox(self)
        self.label_combo.setObjectName("labelFilter")
        self.label_combo.setToolTip("Show only orders with this status label")
        self.label_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.label_combo.addItem(ALL_LABELS, None)

        self.cart_combo = QComboBox(self)
        self.cart_combo.setObjectName("cartFilter")
        self.cart_combo.setToolTip("Show only orders from this cart")
        self.cart_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.cart_combo.addItem(ALL_CARTS, None)

        self.date_combo = QComboBox(self)
        self.date_combo.setObjectName("dateFilter")
        self.date_combo.setToolTip("Show only orders placed in this period (your local days)")
        for preset in DateRange:
            self.date_combo.addItem(preset.caption, preset.value)

        today = QDate.currentDate()
        self.first_day_edit = _date_edit(self, today.addDays(-6), "From (inclusive)")
        self.last_day_edit = _date_edit(self, today, "To (inclusive)")
        self._range_dash = QLabel("–", self)

        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("searchField")
        self.search_edit.setPlaceholderText(SEARCH_PLACEHOLDER)
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(
            self.fontMetrics().horizontalAdvance(SEARCH_PLACEHOLDER) + 48
        )
        self.search_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        self.clear_button = QPushButton("Clear filters", self)
        self.clear_button.setObjectName("clearFilters")
        self.clear_button.setToolTip("Show all orders again (Esc in the search box)")
        self.clear_button.setEnabled(False)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.search_edit, 3)
        layout.addSpacing(6)
        layout.addWidget(self.label_combo)
        layout.addWidget(self.cart_combo)
        layout.addWidget(self.date_combo)
        layout.addWidget(self.first_day_edit)
        layout.addWidget(self._range_dash)
        layout.addWidget(self.last_day_edit)
        layout.addStretch(1)
        layout.addWidget(self.clear_button)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._changed)
        self.search_edit.textChanged.connect(self._search_timer.start)
        self.search_edit.returnPressed.connect(self._apply_search_now)
        self.label_combo.currentIndexChanged.connect(self._changed)
        self.cart_combo.currentIndexChanged.connect(self._changed)
        self.date_combo.currentIndexChanged.connect(self._date_range_changed)
        # Typing a date changes it digit by digit: wait for the pause, as for the search.
        self.first_day_edit.dateChanged.connect(self._search_timer.start)
        self.last_day_edit.dateChanged.connect(self._search_timer.start)
        self.clear_button.clicked.connect(self.clear)
        self._show_custom_range(False)

    def add_search_action(self, action: QAction) -> None:
        """An action whose shortcut works only while the search box has the focus (Esc)."""
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.search_edit.addAction(action)

    def choice(self) -> FilterChoice:
        return FilterChoice(
            label_id=self.label_combo.currentData(),
            cart_id=self.cart_combo.currentData(),
            date_range=DateRange(self.date_combo.currentData()),
            first_day=_to_date(self.first_day_edit.date()),
            last_day=_to_date(self.last_day_edit.date()),
            search=self.search_edit.text(),
        )

    def set_labels(self, labels: list[tuple[int, str]]) -> None:
        _refill(self.label_combo, ALL_LABELS, labels)

    def set_carts(self, carts: list[tuple[int, str]]) -> None:
        _refill(self.cart_combo, ALL_CARTS, carts)

    def focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def clear(self) -> None:
        """Back to every order, in one change (one query), keeping the custom dates typed."""
        if self.choice().is_empty:
            self.search_edit.clear()
            return
        widgets = (self.label_combo, self.cart_combo, self.date_combo, self.search_edit)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.label_combo.setCurrentIndex(0)
            self.cart_combo.setCurrentIndex(0)
            self.date_combo.setCurrentIndex(0)
            self.search_edit.clear()
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._search_timer.stop()
        self._show_custom_range(False)
        self._changed()

    def _apply_search_now(self) -> None:
        if self._search_timer.isActive():
            self._search_timer.stop()
            self._changed()

    def _date_range_changed(self) -> None:
        self._show_custom_range(self.date_combo.currentData() == DateRange.CUSTOM.value)
        self._changed()

    def _show_custom_range(self, visible: bool) -> None:
        for widget in (self.first_day_edit, self._range_dash, self.last_day_edit):
            widget.setVisible(visible)

    def _changed(self) -> None:
        self._search_timer.stop()
        self.clear_button.setEnabled(not self.choice().is_empty)
        self.filter_changed.emit()


def _date_edit(parent: QWidget, day: QDate, tip: str) -> QDateEdit:
    edit = QDateEdit(day, parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setToolTip(tip)
    return edit


def _to_date(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


def _refill(combo: QComboBox, everything: str, entries: list[tuple[int, str]]) -> None:
    """Replace the entries, keeping the current one if it still exists, without a change signal."""
    current = combo.currentData()
    combo.blockSignals(True)
    try:
        combo.clear()
        combo.addItem(everything, None)
        for entry_id, name in entries:
            combo.addItem(name, entry_id)
        found = combo.findData(current) if current is not None else 0
        combo.setCurrentIndex(max(found, 0))
    finally:
        combo.blockSignals(False)
    if current is not None and combo.currentData() != current:
        combo.currentIndexChanged.emit(combo.currentIndex())
