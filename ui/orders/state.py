"""What the order list shows: its columns, its sort and the operator's filter choices.

No widgets here. The filter bar edits a ``FilterChoice``; the model turns it into the core's
``OrderFilter`` (with local dates made into UTC instants) and asks the core for rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from ordermanager.orders.query import OrderFilter, OrderSort, SortColumn


@dataclass(frozen=True)
class Column:
    key: SortColumn
    title: str
    width: int  # default width in pixels, before the operator resizes it
    align_right: bool = False
    tooltip: str = ""


COLUMNS: tuple[Column, ...] = (
    Column(SortColumn.NUMBER, "Number", 110, tooltip="The order number the cart shows"),
    Column(SortColumn.PLACED, "Placed", 135, tooltip="When the order was placed (local time)"),
    Column(SortColumn.CUSTOMER, "Customer", 190),
    Column(SortColumn.CART, "Cart", 150, tooltip="The web store the order came from"),
    Column(SortColumn.ITEMS, "Items", 60, align_right=True, tooltip="Number of items"),
    Column(SortColumn.TOTAL, "Total", 110, align_right=True),
    Column(SortColumn.LABEL, "Status", 150, tooltip="The order's status label"),
    Column(SortColumn.PAYMENT, "Payment", 130),
    Column(SortColumn.SHIPPING, "Shipping", 130),
)

DEFAULT_SORT = OrderSort(SortColumn.PLACED, descending=True)


def column_index(key: SortColumn) -> int:
    return next(i for i, column in enumerate(COLUMNS) if column.key == key)


def sort_to_text(sort: OrderSort) -> str:
    """``placed desc``: how a sort is remembered between runs."""
    return f"{sort.column.value} {'desc' if sort.descending else 'asc'}"


def sort_from_text(text: str) -> OrderSort:
    """The remembered sort, or the default one if the text is unknown (an older or newer app)."""
    column, _, direction = text.strip().partition(" ")
    try:
        return OrderSort(SortColumn(column), descending=direction != "asc")
    except ValueError:
        return DEFAULT_SORT


class DateRange(StrEnum):
    ANY = "any"
    TODAY = "today"
    LAST_7_DAYS = "last7"
    LAST_30_DAYS = "last30"
    THIS_MONTH = "month"
    CUSTOM = "custom"

    @property
    def caption(self) -> str:
        return _DATE_RANGE_CAPTIONS[self]


_DATE_RANGE_CAPTIONS = {
    DateRange.ANY: "Any date",
    DateRange.TODAY: "Today",
    DateRange.LAST_7_DAYS: "Last 7 days",
    DateRange.LAST_30_DAYS: "Last 30 days",
    DateRange.THIS_MONTH: "This month",
    DateRange.CUSTOM: "Between…",
}


def local_days_to_utc(
    first: date | None, last: date | None, zone: tzinfo | None = None
) -> tuple[datetime | None, datetime | None]:
    """Local calendar days ``first``..``last`` (both inclusive) as a UTC ``[from, before)`` range.

    An operator means their own days: "orders of 3 March" in Berlin starts at 23:00 UTC on
    2 March. ``zone`` defaults to this workstation's time zone.
    """

    def midnight(day: date) -> datetime:
        naive = datetime.combine(day, time.min)
        local = naive.replace(tzinfo=zone) if zone is not None else naive.astimezone()
        return local.astimezone(UTC)

    placed_from = midnight(first) if first is not None else None
    placed_before = midnight(last + timedelta(days=1)) if last is not None else None
    return placed_from, placed_before


def preset_days(preset: DateRange, today: date) -> tuple[date | None, date | None]:
    """The first and last local day a preset covers (None: open-ended)."""
    if preset is DateRange.TODAY:
        return today, today
    if preset is DateRange.LAST_7_DAYS:
        return today - timedelta(days=6), today
    if preset is DateRange.LAST_30_DAYS:
        return today - timedelta(days=29), today
    if preset is DateRange.THIS_MONTH:
        return today.replace(day=1), today
    return None, None


@dataclass(frozen=True)
class FilterChoice:
    """The filter bar's fields, as the operator set them."""

    label_id: int | None = None
    cart_id: int | None = None
    date_range: DateRange = DateRange.ANY
    first_day: date | None = None  # used with DateRange.CUSTOM
    last_day: date | None = None
    search: str = ""

    @property
    def is_empty(self) -> bool:
        return self.to_filter() == OrderFilter()

    def to_filter(self, today: date | None = None, zone: tzinfo | None = None) -> OrderFilter:
        if self.date_range is DateRange.CUSTOM:
            first, last = self.first_day, self.last_day
            if first is not None and last is not None and last < first:
                first, last = last, first  # typed the wrong way round; still clearly meant
        else:
            first, last = preset_days(self.date_range, today or date.today())
        placed_from, placed_before = local_days_to_utc(first, last, zone)
        return OrderFilter(
            label_id=self.label_id,
            cart_id=self.cart_id,
            placed_from=placed_from,
            placed_before=placed_before,
            search=self.search.strip(),
        )

    def cleared(self) -> FilterChoice:
        return replace(FilterChoice(), first_day=self.first_day, last_day=self.last_day)
