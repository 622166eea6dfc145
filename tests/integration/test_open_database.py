"""Bad databases are reported clearly and left exactly as they were (issue: bad input)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ordermanager.db.errors import (
    DatabaseUnreachableError,
    ForeignDatabaseError,
    InvalidDatabaseUrlError,
    NotADatabaseError,
    SchemaTooNewError,
)
from ordermanager.db.location import DatabaseLocation, parse_url
from ordermanager.db.migrate import open_database


def _fingerprint(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_file_that_is_not_a_database_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "orders.sqlite3"
    path.write_bytes(b"this is a spreadsheet, not a database\n" * 100)
    before = _fingerprint(tmp_path)
    with pytest.raises(NotADatabaseError) as caught:
        open_database(parse_url(str(path)))
    assert str(path) in str(caught.value)
    assert "Nothing was changed" in str(caught.value)
    assert _fingerprint(tmp_path) == before


def test_database_from_a_newer_version_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    open_database(parse_url(str(path))).dispose()
    connection = sqlite3.connect(path)
    connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    connection.commit()
    connection.close()
    before = _fingerprint(tmp_path)
    with pytest.raises(SchemaTooNewError) as caught:
        open_database(parse_url(str(path)))
    assert "newer version of Order Manager" in str(caught.value)
    assert "9999_future" in str(caught.value)
    assert _fingerprint(tmp_path) == before
    assert not any("backup" in p.name for p in tmp_path.iterdir())


def test_database_of_another_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    connection.commit()
    connection.close()
    with pytest.raises(ForeignDatabaseError, match="invoices"):
        open_database(parse_url(str(path)))
    connection = sqlite3.connect(path)
    tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    connection.close()
    assert tables == {"invoices"}


def test_unreachable_server_is_a_clear_message_without_the_password() -> None:
    # Port 1 on the loopback: nothing listens there, so the connection is refused at once.
    location = parse_url("postgresql://shop:s3cret-pw@127.0.0.1:1/store")
    with pytest.raises(DatabaseUnreachableError) as caught:
        open_database(location)
    message = str(caught.value)
    assert "Cannot connect to the database" in message
    assert "127.0.0.1" in message
    assert "s3cret-pw" not in message
    assert "***" in message


def test_missing_database_on_a_running_server(pg_location: DatabaseLocation) -> None:
    location = DatabaseLocation(pg_location.url.set(database="om_no_such_db"), "option")
    with pytest.raises(DatabaseUnreachableError, match="om_no_such_db"):
        open_database(location)


def test_sqlite_file_in_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnreachableError, match="does not exist"):
        open_database(parse_url(str(tmp_path / "nope" / "store.sqlite3")))
    assert not (tmp_path / "nope").exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/shop", "not 'mysql'"),
        ("postgresql://u@h:port/db", "not valid"),
        ("   ", "empty"),
        ("sqlite://", "must name a file"),
    ],
)
def test_bad_urls_are_explained(url: str, message: str) -> None:
    with pytest.raises(InvalidDatabaseUrlError, match=message):
        parse_url(url)


def test_postgres_schema_too_new_is_refused(pg_location: DatabaseLocation) -> None:
    open_database(pg_location).dispose()
    database = open_database(pg_location, upgrade=False)
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    database.dispose()
    with pytest.raises(SchemaTooNewError):
        open_database(pg_location)


def test_url_forms() -> None:
    assert parse_url("postgresql://u@h/db").url.drivername == "postgresql+psycopg"
    assert parse_url("postgres://u@h/db").url.drivername == "postgresql+psycopg"
    plain = parse_url("/tmp/x/store.sqlite3")
    assert plain.is_sqlite and plain.sqlite_path == Path("/tmp/x/store.sqlite3")
    assert make_url("sqlite:///a.db").database == "a.db"
