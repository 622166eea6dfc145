"""The carts' sync status as a table: Cart | Last download | Orders (new/updated/skipped) |
Skipped because | Last status update sent | Last error | Next sync.

A stale cart (no successful cycle for over twice its interval) carries a warning icon and says
"Stale" in words, with a tinted row on top: colour alone would be missed. A cart syncing in this
app shows its live progress in the Next sync column.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QIcon
from PySide6.QtWidgets import QApplication, QStyle

from ordermanager.carts.registry import kind_title
from ordermanager.sync.status import CartSyncStatus
from ui.formatting import count, local_time
from ui.sync.runner import SyncProgress

_AnyIndex = QModelIndex | QPersistentModelIndex

CartIdRole = Qt.ItemDataRole.UserRole + 1
StaleRole = Qt.ItemDataRole.UserRole + 2
STALE_BACKGROUND = QColor("#fff4ce")
ERROR_FOREGROUND = QColor("#a4262c")

COLUMNS = (
    "Cart",
    "Last download",
    "Orders (new/updated/skipped)",
    "Skipped because",
    "Last status update sent",
    "Last error",
    "Next sync",
)
CART, LAST, ORDERS, SKIPPED, SENT, ERROR, NEXT = range(len(COLUMNS))
REASONS_SHOWN = 2


def ago(moment: datetime, now: datetime) -> str:
    """``just now``, ``12 min ago``, ``3 h 5 min ago``, ``2 days ago``."""
    seconds = max(int((now - moment).total_seconds()), 0)
    if seconds < 60:
        return "just now"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min ago"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {rest} min ago" if rest else f"{hours} h ago"
    return f"{hours // 24} days ago"


def every(minutes: int) -> str:
    return f"every {minutes} min" if minutes < 60 or minutes % 60 else f"every {minutes // 60} h"


def last_download(status: CartSyncStatus, now: datetime) -> str:
    when = status.last_success_at
    if status.stale:
        return f"Stale — {ago(when, now) if when else 'never synced'}"
    return f"{local_time(when)} ({ago(when, now)})" if when else "never"


def orders(status: CartSyncStatus) -> str:
    if not status.has_counts:
        return "—"
    return f"{status.created:,} / {status.updated:,} / {status.skipped:,}"


def skipped_because(status: CartSyncStatus) -> str:
    reasons = [f"{r.reason} ({r.count:,})" for r in status.skip_reasons]
    if not reasons:
        return ""
    shown = "; ".join(reasons[:REASONS_SHOWN])
    more = len(reasons) - REASONS_SHOWN
    return f"{shown}; +{more} more" if more > 0 else shown


def status_sent(status: CartSyncStatus) -> str:
    parts = []
    if status.last_status_sent_at is not None:
        parts.append(local_time(status.last_status_sent_at))
    if status.stack_waiting:
        waiting = f"{count(status.stack_waiting, 'update')} waiting"
        if status.stack_held:
            waiting += f" ({status.stack_held:,} on hold)"
        parts.append(waiting)
    elif status.last_status_sent_at is None:
        parts.append("nothing waiting")
    return " · ".join(parts)


def last_error(status: CartSyncStatus) -> str:
    """The error's first line, without the cart's name that starts most connector messages
    ("WooCommerce cart 'Northwind': could not reach ..."): the row already names the cart."""
    if not status.last_error:
        return ""
    first = status.last_error.splitlines()[0]
    named = f"'{status.name}'"
    at = first.find(named)
    if 0 <= at < 40:
        rest = first[at + len(named) :].lstrip(" :")
        first = rest[:1].upper() + rest[1:] if rest else first
    return first


def next_sync(status: CartSyncStatus, progress: SyncProgress | None, now: datetime) -> str:
    if progress is not None:
        return "Waiting to start" if progress.waiting else f"Syncing now — {_short(progress)}"
    if status.running:
        return "Syncing now (another workstation)"
    if not status.scheduled:
        return f"Not scheduled ({status.not_scheduled_because})"
    due = status.next_sync_at
    if due is None or due <= now:
        return "Due now"
    minutes = max(int((due - now).total_seconds() + 59) // 60, 1)
    return f"in {minutes} min ({local_time(due)[-5:]})"


def _short(progress: SyncProgress) -> str:
    if progress.done == 0 and progress.total is None:
        return "asking the cart"
    of = f" of {progress.total:,}" if progress.total is not None else ""
    return f"order {progress.done:,}{of}"


class SyncStatusModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._statuses: list[CartSyncStatus] = []
        self._progress: dict[int, SyncProgress] = {}
        self._now = datetime.now(UTC)
        self._warning_icon: QIcon | None = None

    def set_statuses(self, statuses: list[CartSyncStatus], now: datetime | None = None) -> None:
        self.beginResetModel()
        self._statuses = list(statuses)
        self._now = now or datetime.now(UTC)
        self.endResetModel()

    def set_progress(self, progress: SyncProgress | None, cart_id: int | None = None) -> None:
        """A cart's live progress (None: its cycle ended); only its Next sync cell changes."""
        key = progress.cart_id if progress is not None else cart_id
        if key is None:
            return
        if progress is None:
            self._progress.pop(key, None)
        else:
            self._progress[key] = progress
        for row, status in enumerate(self._statuses):
            if status.cart_id == key:
                cell = self.index(row, NEXT)
                self.dataChanged.emit(cell, cell, [Qt.ItemDataRole.DisplayRole])

    def status(self, row: int) -> CartSyncStatus:
        return self._statuses[row]

    def statuses(self) -> list[CartSyncStatus]:
        return list(self._statuses)

    def row_of(self, cart_id: int) -> int | None:
        for row, status in enumerate(self._statuses):
            if status.cart_id == cart_id:
                return row
        return None

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._statuses)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        status = self._statuses[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(index.row(), column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(status, column)
        if role == Qt.ItemDataRole.DecorationRole and column == CART and status.stale:
            return self._warning()
        if role == Qt.ItemDataRole.BackgroundRole and status.stale:
            return QBrush(STALE_BACKGROUND)
        if role == Qt.ItemDataRole.ForegroundRole and column == ERROR and status.last_error:
            return QBrush(ERROR_FOREGROUND)
        if role == CartIdRole:
            return status.cart_id
        if role == StaleRole:
            return status.stale
        return None

    def text(self, row: int, column: int) -> str:
        status = self._statuses[row]
        if column == CART:
            return f"{status.name} ({kind_title(status.kind)})"
        if column == LAST:
            return last_download(status, self._now)
        if column == ORDERS:
            return orders(status)
        if column == SKIPPED:
            return skipped_because(status)
        if column == SENT:
            return status_sent(status)
        if column == ERROR:
            return last_error(status)
        return next_sync(status, self._progress.get(status.cart_id), self._now)

    def _tooltip(self, status: CartSyncStatus, column: int) -> str | None:
        if column in (CART, LAST) and status.stale:
            when = status.last_success_at
            last = f"Last successful sync: {local_time(when)}. " if when else ""
            return last + (
                f"No successful sync for over twice the interval ({every(status.interval_minutes)})"
                ": orders placed since may be missing here. See Last error."
            )
        if column == ORDERS and status.has_counts:
            return (
                f"Last successful sync: {status.downloaded:,} orders downloaded — "
                f"{status.created:,} new, {status.updated:,} updated, {status.skipped:,} skipped"
            )
        if column == SKIPPED and status.skip_reasons:
            return "\n".join(f"{r.count:,} × {r.reason}" for r in status.skip_reasons)
        if column == ERROR and status.last_error:
            stamp = f"{local_time(status.last_error_at)}: " if status.last_error_at else ""
            return stamp + status.last_error
        if column == SENT:
            return (
                "Status updates for this cart that wait on the stack "
                "(View ▸ Stack Controller Status lists them)"
            )
        return None

    def _warning(self) -> QIcon:
        if self._warning_icon is None:
            style = QApplication.style()
            self._warning_icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return self._warning_icon
