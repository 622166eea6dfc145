"""Log Payment… and Refund… from the main window on a real store.

The amount is checked at its field (the core's ``parse_amount``); a refund over what is left to
refund is refused at the field, both by the dialog and, when the dialog's numbers are out of
date, by the core itself.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from ordermanager.db.engine import Database
from ordermanager.db.models import LabelChange, Order, Payment
from ordermanager.orders import payments
from ordermanager.settings import set_setting
from ordermanager.status.defaults import load_defaults
from tests.ui.test_order_actions import label_of, queued, select_rows
from ui.main_window import MainWindow
from ui.orders.money_dialogs import MoneyDialog

OpenWindow = Callable[[], MainWindow]


@pytest.fixture
def window(open_writable_window: OpenWindow, writable_store: Database) -> MainWindow:
    with writable_store.transaction() as session:
        set_setting(session, "UseStatusUpdates", True)
        load_defaults(session, force=True)
    return open_writable_window()


def money_rows(database: Database, order_id: int) -> list[tuple[str, Decimal, str, str]]:
    with database.session() as session:
        rows = session.execute(
            select(Payment.kind, Payment.amount, Payment.method, Payment.reference)
            .where(Payment.order_id == order_id)
            .order_by(Payment.id)
        )
        return [(kind, amount, method, reference) for kind, amount, method, reference in rows]


def history_events(database: Database, order_id: int) -> list[str]:
    with database.session() as session:
        return list(
            session.execute(
                select(LabelChange.event)
                .where(LabelChange.order_id == order_id)
                .order_by(LabelChange.id)
            ).scalars()
        )


def open_money_dialog(qtbot: QtBot, window: MainWindow, action_name: str) -> MoneyDialog:
    with qtbot.waitSignal(window.order_actions.dialog_did_open) as opened:
        getattr(window.order_actions, action_name).trigger()
    dialog = opened.args[0]
    assert isinstance(dialog, MoneyDialog)
    return dialog


def type_amount(qtbot: QtBot, dialog: MoneyDialog, text: str) -> None:
    dialog.amount_edit.clear()
    qtbot.keyClicks(dialog.amount_edit, text)


def test_log_payment__a_bad_amount_is_flagged_at_the_field_then_a_good_one_is_recorded(
    qtbot: QtBot, window: MainWindow, writable_store: Database
) -> None:
    (order_id,) = select_rows(window, 1, 1)
    before = money_rows(writable_store, order_id)
    dialog = open_money_dialog(qtbot, window, "payment_action")
    assert dialog.objectName() == "logPaymentDialog"

    for typed, problem in (
        ("12,50 EUR", "'12,50 EUR' is not an amount (for example 12.50)."),
        ("0", "An amount must be more than 0, not '0'."),
        ("-5", "An amount must be more than 0, not '-5'."),
        ("12.345", "An amount has at most two decimals (cents)."),
    ):
        type_amount(qtbot, dialog, typed)
        dialog.ok_button.click()
        assert dialog.isVisible()
        assert dialog.amount_error.text() == problem
        assert dialog.amount_error.isVisibleTo(dialog)
    qtbot.keyClicks(dialog.amount_edit, "9")
    assert not dialog.amount_error.isVisibleTo(dialog)  # typing clears the flag
    assert money_rows(writable_store, order_id) == before

    type_amount(qtbot, dialog, "25.00")
    line_edit = dialog.method_combo.lineEdit()
    assert line_edit is not None
    qtbot.keyClicks(line_edit, "Cash")
    qtbot.keyClicks(dialog.reference_edit, "Till receipt 0042")
    with qtbot.waitSignal(window.order_actions.action_did_finish):
        dialog.ok_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible())

    assert money_rows(writable_store, order_id) == [
        *before,
        ("payment", Decimal("25.00"), "Cash", "Till receipt 0042"),
    ]
    assert label_of(writable_store, order_id) == "Payment Received"
    assert history_events(writable_store, order_id)[-1:] == ["Payment Received"]
    assert queued(writable_store, order_id) == []  # Notify Cart is off for Payment Received


def test_refund__over_the_paid_amount_is_refused_at_the_field(
    qtbot: QtBot, window: MainWindow, writable_store: Database
) -> None:
    (showcase,) = select_rows(window, 0, 0)  # paid 218.00 EUR, nothing refunded
    dialog = open_money_dialog(qtbot, window, "refund_action")
    texts = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "up to €218.00 (paid €218.00, refunded €0.00)" in texts
    type_amount(qtbot, dialog, "218.01")
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert dialog.amount_error.text() == (
        "At most €218.00 can be refunded (what was paid, less earlier refunds)."
    )
    assert [row[0] for row in money_rows(writable_store, showcase)] == ["payment"]

    # Someone else refunds 200 while the dialog is open: its own check still allows 100, the
    # core does not, and says so at the same field.
    with writable_store.transaction() as session:
        payments.refund(session, showcase, Decimal("200"), "PayPal")
    type_amount(qtbot, dialog, "100")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.amount_error.isVisibleTo(dialog))
    assert dialog.isVisible()
    assert dialog.amount_error.text() == (
        "Order #9001 has 18.00 EUR left to refund, less than 100.00."
    )
    assert dialog.ok_button.isEnabled()
    assert [row[1] for row in money_rows(writable_store, showcase)] == [
        Decimal("218"),
        Decimal("200"),
    ]

    type_amount(qtbot, dialog, "18")
    qtbot.keyClicks(dialog.reference_edit, "RF-77")
    with qtbot.waitSignal(window.order_actions.action_did_finish):
        dialog.ok_button.click()
    assert money_rows(writable_store, showcase)[-1] == ("refund", Decimal("18"), "", "RF-77")
    with writable_store.session() as session:
        assert session.get_one(Order, showcase).payment_state == "refunded"
    assert label_of(writable_store, showcase) == "Refunded"
    assert ("refund_issued", "Refunded") in queued(writable_store, showcase)


def test_money_actions__need_exactly_one_order(window: MainWindow) -> None:
    select_rows(window, 1, 2)
    assert not window.order_actions.payment_action.isEnabled()
    assert not window.order_actions.refund_action.isEnabled()
    select_rows(window, 2, 2)
    assert window.order_actions.refund_action.isEnabled()
    assert "exactly one" not in window.order_actions.refund_action.toolTip()
