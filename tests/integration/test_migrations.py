"""Alembic owns the schema: migrating an empty database must give exactly the models' schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Index, MetaData, inspect

from ordermanager.db.engine import Database
from ordermanager.db.location import DatabaseLocation
from ordermanager.db.migrate import backup_sqlite, head_revision, open_database, upgrade_database
from ordermanager.db.models import Base


def _diff(database: Database, metadata: MetaData) -> list[object]:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_migrated_schema_equals_models(any_db: Database) -> None:
    assert _diff(any_db, Base.metadata) == []
    tables = set(inspect(any_db.engine).get_table_names())
    assert set(Base.metadata.tables) | {"alembic_version"} == tables


def test_schema_comparison_notices_a_difference(any_db: Database) -> None:
    """Guards the test above: the comparison must be able to fail."""
    drifted = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    Index("ix_orders_currency", drifted.tables["orders"].c.currency)
    diff = _diff(any_db, drifted)
    assert [d[0] for d in diff] == ["add_index"]  # type: ignore[index]


def test_upgrade_twice_changes_nothing(any_db: Database) -> None:
    result = upgrade_database(any_db)
    assert result.before == result.after == head_revision()
    assert not result.changed and result.backup is None


def test_new_sqlite_store_gets_wal_and_foreign_keys(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_backup_is_a_full_copy(sqlite_db: Database, sqlite_location: DatabaseLocation) -> None:
    path = sqlite_location.sqlite_path
    assert path is not None
    backup = backup_sqlite(path, head_revision())
    assert backup.name.startswith(f"store.sqlite3.backup-{head_revision()}-")
    copy = sqlite3.connect(backup)
    try:
        (revision,) = copy.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        copy.close()
    assert revision == head_revision()


def test_first_open_makes_no_backup(tmp_path: Path) -> None:
    from ordermanager.db.location import parse_url

    database = open_database(parse_url(str(tmp_path / "new.sqlite3")))
    database.dispose()
    assert sorted(p.name for p in tmp_path.iterdir() if "backup" in p.name) == []


@pytest.mark.parametrize("reopen", [1, 2])
def test_reopening_keeps_data(sqlite_location: DatabaseLocation, reopen: int) -> None:
    from tests import factories

    database = open_database(sqlite_location)
    with database.transaction() as session:
        factories.order(session, factories.Spec(number="1001"))
    database.dispose()
    for _ in range(reopen):
        database = open_database(sqlite_location)
        with database.session() as session:
            from ordermanager.orders.query import count_orders

            assert count_orders(session) == 1
        database.dispose()
