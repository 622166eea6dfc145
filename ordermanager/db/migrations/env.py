"""Alembic environment. Order Manager runs migrations itself (ordermanager.db.migrate) and passes
its own connection; ``alembic`` on the command line (developers) uses ORDERMANAGER_DATABASE_URL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from ordermanager.db.models import Base

# Any fixed number: it names the lock that keeps two workstations from migrating at once.
_MIGRATION_LOCK_ID = 7_420_001


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID}
            )
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from ordermanager.db import location
    from ordermanager.db.engine import Database

    database = Database(location.resolve())
    with database.engine.connect() as connection:
        _run(connection)
        connection.commit()


main()
