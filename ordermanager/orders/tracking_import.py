"""Importing tracking numbers from a CSV file: read, preview, then import the good rows.

The file has a header row naming an order column ("Order", "Order Number") and a tracking column
("Tracking", "Tracking Number"), and optionally "Carrier". Spreadsheet exports often start with a
byte order mark and use ``;``; both are fine. Every bad row is reported with its line number and
the good rows still import: each order's numbers become one shipment and fire Tracking Number
Imported once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ordermanager.db.engine import Database
from ordermanager.db.models import Order, Shipment, TrackingNumber
from ordermanager.errors import InvalidInputError, OrderManagerError
from ordermanager.orders.actions import TRACKING_MAX_LENGTH, enter_tracking
from ordermanager.orders.bulk import run_bulk
from ordermanager.orders.detail import find_order

_ORDER_COLUMNS = {"order", "order number", "order_number", "order no", "order #", "number"}
_TRACKING_COLUMNS = {"tracking", "tracking number", "tracking_number", "tracking no", "tracking #"}
_CARRIER_COLUMNS = {"carrier", "shipping carrier"}


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def as_json(self) -> dict[str, object]:
        return {"line": self.line, "error": self.message}


@dataclass(frozen=True)
class TrackingRow:
    line: int
    order: str
    tracking: str
    carrier: str
    order_id: int | None = None


@dataclass
class TrackingPreview:
    """What an import would do: the good rows (order found, number new) and each bad row."""

    rows: list[TrackingRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass
class TrackingImportResult:
    imported: list[TrackingRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    cancelled: bool = False


def read_tracking_csv(source: Path | str) -> tuple[list[TrackingRow], list[RowError]]:
    """Rows of a CSV file (a path, or its text) with each malformed row reported by line."""
    if isinstance(source, Path):
        try:
            text = source.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise InvalidInputError(f"There is no file {source}.") from None
        except UnicodeDecodeError:
            raise InvalidInputError(f"{source} is not a UTF-8 text (CSV) file.") from None
        except OSError as exc:  # a folder, no permission: still the operator's to fix
            raise InvalidInputError(f"{source} cannot be read: {exc.strerror}.") from None
    else:
        text = source.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise InvalidInputError("The tracking file is empty.")
    names = [h.strip().lower() for h in header]
    order_col = _column(names, _ORDER_COLUMNS)
    tracking_col = _column(names, _TRACKING_COLUMNS)
    carrier_col = _column(names, _CARRIER_COLUMNS)
    if order_col is None or tracking_col is None:
        raise InvalidInputError(
            "Line 1 must name the columns: an order column (Order or Order Number) and a "
            "tracking column (Tracking or Tracking Number); Carrier is optional."
        )
    rows: list[TrackingRow] = []
    errors: list[RowError] = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(names):
            errors.append(RowError(line, f"{len(values)} values, but the header has {len(names)}"))
            continue

        def value(col: int | None, row: list[str] = values) -> str:
            return row[col].strip() if col is not None and col < len(row) else ""

        order, tracking, carrier = value(order_col), value(tracking_col), value(carrier_col)
        if not order:
            errors.append(RowError(line, "no order number"))
        elif not tracking:
            errors.append(RowError(line, f"no tracking number for order {order}"))
        elif len(tracking) > TRACKING_MAX_LENGTH:
            errors.append(RowError(line, f"tracking number longer than {TRACKING_MAX_LENGTH}"))
        elif len(carrier) > 50:
            errors.append(RowError(line, "carrier name longer than 50 characters"))
        else:
            rows.append(TrackingRow(line, order, tracking, carrier))
    return rows, errors


def _column(names: list[str], wanted: set[str]) -> int | None:
    return next((i for i, name in enumerate(names) if name in wanted), None)


def preview_tracking(session: Session, source: Path | str) -> TrackingPreview:
    """Find each row's order and refuse numbers already in the file or the database."""
    rows, errors = read_tracking_csv(source)
    preview = TrackingPreview(errors=errors)
    seen: dict[str, int] = {}
    for row in rows:
        try:
            order_id = find_order(session, row.order)
        except OrderManagerError as exc:
            preview.errors.append(RowError(row.line, str(exc)))
            continue
        first = seen.get(row.tracking.casefold())
        if first is not None:
            preview.errors.append(
                RowError(row.line, f"tracking number {row.tracking} is already on line {first}")
            )
            continue
        seen[row.tracking.casefold()] = row.line
        owner = session.execute(
            select(Order.number)
            .join(Shipment, Shipment.order_id == Order.id)
            .join(TrackingNumber, TrackingNumber.shipment_id == Shipment.id)
            .where(TrackingNumber.number == row.tracking)
            .limit(1)
        ).scalar_one_or_none()
        if owner is not None:
            preview.errors.append(
                RowError(row.line, f"tracking number {row.tracking} is already on order {owner}")
            )
            continue
        preview.rows.append(
            TrackingRow(row.line, row.order, row.tracking, row.carrier, order_id=order_id)
        )
    preview.errors.sort(key=lambda e: e.line)
    return preview


def import_tracking(
    database: Database,
    source: Path | str,
    *,
    changed_by: str = "",
    progress: Callable[[int, int], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> TrackingImportResult:
    """Import the good rows; each order's rows (per carrier) make one shipment and one event."""
    with database.session() as session:
        preview = preview_tracking(session, source)
    groups: dict[tuple[int, str], list[TrackingRow]] = {}
    for row in preview.rows:
        assert row.order_id is not None
        groups.setdefault((row.order_id, row.carrier), []).append(row)
    keys = list(groups)

    def run(session: Session, index: int) -> None:
        order_id, carrier = keys[index]
        numbers = [r.tracking for r in groups[keys[index]]]
        enter_tracking(session, order_id, numbers, carrier, changed_by=changed_by, imported=True)

    outcome = run_bulk(database, run, list(range(len(keys))), progress, is_cancelled)
    result = TrackingImportResult(errors=list(preview.errors), cancelled=outcome.cancelled)
    for index in outcome.done:
        result.imported.extend(groups[keys[index]])
    for index, message in outcome.failed.items():
        result.errors.extend(RowError(r.line, message) for r in groups[keys[index]])
    result.imported.sort(key=lambda r: r.line)
    result.errors.sort(key=lambda e: e.line)
    return result
