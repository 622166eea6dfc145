"""Fresh table statistics while a big import grows the store (PostgreSQL only).

PostgreSQL plans with the statistics it last gathered. When a store's tables were analysed while
(nearly) empty, say right after the demo store was removed or in a new store, and the first sync
then imports tens of thousands of orders, the foreign-key checks of every item, search term,
payment, history row and stack record stay planned for an empty ``orders`` table: each reads it
whole, and a page takes longer with every page. Autovacuum re-analyses only now and then. So the
cycle analyses the tables it writes itself each time the orders it created have doubled since (from
a thousand on): a handful of ANALYZEs per big import, none for an everyday cycle. ANALYZE also
makes PostgreSQL plan those checks afresh. SQLite plans without such statistics.
"""

from __future__ import annotations

import logging

from sqlalchemy import exc as sa_exc

from ordermanager.db.engine import Database
from ordermanager.db.models import (
    LabelChange,
    LineItem,
    Order,
    OrderSearchTerm,
    Payment,
    StatusUpdate,
    table_of,
)

log = logging.getLogger(__name__)

FIRST_ANALYZE_AT = 1000  # orders created in one cycle
_TABLES = tuple(
    table_of(model).name
    for model in (Order, LineItem, OrderSearchTerm, Payment, LabelChange, StatusUpdate)
)


class GrowthWatch:
    """Call ``after_page`` with the orders created so far in the cycle, after each commit."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._next = FIRST_ANALYZE_AT if db.dialect == "postgresql" else None

    def after_page(self, created: int) -> None:
        if self._next is None or created < self._next:
            return
        self._next = created * 2
        try:
            with self._db.engine.connect() as connection:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.exec_driver_sql(f"ANALYZE {', '.join(_TABLES)}")
        except sa_exc.DBAPIError as exc:
            # Only an optimisation: a role that may not analyse still imports, just slower.
            log.warning("Could not refresh table statistics during the sync: %s", exc)
