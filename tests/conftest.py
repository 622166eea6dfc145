"""Fixtures shared by every test: an isolated workstation, real SQLite files, real PostgreSQL.

PostgreSQL tests create a database of their own on the server at ORDERMANAGER_TEST_PG_URL
(default: the local server, trust auth) and drop it afterwards. They skip, saying why, only when no
server answers; .ci/run makes sure one does.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ordermanager.db import location
from ordermanager.db.engine import Database
from ordermanager.db.location import DatabaseLocation
from ordermanager.db.migrate import open_database
from tests import keyring_service

PG_ADMIN_URL = os.environ.get(
    "ORDERMANAGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(autouse=True)
def isolated_workstation(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test gets its own config and data folders and no database URL from the outside."""
    home = tmp_path_factory.mktemp("workstation")
    monkeypatch.setenv("ORDERMANAGER_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("ORDERMANAGER_DATA_DIR", str(home / "data"))
    monkeypatch.delenv(location.ENV_VAR, raising=False)
    # No test may read or write the keyring of whoever runs the tests; those that need a
    # keyring ask for ``real_keyring``.
    keyring.set_keyring(keyring.backends.fail.Keyring())
    return home


@pytest.fixture(scope="session")
def _keyring_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    missing = keyring_service.missing_tools()
    if missing:
        pytest.skip(f"no real keyring to test with: {', '.join(missing)} not installed")
    with keyring_service.private_keyring(tmp_path_factory.mktemp("keyring")) as env:
        yield env


@pytest.fixture
def real_keyring(
    _keyring_service: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> keyring.backend.KeyringBackend:
    """The real Secret Service backend, talking to this test run's own gnome-keyring."""
    from keyring.backends.SecretService import Keyring as SecretServiceKeyring

    for name, value in _keyring_service.items():
        if name != "HOME":
            monkeypatch.setenv(name, value)
    backend = SecretServiceKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def sqlite_location(tmp_path: Path) -> DatabaseLocation:
    return location.parse_url(f"sqlite:///{tmp_path / 'store.sqlite3'}")


@pytest.fixture
def sqlite_db(sqlite_location: DatabaseLocation) -> Iterator[Database]:
    database = open_database(sqlite_location)
    yield database
    database.dispose()


_pg_unreachable: str | None = None


def _pg_admin_engine():  # type: ignore[no-untyped-def]
    return create_engine(
        PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )


@pytest.fixture
def pg_location() -> Iterator[DatabaseLocation]:
    """A fresh, empty PostgreSQL database for one test."""
    global _pg_unreachable
    if _pg_unreachable:
        pytest.skip(_pg_unreachable)
    admin = _pg_admin_engine()
    name = f"om_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any failure to reach the server means: skip, and say why
        admin.dispose()
        _pg_unreachable = f"no PostgreSQL server reachable at {PG_ADMIN_URL}: {type(exc).__name__}"
        pytest.skip(_pg_unreachable)
    url = make_url(PG_ADMIN_URL).set(database=name)
    try:
        yield DatabaseLocation(url, "option")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_db(pg_location: DatabaseLocation) -> Iterator[Database]:
    database = open_database(pg_location)
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest) -> Database:
    """The same test on a real SQLite file and on the real PostgreSQL server."""
    fixture = "sqlite_db" if request.param == "sqlite" else "pg_db"
    return request.getfixturevalue(fixture)
