"""Opening a store: connect, check the schema is ours and not from the future, back up, upgrade.

Every check happens before anything is written, so a wrong URL, a file that is not a database or a
database from a newer Order Manager is reported and left exactly as it was.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy import exc as sa_exc

from ordermanager.db.engine import Database
from ordermanager.db.errors import (
    DatabaseError,
    DatabaseUnreachableError,
    ForeignDatabaseError,
    NotADatabaseError,
    SchemaTooNewError,
)
from ordermanager.db.location import DatabaseLocation

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # None: an empty database
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


@dataclass(frozen=True)
class UpgradeResult:
    before: str | None
    after: str
    backup: Path | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "the migrations folder has no revisions"
    return head


@contextmanager
def translate_errors(location: DatabaseLocation) -> Iterator[None]:
    """Turn driver exceptions into messages an operator can act on (and never a password)."""
    try:
        yield
    except DatabaseError:
        raise
    except sa_exc.DBAPIError as exc:
        raise _translate(location, exc) from None
    except OSError as exc:
        raise DatabaseUnreachableError(
            f"Cannot open the database {location.display()}: {exc.strerror or exc}."
        ) from None


def _translate(location: DatabaseLocation, exc: sa_exc.DBAPIError) -> DatabaseError:
    detail = str(exc.orig).strip()
    if location.is_sqlite:
        if "not a database" in detail or "malformed" in detail:
            return NotADatabaseError(
                f"The file {location.sqlite_path} is not an Order Manager database (or it is "
                "damaged). Nothing was changed. Choose another file, or restore a backup."
            )
        return DatabaseUnreachableError(
            f"Cannot open the database file {location.sqlite_path}: {detail}."
        )
    reason = _first_useful_line(detail)
    return DatabaseUnreachableError(
        f"Cannot connect to the database {location.display()}: {reason}. Check that the server "
        "is running and reachable, and that the database name and user are right."
    )


def _first_useful_line(detail: str) -> str:
    for line in detail.splitlines():
        line = line.strip()
        if line:
            return line.removeprefix("connection failed: ").rstrip(".")
    return "the server did not say why"


def schema_state(connection: Connection) -> SchemaState:
    head = head_revision()
    current = MigrationContext.configure(connection).get_current_revision()
    script = ScriptDirectory.from_config(alembic_config())
    if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
        raise SchemaTooNewError(
            f"This database was set up by a newer version of Order Manager (schema {current}; "
            f"this version knows up to {head}). Nothing was changed. Install the newer version "
            "to open it."
        )
    if current is None:
        tables = set(inspect(connection).get_table_names())
        if tables:
            raise ForeignDatabaseError(
                f"This database already holds tables that are not Order Manager's "
                f"({', '.join(sorted(tables)[:5])}). Nothing was changed. Use an empty database."
            )
    return SchemaState(current=current, head=head)


def open_database(location: DatabaseLocation, *, upgrade: bool = True) -> Database:
    """Open a store's database, upgrading its schema (after a backup) when it is older than us."""
    _check_sqlite_file(location)
    database = Database(location)
    try:
        if upgrade:
            upgrade_database(database)
        else:
            with translate_errors(location), database.engine.connect() as connection:
                schema_state(connection)
    except BaseException:
        database.dispose()
        raise
    return database


def upgrade_database(database: Database) -> UpgradeResult:
    location = database.location
    with translate_errors(location):
        with database.engine.connect() as connection:
            state = schema_state(connection)
        if state.up_to_date:
            return UpgradeResult(state.current, state.head, None)
        backup = None
        if state.current is not None and location.sqlite_path is not None:
            backup = backup_sqlite(location.sqlite_path, state.current)
        config = alembic_config()
        with database.engine.execution_options(ordermanager_write=True).begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        log.info("database upgraded from %s to %s", state.current or "empty", state.head)
        return UpgradeResult(state.current, state.head, backup)


def backup_sqlite(path: Path, revision: str) -> Path:
    """Copy the database with SQLite's online backup, which is safe while others have it open."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.backup-{revision}-{stamp}")
    source = sqlite3.connect(path)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    log.info("backed up %s to %s before upgrading", path, target)
    return target


def _check_sqlite_file(location: DatabaseLocation) -> None:
    path = location.sqlite_path
    if path is None:
        return
    if path.exists() and path.is_dir():
        raise DatabaseUnreachableError(f"{path} is a folder, not a database file.")
    if location.source != "default" and not path.parent.exists():
        raise DatabaseUnreachableError(
            f"Cannot create the database {path}: the folder {path.parent} does not exist."
        )
