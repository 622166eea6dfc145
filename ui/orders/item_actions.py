"""The actions on ONE order that need its details first: the line-item actions (Ship, Backorder,
Cancel, Return, Drop Ship items; Add Item) and the money actions (Log Payment, Refund).

Each loads the order's ``OrderDetail`` off the GUI thread, opens its dialog, and runs the core
action through the window's ``ActionRunner``. ``ui.orders.actions`` owns the QActions and the
selection; this module only knows "this order (and maybe these items)".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ordermanager.orders import actions as core
from ordermanager.orders import payments
from ordermanager.orders.detail import OrderDetail, load_order_detail
from ui.orders.action_runner import per_order
from ui.orders.item_dialogs import (
    AddItemDialog,
    Eligibility,
    ItemActionDialog,
    any_item,
    left_to_ship,
    was_shipped,
)
from ui.orders.money_dialogs import Money, MoneyEntry, payment_dialog, refund_dialog
from ui.orders.order_flows import ActionHost

ItemCall = Callable[..., object]  # core.backorder and friends: (session, order_id, item_ids, ...)


@dataclass(frozen=True)
class ItemKind:
    """One line-item action: its words, the core function and which items it can take."""

    title: str
    verb: str
    intro: str
    call: ItemCall
    eligible: Eligibility = any_item
    with_tracking: bool = False


ITEM_KINDS: dict[str, ItemKind] = {
    "ship": ItemKind(
        "Ship Items",
        "Ship",
        "Ship what is left of the checked items of order {number} (Item Shipped; Order "
        "Shipped once nothing is left, else Order Partially Shipped).",
        core.ship,
        left_to_ship,
        with_tracking=True,
    ),
    "backorder": ItemKind(
        "Backorder Items",
        "Backorder",
        "Mark the checked items of order {number} as backordered (Item Backordered).",
        core.backorder,
    ),
    "cancel": ItemKind(
        "Cancel Items",
        "Cancel Items",
        "Cancel the checked items of order {number} (Item Cancel). To cancel the whole order, "
        "use Cancel Order.",
        core.cancel,
    ),
    "return": ItemKind(
        "Return Items",
        "Return",
        "The checked items of order {number} came back (Item Returned).",
        core.return_items,
        was_shipped,
    ),
    "drop_ship": ItemKind(
        "Drop Ship Items",
        "Drop Ship",
        "The checked items of order {number} ship from the supplier (Drop Ship Ordered).",
        core.drop_ship,
    ),
}


class OneOrderFlows:
    def __init__(self, host: ActionHost) -> None:
        self._host = host

    def _with_detail(self, order_id: int, then: Callable[[OrderDetail], None]) -> None:
        database = self._host.database

        def load() -> OrderDetail:
            with database.session() as session:
                return load_order_detail(session, order_id)

        self._host.tasks.run(load, then, owner=self._host.runner)

    # -- line items ----------------------------------------------------------------------------

    def items(self, kind: str, order_id: int, checked: Sequence[int] = ()) -> None:
        self._with_detail(order_id, lambda detail: self._items(ITEM_KINDS[kind], detail, checked))

    def _items(self, kind: ItemKind, detail: OrderDetail, checked: Sequence[int]) -> None:
        host = self._host
        if not detail.items:
            dialog = ItemActionDialog(
                kind.title,
                f"Order {detail.number} has no line items. Add one with Add Item….",
                [],
                detail.currency,
                ok_text=kind.verb,
                parent=host.window,
            )
            dialog.ok_button.setEnabled(False)
            host.open_dialog(dialog, None)
            return
        dialog = ItemActionDialog(
            f"{kind.title} — Order {detail.number}",
            kind.intro.format(number=detail.number),
            detail.items,
            detail.currency,
            ok_text=kind.verb,
            eligible=kind.eligible,
            checked=checked,
            with_tracking=kind.with_tracking,
            parent=host.window,
        )
        by, call = host.changed_by, kind.call

        def accepted() -> None:
            item_ids = dialog.checked_item_ids()
            shipment: dict[str, object] = {}
            if dialog.tracking is not None:
                shipment = {
                    "tracking": dialog.tracking.tracking_numbers(),
                    "carrier": dialog.tracking.carrier(),
                }
            host.runner.run(
                kind.title,
                per_order(lambda s, i: call(s, i, item_ids, changed_by=by, **shipment)),
                [detail.id],
            )

        host.open_dialog(dialog, accepted)

    def add_item(self, order_id: int) -> None:
        self._with_detail(order_id, self._add_item)

    def _add_item(self, detail: OrderDetail) -> None:
        host = self._host
        dialog = AddItemDialog(
            f"A new line item for order {detail.number} (Item Add). The order's totals grow "
            "by its price times its quantity.",
            detail.currency,
            host.window,
        )
        by = host.changed_by

        def accepted() -> None:
            sku, name = dialog.sku(), dialog.name()
            quantity, price = dialog.quantity(), dialog.unit_price()

            def add(session: Session, order_id: int) -> object:
                return core.add_item(
                    session,
                    order_id,
                    sku=sku,
                    name=name,
                    quantity=quantity,
                    unit_price=price,
                    changed_by=by,
                )

            host.runner.run("Add item", per_order(add), [detail.id])

        host.open_dialog(dialog, accepted)

    # -- money ---------------------------------------------------------------------------------

    def log_payment(self, order_id: int) -> None:
        self._with_detail(order_id, lambda detail: self._money(detail, refund=False))

    def refund(self, order_id: int) -> None:
        self._with_detail(order_id, lambda detail: self._money(detail, refund=True))

    def _money(self, detail: OrderDetail, *, refund: bool) -> None:
        host = self._host
        make = refund_dialog if refund else payment_dialog
        dialog = make(detail.number, Money.of(detail), host.window)
        by = host.changed_by
        verb = "Refund" if refund else "Log payment"
        record = payments.refund if refund else payments.log_payment

        def submitted(entry: MoneyEntry) -> None:
            def act(session: Session, order_id: int) -> object:
                return record(
                    session,
                    order_id,
                    entry.amount,
                    entry.method,
                    reference=entry.reference,
                    changed_by=by,
                )

            host.runner.run_single(
                verb, detail.id, act, refused=dialog.refuse, succeeded=dialog.finish
            )

        dialog.submitted.connect(submitted)
        host.open_dialog(dialog, None)
