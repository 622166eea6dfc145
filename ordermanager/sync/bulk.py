"""Writing a page of downloaded orders with a few set-based statements: the sync's fast path.

Same outcome as ordermanager.sync.upsert order by order, in the caller's transaction: the page's
known orders are read in one query and split into new, changed and unchanged; new orders, their
items, search terms and payments go in with one executemany each; changed orders get their header,
items (matched by remote id, labels kept) and search terms rewritten the same way; then Order
Received and Payment Received fire for the whole page at once (ordermanager.sync.received), so
the labels, their history and the stack records are written in bulk too.

The caller runs this in a savepoint and, when the database refuses any row, writes the page again
order by order, so the one bad order is isolated, logged and skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from ordermanager.carts.protocol import CartConfig, RemoteLineItem, RemoteOrder
from ordermanager.db.models import LineItem, Order, OrderSearchTerm, Payment, table_of
from ordermanager.orders.states import PaymentState, ShippingState
from ordermanager.sync.received import ReceivedLabels, fire_received
from ordermanager.sync.upsert import header_values, order_terms, payment_values


@dataclass(frozen=True)
class KnownOrder:
    """What the fast path needs of an order already in the store."""

    id: int
    remote_modified_at: datetime | None
    payment_state: str


@dataclass(frozen=True)
class PageCounts:
    created: int
    updated: int
    unchanged: int


def known_orders(
    session: Session, cart_id: int, remote_ids: Sequence[str]
) -> dict[str, KnownOrder]:
    """The orders of this cart among ``remote_ids``, by remote id, in one query."""
    if not remote_ids:
        return {}
    rows = session.execute(
        select(Order.remote_id, Order.id, Order.remote_modified_at, Order.payment_state).where(
            Order.cart_id == cart_id, Order.remote_id.in_(set(remote_ids))
        )
    )
    return {r.remote_id: KnownOrder(r.id, r.remote_modified_at, r.payment_state) for r in rows}


def is_newer(remote: RemoteOrder, known: KnownOrder) -> bool:
    """A re-download within the overlap window that is not newer changes nothing."""
    return known.remote_modified_at is None or remote.modified_at > known.remote_modified_at


def write_orders(
    session: Session,
    cart: CartConfig,
    remotes: Sequence[RemoteOrder],
    known: Mapping[str, KnownOrder],
    now: datetime,
) -> PageCounts:
    """Upsert ``remotes`` (distinct remote ids) of one page; fires the events of the page."""
    new = [r for r in remotes if r.remote_id not in known]
    changed = [r for r in remotes if r.remote_id in known and is_newer(r, known[r.remote_id])]
    labels = ReceivedLabels.of(session)
    created = _insert_new(session, cart.id, new, now, labels)
    became_paid = _update_changed(session, changed, known, now)
    new_ids = [(created[remote.remote_id], remote) for remote in new]
    fire_received(session, cart, new_ids, became_paid, labels, now)
    return PageCounts(len(new), len(changed), len(remotes) - len(new) - len(changed))


def _insert_new(
    session: Session,
    cart_id: int,
    new: Sequence[RemoteOrder],
    now: datetime,
    labels: ReceivedLabels,
) -> dict[str, int]:
    """Insert the new orders with their items, search terms and payments; their ids."""
    if not new:
        return {}
    rows = [
        {
            **header_values(remote, now),
            "cart_id": cart_id,
            "remote_id": remote.remote_id,
            "imported_at": now,
            "payment_state": (PaymentState.PAID if remote.paid else PaymentState.UNPAID).value,
            "shipping_state": ShippingState.UNSHIPPED.value,
            "item_count": sum(item.quantity for item in remote.items),
            "status_label_id": labels.label_for(remote),
        }
        for remote in new
    ]
    # A plain executemany and the ids by the unique (cart, remote id) afterwards: with RETURNING
    # the rows would be sent as one huge statement, which psycopg parses anew every time.
    insert_rows(session, table_of(Order), rows)
    ids = {
        remote_id: order_id
        for remote_id, order_id in session.execute(
            select(Order.remote_id, Order.id).where(
                Order.cart_id == cart_id, Order.remote_id.in_([r.remote_id for r in new])
            )
        )
    }
    _insert_items(
        session,
        [(ids[r.remote_id], position, item) for r in new for position, item in enumerate(r.items)],
    )
    _insert_terms(session, [(ids[r.remote_id], r) for r in new])
    _insert_payments(session, [(ids[r.remote_id], r) for r in new if r.paid])
    return ids


def _update_changed(
    session: Session,
    changed: Sequence[RemoteOrder],
    known: Mapping[str, KnownOrder],
    now: datetime,
) -> list[int]:
    """Rewrite what the cart owns of changed orders; the ids of those that became paid."""
    if not changed:
        return []
    order_ids = [known[r.remote_id].id for r in changed]
    items_of: dict[int, list[Any]] = {order_id: [] for order_id in order_ids}
    for row in session.execute(
        select(LineItem.id, LineItem.order_id, LineItem.remote_id, LineItem.position)
        .where(LineItem.order_id.in_(order_ids))
        .order_by(LineItem.order_id, LineItem.position, LineItem.id)
    ):
        items_of[row.order_id].append(row)

    headers: list[dict[str, Any]] = []
    paid_headers: list[dict[str, Any]] = []  # executemany wants the same keys in every row
    item_updates: list[dict[str, Any]] = []
    item_inserts: list[tuple[int, int, RemoteLineItem]] = []
    payments: list[tuple[int, RemoteOrder]] = []
    for remote in changed:
        order_id = known[remote.remote_id].id
        existing = items_of[order_id]
        # The cart owns what was bought; our operators own the item's label.
        matched = {item.remote_id: item.id for item in existing if item.remote_id}
        position = max((item.position for item in existing), default=-1) + 1
        for item in remote.items:
            item_id = matched.get(item.remote_id)
            if item_id is None:
                item_inserts.append((order_id, position, item))
                position += 1
            else:
                item_updates.append({"row_id": item_id, **_item_values(item)})
        header = {"row_id": order_id, **header_values(remote, now)}
        # Payment only moves forward: the cart saying "unpaid" later undoes nothing.
        if remote.paid and known[remote.remote_id].payment_state == PaymentState.UNPAID:
            paid_headers.append({**header, "payment_state": PaymentState.PAID.value})
            payments.append((order_id, remote))
        else:
            headers.append(header)

    orders, items = table_of(Order), table_of(LineItem)
    # Core makes the SET clause of the keys besides row_id.
    for rows in (headers, paid_headers):
        if rows:
            session.execute(update(orders).where(orders.c.id == bindparam("row_id")), rows)
    if item_updates:
        session.execute(update(items).where(items.c.id == bindparam("row_id")), item_updates)
    _insert_items(session, item_inserts)
    # Items the cart dropped stay (a shipment may refer to them) and still count.
    counts = session.execute(
        select(LineItem.order_id, LineItem.quantity).where(LineItem.order_id.in_(order_ids))
    )
    item_count = dict.fromkeys(order_ids, 0)
    for order_id, quantity in counts:
        item_count[order_id] += quantity
    session.execute(
        update(orders).where(orders.c.id == bindparam("row_id")),
        [{"row_id": i, "item_count": n} for i, n in item_count.items()],
    )
    session.execute(delete(OrderSearchTerm).where(OrderSearchTerm.order_id.in_(order_ids)))
    _insert_terms(session, [(known[r.remote_id].id, r) for r in changed])
    _insert_payments(session, payments)
    return [order_id for order_id, _ in payments]


def _item_values(item: RemoteLineItem) -> dict[str, Any]:
    return {
        "sku": item.sku,
        "name": item.name,
        "quantity": item.quantity,
        "unit_price": item.unit_price,
    }


def _insert_items(session: Session, rows: Sequence[tuple[int, int, RemoteLineItem]]) -> None:
    values = [
        {
            "order_id": order_id,
            "position": position,
            "remote_id": item.remote_id,
            "status_label_id": None,
            **_item_values(item),
        }
        for order_id, position, item in rows
    ]
    insert_rows(session, table_of(LineItem), values)


def _insert_terms(session: Session, orders: Sequence[tuple[int, RemoteOrder]]) -> None:
    rows = [
        {"term": term, "order_id": order_id}
        for order_id, remote in orders
        for term in order_terms(remote)
    ]
    insert_rows(session, table_of(OrderSearchTerm), rows)


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows (the same keys in each) with one executemany straight through the driver.

    Building SQLAlchemy's parameters row by row costs more than the database's insert here, so
    the values go through each column type's own bind processor (Money and UTCDateTime store
    exactly as through the ORM) into plain tuples. Columns left out get their plain-value default;
    a left-out column with any other kind of Python default is refused, so a schema change
    cannot slip past this quietly."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    given = list(rows[0])
    defaults: dict[str, Any] = {}
    for column in table.columns:
        if column.key in given or column.default is None:
            continue
        if not column.default.is_scalar:
            raise TypeError(f"{table.name}.{column.key} needs its default from SQLAlchemy")
        defaults[column.key] = column.default.arg  # type: ignore[attr-defined]
    columns = [table.c[key] for key in (*given, *defaults)]
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]
    tail = tuple(defaults.values())
    params = [
        tuple(
            value if process is None else process(value)
            for process, value in zip(
                processors, (*(row[key] for key in given), *tail), strict=True
            )
        )
        for row in rows
    ]
    quote = dialect.identifier_preparer
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    connection.exec_driver_sql(
        f"INSERT INTO {quote.format_table(table)} "
        f"({', '.join(quote.format_column(column) for column in columns)}) "
        f"VALUES ({', '.join([mark] * len(columns))})",
        params,
    )


def _insert_payments(session: Session, orders: Sequence[tuple[int, RemoteOrder]]) -> None:
    rows = [payment_values(order_id, remote) for order_id, remote in orders]
    insert_rows(session, table_of(Payment), rows)
