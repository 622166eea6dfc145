"""The order list's state: filter choices into core filters, local days into UTC, sort text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from ordermanager.orders.query import OrderFilter, OrderSort, SortColumn
from ui.orders.state import (
    DEFAULT_SORT,
    DateRange,
    FilterChoice,
    local_days_to_utc,
    preset_days,
    sort_from_text,
    sort_to_text,
)

BERLIN = ZoneInfo("Europe/Berlin")


def test_local_days__become_a_utc_half_open_range() -> None:
    start, before = local_days_to_utc(date(2026, 3, 3), date(2026, 3, 3), BERLIN)
    assert start == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    assert before == datetime(2026, 3, 3, 23, 0, tzinfo=UTC)


def test_local_days__across_a_daylight_saving_change() -> None:
    # Clocks go forward in Berlin on 29 March 2026: that local day has 23 hours.
    start, before = local_days_to_utc(date(2026, 3, 29), date(2026, 3, 29), BERLIN)
    assert start is not None and before is not None
    assert (before - start).total_seconds() == 23 * 3600


def test_open_ended_days__do_not_filter() -> None:
    assert local_days_to_utc(None, None, BERLIN) == (None, None)


def test_presets__cover_the_expected_days() -> None:
    today = date(2026, 11, 23)
    assert preset_days(DateRange.TODAY, today) == (today, today)
    assert preset_days(DateRange.LAST_7_DAYS, today) == (date(2026, 11, 17), today)
    assert preset_days(DateRange.THIS_MONTH, today) == (date(2026, 11, 1), today)
    assert preset_days(DateRange.ANY, today) == (None, None)


def test_filter_choice__custom_days_typed_backwards_still_work() -> None:
    choice = FilterChoice(
        date_range=DateRange.CUSTOM, first_day=date(2026, 5, 9), last_day=date(2026, 5, 1)
    )
    flt = choice.to_filter(zone=BERLIN)
    assert flt.placed_from == datetime(2026, 4, 30, 22, 0, tzinfo=UTC)
    assert flt.placed_before == datetime(2026, 5, 9, 22, 0, tzinfo=UTC)


def test_filter_choice__empty_means_every_order() -> None:
    assert FilterChoice().to_filter() == OrderFilter()
    assert FilterChoice(search="   ").is_empty
    assert not FilterChoice(label_id=3).is_empty


def test_sort_text__round_trips_and_survives_unknown_text() -> None:
    sort = OrderSort(SortColumn.CUSTOMER, descending=False)
    assert sort_from_text(sort_to_text(sort)) == sort
    assert sort_from_text("colour sideways") == DEFAULT_SORT
