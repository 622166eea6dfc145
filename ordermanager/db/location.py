"""Which database a run uses, and why: option, environment, saved setting, or the embedded default.

The order of precedence is the usual one for command-line tools: what you type beats what the
environment says, which beats what was saved, which beats the default SQLite file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import keyring
import keyring.errors
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ordermanager.db.errors import InvalidDatabaseUrlError
from ordermanager.workstation import WorkstationConfig, data_dir

ENV_VAR = "ORDERMANAGER_DATABASE_URL"
KEYRING_SERVICE = "OrderManager database"
DEFAULT_FILENAME = "store.sqlite3"


@dataclass(frozen=True)
class DatabaseLocation:
    url: URL
    source: str  # "option", "environment", "saved setting" or "default"

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite or not self.url.database or self.url.database == ":memory:":
            return None
        return Path(self.url.database)

    def display(self) -> str:
        """The URL with any password hidden, safe for logs, messages and screenshots."""
        return self.url.render_as_string(hide_password=True)


def default_sqlite_path() -> Path:
    return data_dir() / DEFAULT_FILENAME


def parse_url(text: str, source: str = "option") -> DatabaseLocation:
    """Turn what the operator typed into a URL we can connect with, or say what is wrong."""
    text = text.strip()
    if not text:
        raise InvalidDatabaseUrlError("The database URL is empty.")
    if "://" not in text:
        # A bare path is the friendliest way to name an SQLite file.
        return DatabaseLocation(make_url(f"sqlite:///{Path(text).expanduser().resolve()}"), source)
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise InvalidDatabaseUrlError(
            "The database URL is not valid. Use postgresql://USER@HOST:PORT/DATABASE "
            "or sqlite:///PATH/TO/FILE."
        ) from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        # One driver for PostgreSQL everywhere: psycopg 3.
        url = url.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        if url.database and url.database != ":memory:":
            url = url.set(drivername="sqlite", database=str(Path(url.database).expanduser()))
        else:
            raise InvalidDatabaseUrlError("An SQLite URL must name a file: sqlite:///PATH/TO/FILE.")
    else:
        raise InvalidDatabaseUrlError(
            f"Order Manager works with SQLite or PostgreSQL databases, not '{backend}'."
        )
    if url.password is None and url.username and backend != "sqlite":
        url = _with_saved_password(url)
    return DatabaseLocation(url, source)


def resolve(option: str | None = None) -> DatabaseLocation:
    if option:
        return parse_url(option, "option")
    env = os.environ.get(ENV_VAR, "")
    if env.strip():
        return parse_url(env, "environment")
    saved = WorkstationConfig.load().database_url
    if saved.strip():
        return parse_url(saved, "saved setting")
    return DatabaseLocation(make_url(f"sqlite:///{default_sqlite_path()}"), "default")


def save(location: DatabaseLocation) -> None:
    """Remember this database for later runs; the password (if any) goes to the keyring."""
    url = location.url
    if url.password:
        try:
            keyring.set_password(KEYRING_SERVICE, _keyring_user(url), str(url.password))
        except keyring.errors.KeyringError as exc:
            raise InvalidDatabaseUrlError(
                "The database password could not be stored in the system keyring "
                f"({type(exc).__name__}). Set up a keyring, or use a server that needs no password."
            ) from None
        url = url.set(password=None)
    WorkstationConfig(database_url=url.render_as_string(hide_password=False)).save()


def _keyring_user(url: URL) -> str:
    return f"{url.username}@{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def _with_saved_password(url: URL) -> URL:
    try:
        password = keyring.get_password(KEYRING_SERVICE, _keyring_user(url))
    except keyring.errors.KeyringError:
        return url
    return url.set(password=password) if password else url
