"""The lazy order list model: counts, pages, sorting and filtering against the core's queries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from ordermanager.db.engine import Database
from ordermanager.orders.query import (
    OrderFilter,
    OrderSort,
    SortColumn,
    count_orders,
    fetch_orders,
    label_id_by_name,
)
from tests.ui.conftest import STORE_ORDERS
from ui.orders import model as model_module
from ui.orders.model import PAGE_SIZE, OrderIdRole, OrderListModel
from ui.orders.state import COLUMNS
from ui.tasks import TaskManager


@pytest.fixture
def model(qtbot: QtBot, store: Database, tasks: TaskManager) -> Iterator[OrderListModel]:
    model = OrderListModel(store, tasks)
    with qtbot.waitSignal(model.counts_changed):
        model.refresh()
    yield model
    model.deleteLater()


def load_all(qtbot: QtBot, model: OrderListModel, rows: range) -> None:
    """Touch every row in ``rows`` and wait until their pages are in."""
    for row in rows:
        model.index(row, 0).data()
        qtbot.waitUntil(lambda row=row: model.is_row_loaded(row))


def ids_in_model(model: OrderListModel, rows: range) -> list[int]:
    return [model.index(row, 0).data(OrderIdRole) for row in rows]


def test_row_count__is_the_number_of_orders(model: OrderListModel, store: Database) -> None:
    with store.session() as session:
        assert model.rowCount() == count_orders(session) == STORE_ORDERS + 1
    assert model.columnCount() == len(COLUMNS)


def test_far_row__shows_a_placeholder_then_loads(
    qtbot: QtBot, model: OrderListModel, store: Database
) -> None:
    far = model.rowCount() - 3
    assert not model.is_row_loaded(far)
    assert model.index(far, 0).data() == model_module.PLACEHOLDER
    assert model.index(far, 0).data(OrderIdRole) is None
    with qtbot.waitSignal(model.dataChanged):
        pass
    qtbot.waitUntil(lambda: model.is_row_loaded(far))
    with store.session() as session:
        expected = fetch_orders(session, OrderFilter(), model.order_sort, far, 1)[0]
    assert model.index(far, 0).data(OrderIdRole) == expected.id
    assert model.index(far, 0).data() == expected.number


def test_qt_model_tester__finds_no_fault_in_a_loaded_model(
    qtbot: QtBot, qtmodeltester: ModelTester, store: Database, tasks: TaskManager
) -> None:
    model = OrderListModel(store, tasks)
    with qtbot.waitSignal(model.counts_changed):
        model.set_filter(OrderFilter(search="smith"))
    load_all(qtbot, model, range(0, model.rowCount(), PAGE_SIZE))
    assert 0 < model.rowCount() < STORE_ORDERS
    qtmodeltester.check(model, force_py=True)


@pytest.mark.parametrize("column", list(SortColumn))
@pytest.mark.parametrize("descending", [False, True])
def test_sort__matches_fetch_orders_with_that_sort(
    qtbot: QtBot, model: OrderListModel, store: Database, column: SortColumn, descending: bool
) -> None:
    index = next(i for i, c in enumerate(COLUMNS) if c.key == column)
    order = (
        model_module.Qt.SortOrder.DescendingOrder
        if descending
        else model_module.Qt.SortOrder.AscendingOrder
    )
    sort = OrderSort(column, descending)
    if model.order_sort != sort:
        with qtbot.waitSignal(model.modelReset):
            model.sort(index, order)
    assert model.order_sort == sort
    count = model.rowCount()
    # The start, and the end (read backwards from the other end of the index).
    head = range(0, 250)
    tail = range(count - 250, count)
    load_all(qtbot, model, head)
    load_all(qtbot, model, tail)
    with store.session() as session:
        assert ids_in_model(model, head) == [
            r.id for r in fetch_orders(session, sort=sort, offset=0, limit=250)
        ]
        assert ids_in_model(model, tail) == [
            r.id for r in fetch_orders(session, sort=sort, offset=count - 250, limit=250)
        ]


def test_filters__change_the_row_count(
    qtbot: QtBot, model: OrderListModel, store: Database
) -> None:
    with store.session() as session:
        label = label_id_by_name(session, "Backordered")
        filters = [
            OrderFilter(label_id=label),
            OrderFilter(cart_id=2),
            OrderFilter(search="nguyen"),
            OrderFilter(label_id=label, cart_id=2, search="nguyen"),
            OrderFilter(search="no-such-customer-anywhere"),
        ]
        expected = [count_orders(session, flt) for flt in filters]
    assert len(set(expected)) == len(expected)  # each filter really narrows differently
    for flt, count in zip(filters, expected, strict=True):
        with qtbot.waitSignal(model.counts_changed) as signal:
            model.set_filter(flt)
        assert model.rowCount() == count
        assert signal.args == [count, STORE_ORDERS + 1]
    with qtbot.waitSignal(model.counts_changed):
        model.set_filter(OrderFilter())
    assert model.rowCount() == STORE_ORDERS + 1


def test_stale_pages__after_a_refresh_are_ignored(qtbot: QtBot, model: OrderListModel) -> None:
    far = model.rowCount() - 1
    model.index(far, 0).data()  # asks for the last page
    with qtbot.waitSignal(model.counts_changed):
        model.set_filter(OrderFilter(cart_id=1))
    # Whatever page of the old list came back, nothing past the new end was stored.
    qtbot.waitUntil(lambda: not model.is_loading)
    assert model.rowCount() < far
    assert model.cached_pages == 1


def test_page_cache__stays_bounded(
    qtbot: QtBot, model: OrderListModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_module, "MAX_CACHED_PAGES", 3)
    for page in range(0, model.rowCount() // PAGE_SIZE):
        row = page * PAGE_SIZE
        model.index(row, 0).data()
        qtbot.waitUntil(lambda row=row: model.is_row_loaded(row))
        assert model.cached_pages <= 3
