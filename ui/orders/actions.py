"""The operator actions on the selected orders: Approve, Hold, Ship…, Enter Tracking…, Cancel
Order, Set Label…, for the toolbar, the Order menu and the order list's context menu.

This module defines the actions and asks what it needs (a dialog, a confirmation);
``ui.orders.action_runner`` runs them in the background and reports.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QToolBar, QWidget

from ordermanager.db.engine import Database
from ordermanager.orders import actions as core
from ordermanager.orders.bulk import BulkResult, Progress
from ordermanager.orders.bulk_ship import bulk_ship
from ordermanager.orders.query import fetch_orders
from ordermanager.status.labels import list_labels
from ui.orders.action_dialogs import SetLabelDialog, ShipDialog, orders_phrase
from ui.orders.action_runner import ActionRunner, per_order
from ui.orders.model import OrderRowRole
from ui.orders.table import OrderTableView
from ui.tasks import TaskManager


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


class OrderActions(QObject):
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
        self._runner = ActionRunner(window, database, tasks, refresh)
        self._runner.running_changed.connect(lambda _running: self._update_enabled())
        self._runner.run_did_finish.connect(self.action_did_finish)
        self._by = _operator()

        self.approve_action = self._action(
            "&Approve", self.approve, "Ctrl+Shift+A", "Approve the selected orders"
        )
        self.hold_action = self._action(
            "&Hold", self.hold, "Ctrl+Shift+H", "Put the selected orders on hold"
        )
        self.ship_action = self._action(
            # Ctrl+Shift+S is kept for the Stack Controller Status window (DESIGN.md section 1).
            "&Ship…",
            self.ship,
            "Ctrl+Alt+S",
            "Ship what is left of the selected orders",
        )
        self.tracking_action = self._action(
            "Enter &Tracking…",
            self.enter_tracking,
            "Ctrl+Shift+T",
            "Enter tracking numbers for the selected orders",
        )
        self.cancel_action = self._action(
            "&Cancel Order", self.cancel, "Ctrl+Shift+Del", "Cancel the selected orders"
        )
        self.label_action = self._action(
            "Set &Label…", self.set_label, "Ctrl+L", "Give the selected orders a status label"
        )
        self.actions = [
            self.approve_action,
            self.hold_action,
            self.ship_action,
            self.tracking_action,
            self.cancel_action,
            self.label_action,
        ]
        table.selectionModel().selectionChanged.connect(lambda *_: self._update_enabled())
        table.model().modelReset.connect(self._update_enabled)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._show_context_menu)
        self._update_enabled()

    def _action(self, text: str, slot: Callable[[], None], shortcut: str, tip: str) -> QAction:
        action = QAction(text, self._window)
        action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({keys})")
        action.triggered.connect(slot)
        self._window.addAction(action)
        return action

    def install(self, menu: QMenu, toolbar: QToolBar) -> None:
        for action in self.actions:
            if action is self.cancel_action:
                menu.addSeparator()
                toolbar.addSeparator()
            menu.addAction(action)
            toolbar.addAction(action)

    def _show_context_menu(self, position: QPoint) -> None:
        if not self._has_selection():
            return
        menu = QMenu(self._table)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for action in self.actions:
            if action is self.cancel_action:
                menu.addSeparator()
            menu.addAction(action)
        menu.popup(self._table.viewport().mapToGlobal(position))

    def _update_enabled(self) -> None:
        chosen = self._has_selection() and not self._runner.is_running
        for action in self.actions:
            action.setEnabled(chosen)

    # -- the selection -----------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        ids = self._table.selected_order_ids()
        current = self._table.current_order_id
        if not ids and current is not None:
            ids = [current]
        return ids

    def _has_selection(self) -> bool:
        return self._table.selectionModel().hasSelection() or bool(self.selected_ids())

    def _with_selection(self, then: Callable[[list[int]], None]) -> None:
        """Call ``then`` with the ids of every selected order. Rows whose page was never loaded
        (Ctrl+A on a long list) have no id on screen; those are read by position, under the
        list's filter and sort, in the background."""
        ids = self.selected_ids()
        selection = self._table.selectionModel().selection()
        ranges = sorted(
            (r.top(), r.bottom())
            for r in (selection.at(i) for i in range(selection.count()))
            if r.isValid()
        )
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

    def _selected_numbers(self) -> list[str]:
        rows = (i.data(OrderRowRole) for i in self._table.selectionModel().selectedRows())
        return [row.number for row in rows if row is not None]

    def _phrase(self, ids: list[int]) -> str:
        return orders_phrase(self._selected_numbers(), len(ids))

    # -- the actions -------------------------------------------------------------------------

    def approve(self) -> None:
        by = self._by
        runner = per_order(lambda s, i: core.approve(s, i, changed_by=by))
        self._with_selection(partial(self._runner.run, "Approve", runner))

    def hold(self) -> None:
        by = self._by
        runner = per_order(lambda s, i: core.hold(s, i, changed_by=by))
        self._with_selection(partial(self._runner.run, "Hold", runner))

    def ship(self) -> None:
        self._with_selection(self._ship)

    def enter_tracking(self) -> None:
        self._with_selection(self._enter_tracking)

    def cancel(self) -> None:
        self._with_selection(self._cancel)

    def set_label(self) -> None:
        self._with_selection(self._set_label)

    def _ship(self, ids: list[int]) -> None:
        phrase = self._phrase(ids)
        dialog = ShipDialog(
            f"Ship {phrase[0].upper()}{phrase[1:]}",
            f"Ships every item of {phrase} not shipped yet."
            + (" The tracking numbers are recorded on each of them." if len(ids) > 1 else ""),
            ok_text="Ship",
            tracking_required=False,
            parent=self._window,
        )
        by = self._by

        def accepted() -> None:
            carrier, numbers = dialog.carrier(), dialog.tracking_numbers()

            def ship_all(
                database: Database,
                order_ids: list[int],
                progress: Progress,
                is_cancelled: Callable[[], bool],
            ) -> BulkResult:
                result, _queued = bulk_ship(
                    database,
                    order_ids,
                    tracking=numbers,
                    carrier=carrier,
                    changed_by=by,
                    progress=progress,
                    is_cancelled=is_cancelled,
                )
                return result

            self._runner.run("Ship", ship_all, ids)

        self._open(dialog, accepted)

    def _enter_tracking(self, ids: list[int]) -> None:
        same = " The same numbers are recorded on each of them." if len(ids) > 1 else ""
        dialog = ShipDialog(
            "Enter Tracking Numbers",
            f"Tracking numbers for {self._phrase(ids)}.{same}",
            ok_text="Save",
            tracking_required=True,
            parent=self._window,
        )
        by = self._by

        def accepted() -> None:
            carrier, numbers = dialog.carrier(), dialog.tracking_numbers()
            self._runner.run(
                "Enter tracking",
                per_order(lambda s, i: core.enter_tracking(s, i, numbers, carrier, changed_by=by)),
                ids,
            )

        self._open(dialog, accepted)

    def _cancel(self, ids: list[int]) -> None:
        answer = QMessageBox.question(
            self._window,
            "Cancel Order",
            f"Cancel {self._phrase(ids)}? The cart is told when Notify Cart is on for Order "
            "Cancel.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        by = self._by
        self._runner.run("Cancel", per_order(lambda s, i: core.cancel(s, i, changed_by=by)), ids)

    def _set_label(self, ids: list[int]) -> None:
        def load() -> list[str]:
            with self._database.session() as session:
                return [label.name for label in list_labels(session)]

        self._tasks.run(load, partial(self._choose_label, ids), owner=self)

    def _choose_label(self, ids: list[int], labels: list[str]) -> None:
        dialog = SetLabelDialog(f"The label for {self._phrase(ids)}.", labels, self._window)
        by = self._by

        def accepted() -> None:
            label = dialog.label()
            self._runner.run(
                "Set label",
                per_order(lambda s, i: core.set_label(s, i, label, changed_by=by)),
                ids,
            )

        self._open(dialog, accepted)

    def _open(self, dialog: ShipDialog | SetLabelDialog, accepted: Callable[[], None]) -> None:
        dialog.accepted.connect(accepted)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.dialog_did_open.emit(dialog)
