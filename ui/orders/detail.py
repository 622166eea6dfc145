"""The order detail pane: everything about the selected order, loaded in the background.

Selecting an order asks the core for its ``OrderDetail`` (plain data) off the GUI thread; the
previous order stays on screen until the new one arrives, and an answer for an order that is no
longer selected is ignored.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ordermanager.db.engine import Database
from ordermanager.orders.detail import OrderDetail, load_order_detail
from ui.formatting import local_date, local_time, money
from ui.orders.detail_sections import (
    Chip,
    InfoBlock,
    TotalsBlock,
    payment_tone,
    section_title,
    shipping_tone,
    text_label,
)
from ui.orders.detail_tables import RecordColumn, RecordTable
from ui.tasks import TaskManager

EMPTY_TEXT = "Select an order to see its details"

ITEM_COLUMNS = (
    RecordColumn("SKU"),
    RecordColumn("Item", stretch=True),
    RecordColumn("Qty", align_right=True),
    RecordColumn("Shipped", align_right=True),
    RecordColumn("Price", align_right=True),
    RecordColumn("Total", align_right=True),
    RecordColumn("Status"),
)
SHIPMENT_COLUMNS = (
    RecordColumn("Shipped"),
    RecordColumn("Carrier"),
    RecordColumn("Tracking numbers", stretch=True),
    RecordColumn("Items"),
)
PAYMENT_COLUMNS = (
    RecordColumn("Date"),
    RecordColumn("Kind"),
    RecordColumn("Method"),
    RecordColumn("Reference", stretch=True),
    RecordColumn("Amount", align_right=True),
)
HISTORY_COLUMNS = (
    RecordColumn("When"),
    RecordColumn("Change"),
    RecordColumn("Item", stretch=True),
    RecordColumn("Why"),
)


class OrderDetailPane(QWidget):
    detail_did_load = Signal(int)
    # Right-click on the items table (position in its viewport); the order actions offer the
    # item actions on ``selected_item_ids()``.
    item_menu_requested = Signal(QPoint)

    def __init__(self, database: Database, tasks: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("orderDetail")
        self._database = database
        self._tasks = tasks
        self._wanted: int | None = None
        self._shown: OrderDetail | None = None

        self._stack = QStackedWidget(self)
        self._message = QLabel(EMPTY_TEXT, self)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._message.setStyleSheet("color: palette(dark); font-size: 11pt;")
        self._stack.addWidget(self._message)
        self._stack.addWidget(self._build_content())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)

    @property
    def shown_order(self) -> OrderDetail | None:
        return self._shown

    @property
    def message(self) -> str:
        """The text shown instead of an order ("Select an order…", an error), or ''."""
        return self._message.text() if self._stack.currentIndex() == 0 else ""

    @property
    def items_table(self) -> RecordTable:
        return self._items

    def selected_item_ids(self) -> list[int]:
        """The line items selected in the items table, in table order."""
        rows = sorted({index.row() for index in self._items.selectionModel().selectedRows()})
        return [self._item_ids[row] for row in rows if row < len(self._item_ids)]

    def show_order(self, order_id: int | None) -> None:
        self._wanted = order_id
        if order_id is None:
            self._show_message(EMPTY_TEXT)
            return
        self._tasks.run(
            partial(self._load, order_id),
            self._did_load,
            partial(self._did_fail, order_id),
        )

    def reload(self) -> None:
        if self._wanted is not None:
            self.show_order(self._wanted)

    def _load(self, order_id: int) -> OrderDetail:
        with self._database.session() as session:
            return load_order_detail(session, order_id)

    def _did_load(self, detail: OrderDetail) -> None:
        if detail.id != self._wanted:
            return
        self._fill(detail)
        self._stack.setCurrentIndex(1)
        self.detail_did_load.emit(detail.id)

    def _did_fail(self, order_id: int, error: BaseException) -> None:
        if order_id == self._wanted:
            self._show_message(f"This order cannot be shown.\n{error}")

    def _show_message(self, text: str) -> None:
        self._shown = None
        self._message.setText(text)
        self._stack.setCurrentIndex(0)

    # -- layout ------------------------------------------------------------------------------

    def _build_content(self) -> QScrollArea:
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget(scroll)
        content.setObjectName("orderDetailContent")
        scroll.setWidget(content)

        self._number = text_label(content, wrap=False)
        big = self._number.font()
        big.setPointSizeF(big.pointSizeF() * 1.5)
        big.setWeight(QFont.Weight.Bold)
        self._number.setFont(big)
        self._label_chip = Chip(content)
        self._payment_chip = Chip(content)
        self._shipping_chip = Chip(content)
        self._subtitle = text_label(content)
        self._subtitle.setStyleSheet("color: palette(dark);")

        title_row = QHBoxLayout()
        title_row.setSpacing(8)
        title_row.addWidget(self._number)
        title_row.addSpacing(4)
        title_row.addWidget(self._label_chip)
        title_row.addWidget(self._payment_chip)
        title_row.addWidget(self._shipping_chip)
        title_row.addStretch(1)

        self._customer = InfoBlock("Customer", content)
        self._billing = InfoBlock("Billing address", content)
        self._shipping = InfoBlock("Shipping address", content)
        self._totals = TotalsBlock(content)
        blocks = QHBoxLayout()
        blocks.setSpacing(28)
        for block in (self._customer, self._billing, self._shipping):
            blocks.addWidget(block, 1)
        blocks.addWidget(self._totals)

        self._note_title = section_title("Customer note", content)
        self._note = text_label(content)

        self._items = RecordTable(ITEM_COLUMNS, content)
        self._item_ids: list[int] = []
        self._items.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._items.customContextMenuRequested.connect(self.item_menu_requested)
        self._shipments = RecordTable(SHIPMENT_COLUMNS, content)
        self._shipments_empty = QLabel("Nothing shipped yet.", content)
        self._payments = RecordTable(PAYMENT_COLUMNS, content)
        self._payments_empty = QLabel("No payments recorded.", content)
        self._history = RecordTable(HISTORY_COLUMNS, content)
        self._history_empty = QLabel("No status label changes yet.", content)
        for empty in (self._shipments_empty, self._payments_empty, self._history_empty):
            empty.setStyleSheet("color: palette(dark);")

        left = QVBoxLayout()
        left.setSpacing(6)
        left.addLayout(title_row)
        left.addWidget(self._subtitle)
        left.addSpacing(6)
        left.addLayout(blocks)
        left.addWidget(self._note_title)
        left.addWidget(self._note)
        left.addWidget(section_title("Items", content))
        left.addWidget(self._items)
        left.addStretch(1)

        right = QVBoxLayout()
        right.setSpacing(6)
        right.addWidget(section_title("Shipments", content))
        right.addWidget(self._shipments)
        right.addWidget(self._shipments_empty)
        right.addWidget(section_title("Payments", content))
        right.addWidget(self._payments)
        right.addWidget(self._payments_empty)
        right.addWidget(section_title("Status label history", content))
        right.addWidget(self._history)
        right.addWidget(self._history_empty)
        right.addStretch(1)

        columns = QHBoxLayout(content)
        columns.setContentsMargins(14, 10, 14, 10)
        columns.setSpacing(28)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        return scroll

    # -- filling -----------------------------------------------------------------------------

    def _fill(self, detail: OrderDetail) -> None:
        self._shown = detail
        cur = detail.currency
        self._number.setText(f"Order {detail.number}")
        self._label_chip.set_chip(detail.label or "No status", "info", "Status label")
        self._payment_chip.set_chip(
            detail.payment_title, payment_tone(detail.payment_state), "Payment"
        )
        self._shipping_chip.set_chip(
            detail.shipping_title, shipping_tone(detail.shipping_state), "Shipping"
        )
        facts = [detail.cart_name, f"placed {local_time(detail.placed_at)}"]
        if detail.ship_date is not None:
            facts.append(f"ship date {local_date(detail.ship_date)}")
        self._subtitle.setText("  ·  ".join(facts))
        self._subtitle.setToolTip(
            f"Last changed {local_time(detail.modified_at)}"
            + (
                f"\nThe cart's own id for this order: {detail.remote_id}"
                if detail.remote_id
                else ""
            )
        )

        self._customer.set_lines(
            [detail.customer_name, detail.customer_email, detail.customer_phone]
        )
        self._billing.set_address(detail.billing)
        method = [f"Via {detail.shipping_method}"] if detail.shipping_method else []
        self._shipping.set_address(detail.shipping, extra=method)
        self._totals.set_totals(
            cur,
            detail.subtotal,
            detail.shipping_total,
            detail.tax_total,
            detail.discount_total,
            detail.total,
        )
        self._note.setText(detail.customer_note)
        self._note.setVisible(bool(detail.customer_note))
        self._note_title.setVisible(bool(detail.customer_note))

        self._item_ids = [item.id for item in detail.items]
        self._items.set_rows(
            [
                (
                    item.sku,
                    item.name,
                    f"{item.quantity:,}",
                    f"{item.shipped_quantity:,}",
                    money(item.unit_price, cur),
                    money(item.line_total, cur),
                    item.label or "",
                )
                for item in detail.items
            ]
        )
        self._shipments.set_rows(
            [
                (
                    local_date(shipment.shipped_at),
                    " ".join(p for p in (shipment.carrier, shipment.service) if p),
                    ", ".join(shipment.tracking_numbers) or "—",
                    f"{sum(qty for _, qty in shipment.items):,} items",
                )
                for shipment in detail.shipments
            ],
            tips=[
                "\n".join(f"{qty} × {item}" for item, qty in shipment.items) or None
                for shipment in detail.shipments
            ],
        )
        self._payments.set_rows(
            [
                (
                    local_date(payment.paid_at),
                    payment.kind.capitalize(),
                    payment.method,
                    payment.reference,
                    money(-payment.amount if payment.kind == "refund" else payment.amount, cur),
                )
                for payment in detail.payments
            ]
        )
        self._history.set_rows(
            [
                (
                    local_time(change.changed_at),
                    f"{change.from_label or '(none)'} → {change.to_label or '(none)'}",
                    change.item or "Order",
                    change.reason,
                )
                for change in reversed(detail.history)
            ],
            tips=[change.note or None for change in reversed(detail.history)],
        )
        for table, empty in (
            (self._shipments, self._shipments_empty),
            (self._payments, self._payments_empty),
            (self._history, self._history_empty),
        ):
            has_rows = table.record_model.rowCount() > 0
            table.setVisible(has_rows)
            empty.setVisible(not has_rows)
