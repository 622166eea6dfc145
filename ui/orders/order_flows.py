"""The order-level actions that open a dialog first, on every selected order: Ship…, Enter Ship
Date…, Enter Tracking…, Cancel Order (a confirmation) and Set Label….

``ui.orders.actions`` owns the QActions and resolves the selection to order ids; these flows ask
the operator and hand the core action to the window's ``ActionRunner``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol

from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from ordermanager.db.engine import Database
from ordermanager.orders import actions as core
from ordermanager.orders.bulk import BulkResult, Progress
from ordermanager.orders.bulk_ship import bulk_ship
from ordermanager.status.labels import list_labels
from ui.orders.action_dialogs import SetLabelDialog, ShipDateDialog, ShipDialog
from ui.orders.action_runner import ActionRunner, per_order
from ui.tasks import TaskManager


class ActionHost(Protocol):
    """What the flows need from ``OrderActions``."""

    @property
    def window(self) -> QWidget: ...
    @property
    def database(self) -> Database: ...
    @property
    def tasks(self) -> TaskManager: ...
    @property
    def runner(self) -> ActionRunner: ...
    @property
    def changed_by(self) -> str: ...
    def phrase(self, ids: list[int]) -> str: ...
    def open_dialog(self, dialog: QDialog, accepted: Callable[[], None] | None) -> None: ...


class SelectionFlows:
    def __init__(self, host: ActionHost) -> None:
        self._host = host

    def ship(self, ids: list[int]) -> None:
        phrase = self._host.phrase(ids)
        dialog = ShipDialog(
            f"Ship {phrase[0].upper()}{phrase[1:]}",
            f"Ships every item of {phrase} not shipped yet."
            + (" The tracking numbers are recorded on each of them." if len(ids) > 1 else ""),
            ok_text="Ship",
            tracking_required=False,
            parent=self._host.window,
        )
        by = self._host.changed_by

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

            self._host.runner.run("Ship", ship_all, ids)

        self._host.open_dialog(dialog, accepted)

    def enter_ship_date(self, ids: list[int]) -> None:
        dialog = ShipDateDialog(f"The ship date of {self._host.phrase(ids)}.", self._host.window)
        by = self._host.changed_by

        def accepted() -> None:
            day = dialog.day()
            self._host.runner.run(
                "Enter ship date",
                per_order(lambda s, i: core.enter_ship_date(s, i, day, changed_by=by)),
                ids,
            )

        self._host.open_dialog(dialog, accepted)

    def enter_tracking(self, ids: list[int]) -> None:
        same = " The same numbers are recorded on each of them." if len(ids) > 1 else ""
        dialog = ShipDialog(
            "Enter Tracking Numbers",
            f"Tracking numbers for {self._host.phrase(ids)}.{same}",
            ok_text="Save",
            tracking_required=True,
            parent=self._host.window,
        )
        by = self._host.changed_by

        def accepted() -> None:
            carrier, numbers = dialog.carrier(), dialog.tracking_numbers()
            self._host.runner.run(
                "Enter tracking",
                per_order(lambda s, i: core.enter_tracking(s, i, numbers, carrier, changed_by=by)),
                ids,
            )

        self._host.open_dialog(dialog, accepted)

    def cancel(self, ids: list[int]) -> None:
        answer = QMessageBox.question(
            self._host.window,
            "Cancel Order",
            f"Cancel {self._host.phrase(ids)}? The cart is told when Notify Cart is on for Order "
            "Cancel.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        by = self._host.changed_by
        self._host.runner.run(
            "Cancel", per_order(lambda s, i: core.cancel(s, i, changed_by=by)), ids
        )

    def set_label(self, ids: list[int]) -> None:
        database = self._host.database

        def load() -> list[str]:
            with database.session() as session:
                return [label.name for label in list_labels(session)]

        self._host.tasks.run(load, partial(self._choose_label, ids), owner=self._host.runner)

    def _choose_label(self, ids: list[int], labels: list[str]) -> None:
        dialog = SetLabelDialog(
            f"The label for {self._host.phrase(ids)}.", labels, self._host.window
        )
        by = self._host.changed_by

        def accepted() -> None:
            label = dialog.label()
            self._host.runner.run(
                "Set label",
                per_order(lambda s, i: core.set_label(s, i, label, changed_by=by)),
                ids,
            )

        self._host.open_dialog(dialog, accepted)
