"""Connecting to a store's database: engine, SQLite pragmas, read and write sessions.

SQLite is set up for several processes on one desktop (the app, a CLI, an external stack
controller): WAL so readers never wait for a writer, a busy timeout so a writer waits instead of
failing, and ``BEGIN IMMEDIATE`` for write transactions so two writers queue up at the start
instead of one failing half-way with "database is locked". Read sessions use a plain deferred
``BEGIN`` so they never take the write lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from ordermanager.db.location import DatabaseLocation

SQLITE_BUSY_TIMEOUT_MS = 15_000
_WRITE_OPTION = "ordermanager_write"


class Database:
    """One store's database. Thread-safe; hand each thread its own session."""

    def __init__(self, location: DatabaseLocation) -> None:
        self.location = location
        self.engine: Engine = _create_engine(location)
        self._write_engine = self.engine.execution_options(**{_WRITE_OPTION: True})
        self._read_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(self._write_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reading. Anything it writes is rolled back."""
        with self._read_sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits as one transaction, or not at all."""
        with self._write_sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _create_engine(location: DatabaseLocation) -> Engine:
    if location.is_sqlite:
        path = location.sqlite_path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            location.url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            pool_size=8,
            max_overflow=8,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        location.url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5, "application_name": "Order Manager"},
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so we can choose the BEGIN kind.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            # NORMAL is durable in WAL mode except on power loss mid-checkpoint; the usual choice.
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
