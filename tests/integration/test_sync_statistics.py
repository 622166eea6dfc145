"""The sync refreshes PostgreSQL's table statistics while a big import grows the store
(ordermanager.sync.statistics), on a real PostgreSQL; SQLite needs nothing of it."""

from __future__ import annotations

from sqlalchemy import text

from ordermanager.db.engine import Database
from ordermanager.sync.statistics import FIRST_ANALYZE_AT, GrowthWatch
from tests import factories


def add_orders(db: Database, first: int, count: int) -> None:
    with db.transaction() as session:
        for n in range(first, first + count):
            factories.order(session, factories.Spec(number=f"S-{n}"))


def rows_planned_with(db: Database) -> float:
    """What PostgreSQL's planner believes the orders table holds (set by ANALYZE)."""
    with db.session() as session:
        query = text("SELECT reltuples FROM pg_class WHERE relname = 'orders'")
        return float(session.execute(query).scalar_one())


def test_growth_watch__analyses_each_time_the_created_orders_double(pg_db: Database) -> None:
    add_orders(pg_db, 1, 5)
    watch = GrowthWatch(pg_db)
    before = rows_planned_with(pg_db)
    assert before != 5  # never analysed yet: -1 (unknown) or 0

    watch.after_page(FIRST_ANALYZE_AT - 1)
    assert rows_planned_with(pg_db) == before
    watch.after_page(FIRST_ANALYZE_AT)
    assert rows_planned_with(pg_db) == 5

    add_orders(pg_db, 6, 4)
    watch.after_page(FIRST_ANALYZE_AT * 2 - 1)  # not doubled yet
    assert rows_planned_with(pg_db) == 5
    watch.after_page(FIRST_ANALYZE_AT * 2)
    assert rows_planned_with(pg_db) == 9


def test_growth_watch__nothing_to_do_on_sqlite(sqlite_db: Database) -> None:
    add_orders(sqlite_db, 1, 2)
    watch = GrowthWatch(sqlite_db)
    for created in (FIRST_ANALYZE_AT, FIRST_ANALYZE_AT * 4):
        watch.after_page(created)
    with sqlite_db.session() as session:
        tables = session.execute(text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'"))
        assert tables.first() is None  # ANALYZE would have created it
