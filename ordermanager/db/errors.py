"""Database problems an operator can act on, each with a message that says what to do."""

from __future__ import annotations

from ordermanager.errors import OrderManagerError


class DatabaseError(OrderManagerError):
    """The store's database cannot be used as it is."""


class InvalidDatabaseUrlError(DatabaseError):
    """The database URL is not one Order Manager understands."""


class DatabaseUnreachableError(DatabaseError):
    """The database server or file could not be opened."""


class NotADatabaseError(DatabaseError):
    """The file exists but is not an SQLite database (or is damaged)."""


class SchemaTooNewError(DatabaseError):
    """The database was written by a newer Order Manager than this one."""


class ForeignDatabaseError(DatabaseError):
    """The database holds tables, but not Order Manager's."""
