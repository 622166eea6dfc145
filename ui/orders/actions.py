"""The operator actions on the selected orders, for the toolbar, the Order menu and the order
list's context menu, grouped as order-level, item-level and money actions.

This module defines the actions, tracks the selection and asks what it needs (a dialog, a
confirmation); ``ui.orders.item_actions`` handles the actions on one order's items and money,
``ui.orders.action_runner`` runs them in the background and reports. The toolbar keeps the
frequent ones (Approve, Hold, Ship, Tracking, Set Label), which are also the ones with shortcuts.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QItemSelectionModel, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMenu, QToolBar, QWidget

from ordermanager.db.engine import Database
from ordermanager.orders import actions as core
from ordermanager.orders.query import fetch_orders
from ui.orders.action_dialogs import orders_phrase
from ui.orders.action_runner import ActionRunner, per_order
from ui.orders.detail import OrderDetailPane
from ui.orders.item_actions import OneOrderFlows
from ui.orders.model import OrderIdRole, OrderRowRole
from ui.orders.order_flows import SelectionFlows
from ui.orders.table import OrderTableView
from ui.orders.tracking_import_dialog import TrackingImportDialog
from ui.tasks import TaskManager

# More selected rows than this are read in the background, not row by row on the GUI thread.
IDS_ON_SCREEN_LIMIT = 2_000
ONE_ORDER_TIP = "Select exactly one order: this action works on one order's items or money."
# attribute (<name>_action), text, slot (":kind" = an action on one order), tip, shortcut.
# Shortcuts only for the frequent ones; Ctrl+Shift+S is kept for the Stack Controller Status
# window (DESIGN.md section 1), hence Ctrl+Alt+S for Ship.
_ACTIONS = (
    ("approve", "&Approve", "approve", "Approve the selected orders", "Ctrl+Shift+A"),
    ("hold", "&Hold", "hold", "Put the selected orders on hold", "Ctrl+Shift+H"),
    ("release_hold", "&Release Hold", "release_hold", "Release the selected orders", ""),
    ("ship", "&Ship…", "ship", "Ship what is left of the selected orders", "Ctrl+Alt+S"),
    ("ship_date", "Enter Ship &Date…", "enter_ship_date", "Set the orders' ship date", ""),
    ("tracking", "Enter &Tracking…", "enter_tracking", "Enter tracking numbers", "Ctrl+Shift+T"),
    ("import_tracking", "&Import Tracking…", "import_tracking", "From a CSV file", ""),
    ("label", "Set &Label…", "set_label", "Give the orders a status label", "Ctrl+L"),
    ("cancel", "&Cancel Order", "cancel", "Cancel the selected orders", "Ctrl+Shift+Del"),
    ("ship_items", "Shi&p Items…", ":ship", "Ship some items of the order", ""),
    ("backorder", "&Backorder Items…", ":backorder", "Mark items as backordered", ""),
    ("cancel_items", "Ca&ncel Items…", ":cancel", "Cancel some items of the order", ""),
    ("return", "R&eturn Items…", ":return", "Record items that came back", ""),
    ("drop_ship", "Dr&op Ship Items…", ":drop_ship", "Have the supplier ship items", ""),
    ("add_item", "Add I&tem…", ":add_item", "Add a line item to the order", ""),
    ("payment", "Log &Payment…", ":payment", "Record a payment received", ""),
    ("refund", "Re&fund…", ":refund", "Give money back", ""),
)


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


class OrderActions(QObject):
    # Made from _ACTIONS in __init__; named here for readers and type checkers.
    approve_action: QAction
    hold_action: QAction
    release_hold_action: QAction
    ship_action: QAction
    ship_date_action: QAction
    tracking_action: QAction
    import_tracking_action: QAction
    label_action: QAction
    cancel_action: QAction
    ship_items_action: QAction
    backorder_action: QAction
    cancel_items_action: QAction
    return_action: QAction
    drop_ship_action: QAction
    add_item_action: QAction
    payment_action: QAction
    refund_action: QAction

    # The last action finished (or was cancelled): its ActionOutcome, after the refresh.
    action_did_finish = Signal(object)
    # A dialog of an action opened (the Ship dialog, ...), so tests and tours can reach it.
    dialog_did_open = Signal(object)

    def __init__(
        self,
        window: QWidget,
        database: Database,
        tasks: TaskManager,
        table: OrderTableView,
        refresh: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._database = database
        self._tasks = tasks
        self._table = table
        self._refresh = refresh
        self._runner = ActionRunner(window, database, tasks, refresh)
        self._runner.running_changed.connect(lambda _running: self._update_enabled())
        self._runner.run_did_finish.connect(self.action_did_finish)
        self._by = _operator()

        self._flows = OneOrderFlows(self)
        self._selection_flows = SelectionFlows(self)

        for name, text, slot, tip, shortcut in _ACTIONS:
            handler = getattr(self, slot) if slot.isidentifier() else partial(self._one, slot[1:])
            setattr(self, f"{name}_action", self._action(text, handler, tip, shortcut))
        self.order_level = [
            self.approve_action,
            self.hold_action,
            self.release_hold_action,
            self.ship_action,
            self.ship_date_action,
            self.tracking_action,
            self.import_tracking_action,
            self.label_action,
            self.cancel_action,
        ]
        self.item_level = [
            self.ship_items_action,
            self.backorder_action,
            self.cancel_items_action,
            self.return_action,
            self.drop_ship_action,
            self.add_item_action,
        ]
        self.money = [self.payment_action, self.refund_action]
        self.toolbar_actions = [
            self.approve_action,
            self.hold_action,
            self.ship_action,
            self.tracking_action,
            self.label_action,
        ]
        self.actions = [*self.order_level, *self.item_level, *self.money]
        self._tips = {action: action.toolTip() for action in self.actions}
        # Every repaint of the column header asks the selection model whether each column is
        # selected (QHeaderView::initStyleOptionForIndex, even with highlighting off), which
        # calls the model's flags() for every selected cell: seconds of frozen GUI after Ctrl+A
        # on 10,000 orders, each time a dialog or the progress window opens or closes. The
        # header never shows the selection, so it gets a selection model of its own, empty.
        # (This belongs with the view in ui/orders/table.py; bulk actions made it matter.)
        header = table.horizontalHeader()
        header.setSelectionModel(QItemSelectionModel(table.model(), header))
        table.selectionModel().selectionChanged.connect(lambda *_: self._update_enabled())
        table.model().modelReset.connect(self._update_enabled)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._show_context_menu)
        detail = getattr(window, "detail", None)
        if isinstance(detail, OrderDetailPane):  # the main window's pane: its items get a menu
            self.attach_detail(detail)
        self._update_enabled()

    def _action(self, text: str, slot: Callable[[], None], tip: str, shortcut: str = "") -> QAction:
        action = QAction(text, self._window)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{tip} ({keys})")
        action.triggered.connect(slot)
        self._window.addAction(action)
        return action

    def _add_groups(self, menu: QMenu) -> None:
        """Order-level, item-level and money actions, separated."""
        for group in (self.order_level, self.item_level, self.money):
            if not menu.isEmpty():
                menu.addSeparator()
            menu.addActions(group)

    def install(self, menu: QMenu, toolbar: QToolBar) -> None:
        menu.setToolTipsVisible(True)  # a disabled item action says why
        self._add_groups(menu)
        toolbar.addActions(self.toolbar_actions)

    def _show_context_menu(self, position: QPoint) -> None:
        if not self._has_selection():
            return
        menu = QMenu(self._table)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.setToolTipsVisible(True)
        self._add_groups(menu)
        menu.removeAction(self.import_tracking_action)  # about a file, not the clicked orders
        menu.popup(self._table.viewport().mapToGlobal(position))

    def _update_enabled(self) -> None:
        idle = not self._runner.is_running
        chosen = self._has_selection() and idle
        one = idle and self._selected_count() == 1
        for action in self.order_level:
            action.setEnabled(chosen)
        self.import_tracking_action.setEnabled(idle)
        for action in (*self.item_level, *self.money):
            action.setEnabled(one)
            why = "" if one or not idle else f"\n{ONE_ORDER_TIP}"
            action.setToolTip(self._tips[action] + why)

    # -- the detail pane's items ---------------------------------------------------------------

    def attach_detail(self, pane: OrderDetailPane) -> None:
        """The detail pane's items table gets a context menu of item actions on the items
        selected there."""
        pane.item_menu_requested.connect(partial(self._show_item_menu, pane))

    def _show_item_menu(self, pane: OrderDetailPane, position: QPoint) -> None:
        order = pane.shown_order
        item_ids = pane.selected_item_ids()
        if order is None or not item_ids or self._runner.is_running:
            return
        menu = QMenu(pane.items_table)
        menu.setObjectName("itemMenu")
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        some = "Item" if len(item_ids) == 1 else f"{len(item_ids)} Items"
        for text, kind in (
            (f"Ship Selected {some}…", "ship"),
            (f"Backorder Selected {some}…", "backorder"),
            (f"Cancel Selected {some}…", "cancel"),
            (f"Return Selected {some}…", "return"),
            (f"Drop Ship Selected {some}…", "drop_ship"),
        ):
            action = menu.addAction(text)
            action.triggered.connect(partial(self._flows.items, kind, order.id, item_ids))
        menu.popup(pane.items_table.viewport().mapToGlobal(position))

    # -- the selection -----------------------------------------------------------------------

    # Never selectedRows() here: it asks the model's flags() for every cell, which takes
    # seconds on the GUI thread for Ctrl+A on 10,000 orders. The selection's ranges are enough.

    def _row_ranges(self) -> list[tuple[int, int]]:
        """The selected rows as sorted, merged (top, bottom) ranges."""
        selection = self._table.selectionModel().selection()
        ranges = sorted(
            (r.top(), r.bottom())
            for r in (selection.at(i) for i in range(selection.count()))
            if r.isValid()
        )
        merged: list[tuple[int, int]] = []
        for top, bottom in ranges:
            if merged and top <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], bottom))
            else:
                merged.append((top, bottom))
        return merged

    def _ids_on_screen(self, ranges: list[tuple[int, int]]) -> list[int]:
        """Ids of the selected rows whose page is loaded; none for a selection so large that
        reading it row by row would hold up the GUI (it is read in the background instead)."""
        if sum(bottom - top + 1 for top, bottom in ranges) > IDS_ON_SCREEN_LIMIT:
            return []
        model = self._table.model()
        ids = (
            model.index(row, 0).data(OrderIdRole)
            for top, bottom in ranges
            for row in range(top, bottom + 1)
        )
        return [order_id for order_id in ids if order_id is not None]

    def selected_ids(self) -> list[int]:
        """The selected orders already on screen, or the current order when none is selected."""
        ranges = self._row_ranges()
        if ranges:
            return self._ids_on_screen(ranges)
        current = self._table.current_order_id
        return [] if current is None else [current]

    def _has_selection(self) -> bool:
        return self._table.selectionModel().hasSelection() or bool(self.selected_ids())

    def _selected_count(self) -> int:
        rows = sum(bottom - top + 1 for top, bottom in self._row_ranges())
        return rows or (1 if self._table.current_order_id is not None else 0)

    def _with_selection(self, then: Callable[[list[int]], None]) -> None:
        """Call ``then`` with the ids of every selected order. Rows whose page was never loaded
        (Ctrl+A on a long list) have no id on screen; those are read by position, under the
        list's filter and sort, in the background."""
        ranges = self._row_ranges()
        ids = self._ids_on_screen(ranges) if ranges else self.selected_ids()
        if sum(bottom - top + 1 for top, bottom in ranges) <= len(ids):
            if ids:
                then(ids)
            return
        model = self._table.order_model()
        flt, sort, database = model.order_filter, model.order_sort, self._database

        def fetch() -> list[int]:
            found: dict[int, None] = {}
            with database.session() as session:
                for top, bottom in ranges:
                    rows = fetch_orders(session, flt, sort, top, bottom - top + 1)
                    found.update(dict.fromkeys(row.id for row in rows))
            return list(found)

        self._tasks.run(fetch, lambda found: then(found) if found else None, owner=self)

    def phrase(self, ids: list[int]) -> str:
        """'order #1001' for one order, '3 orders' for several."""
        numbers: list[str] = []
        if len(ids) == 1:
            ranges = self._row_ranges()
            row = ranges[0][0] if ranges else self._table.currentIndex().row()
            found = self._table.model().index(row, 0).data(OrderRowRole)
            numbers = [found.number] if found is not None else []
        return orders_phrase(numbers, len(ids))

    # -- the actions -------------------------------------------------------------------------

    def approve(self) -> None:
        by = self._by
        runner = per_order(lambda s, i: core.approve(s, i, changed_by=by))
        self._with_selection(partial(self._runner.run, "Approve", runner))

    def hold(self) -> None:
        by = self._by
        runner = per_order(lambda s, i: core.hold(s, i, changed_by=by))
        self._with_selection(partial(self._runner.run, "Hold", runner))

    def release_hold(self) -> None:
        by = self._by
        runner = per_order(lambda s, i: core.release_hold(s, i, changed_by=by))
        self._with_selection(partial(self._runner.run, "Release hold", runner))

    def ship(self) -> None:
        self._with_selection(self._selection_flows.ship)

    def enter_ship_date(self) -> None:
        self._with_selection(self._selection_flows.enter_ship_date)

    def import_tracking(self) -> None:
        dialog = TrackingImportDialog(
            self._database,
            self._tasks,
            changed_by=self._by,
            imported=self._refresh,
            parent=self._window,
        )
        self.open_dialog(dialog, None)

    def _one(self, kind: str) -> None:
        """An item-level or money action on the one selected order."""
        ids = self.selected_ids()
        if len(ids) != 1 or self._selected_count() != 1:
            return
        (order_id,) = ids
        if kind == "add_item":
            self._flows.add_item(order_id)
        elif kind == "payment":
            self._flows.log_payment(order_id)
        elif kind == "refund":
            self._flows.refund(order_id)
        else:
            self._flows.items(kind, order_id)

    def enter_tracking(self) -> None:
        self._with_selection(self._selection_flows.enter_tracking)

    def cancel(self) -> None:
        self._with_selection(self._selection_flows.cancel)

    def set_label(self) -> None:
        self._with_selection(self._selection_flows.set_label)

    # -- for ui.orders.item_actions (its ActionHost) ---------------------------------------------

    @property
    def window(self) -> QWidget:
        return self._window

    @property
    def database(self) -> Database:
        return self._database

    @property
    def tasks(self) -> TaskManager:
        return self._tasks

    @property
    def runner(self) -> ActionRunner:
        return self._runner

    @property
    def changed_by(self) -> str:
        return self._by

    def open_dialog(self, dialog: QDialog, accepted: Callable[[], None] | None) -> None:
        """Open ``dialog`` window-modal; ``accepted`` runs when the operator confirms it."""
        if accepted is not None:
            dialog.accepted.connect(accepted)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.dialog_did_open.emit(dialog)
