"""Order Download Mode on a cart with real invoices (Magento-like), through the real sync cycle on
a real SQLite store. The cart is an in-process InvoicingConnector over in-memory orders (the HTTP
side of Magento is tested with its connector): keyset pages by modification time, and creating an
invoice marks the order invoiced and changes its modification time, as a real cart does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import ClassVar

import pytest
from sqlalchemy import select

from ordermanager.carts.errors import ConnectorError
from ordermanager.carts.protocol import (
    Address,
    Capabilities,
    CartConfig,
    OrderPage,
    RemoteLineItem,
    RemoteOrder,
)
from ordermanager.carts.status_map import ActionKind, CartAction, CartStatus
from ordermanager.db.engine import Database
from ordermanager.db.models import Cart, LabelChange, Order
from ordermanager.eventlog import recent_events
from ordermanager.settings import set_setting
from ordermanager.stack.delivery import Outcome, Rejected
from ordermanager.stack.queue import ClaimedRecord
from ordermanager.status.events import Event, set_assignment
from ordermanager.sync.cycle import OVERLAP, SyncResult, run_sync
from ordermanager.sync.invoicing import INVOICED_ELSEWHERE, NOT_INVOICED
from tests import factories

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def remote_order(n: int, minute: int, *, invoiced: bool) -> RemoteOrder:
    return RemoteOrder(
        remote_id=str(n),
        number=f"M-{1000 + n}",
        placed_at=at(0),
        modified_at=at(minute),
        customer_name=f"Customer {n}",
        customer_email=f"c{n}@example.com",
        billing=Address(name=f"Customer {n}", country="DE"),
        shipping=Address(name=f"Customer {n}", country="DE"),
        currency="EUR",
        subtotal=Decimal("10.00"),
        shipping_total=Decimal("0.00"),
        tax_total=Decimal("0.00"),
        discount_total=Decimal("0.00"),
        total=Decimal("10.00"),
        paid=invoiced,
        invoiced=invoiced,
        cart_status="processing" if invoiced else "pending",
        items=(RemoteLineItem(f"li-{n}", "MUG", "Mug", 1, Decimal("10.00")),),
    )


class InvoiceStore:
    """The cart's side: orders by remote id, every request and invoice call recorded."""

    def __init__(self, page_size: int = 2) -> None:
        self.orders: dict[str, RemoteOrder] = {}
        self.page_size = page_size
        self.clock = at(100)  # invoices are created "now", after every order here
        self.requests: list[datetime] = []
        self.invoice_calls: list[str] = []
        self.refuse: dict[str, ConnectorError] = {}

    def put(self, *orders: RemoteOrder) -> None:
        for order in orders:
            self.orders[order.remote_id] = order

    def page(self, since: datetime, token: str | None) -> OrderPage:
        self.requests.append(since)
        # Keyset paging on (modification time, id): an order changed mid-download moves behind
        # the page we are on instead of shifting the others.
        rows = sorted(
            (o for o in self.orders.values() if o.modified_at >= since),
            key=lambda o: (o.modified_at, o.remote_id),
        )
        if token is not None:
            when, remote_id = token.split("|")
            after = (datetime.fromisoformat(when), remote_id)
            rows = [o for o in rows if (o.modified_at, o.remote_id) > after]
        chunk = rows[: self.page_size]
        more = len(rows) > self.page_size
        last = chunk[-1] if chunk else None
        token = f"{last.modified_at.isoformat()}|{last.remote_id}" if more and last else None
        return OrderPage(chunk, [], token)

    def invoice(self, order: RemoteOrder) -> str:
        self.invoice_calls.append(order.remote_id)
        refused = self.refuse.get(order.remote_id)
        if refused is not None:
            raise refused
        current = self.orders[order.remote_id]
        assert not current.invoiced, "invoiced twice in the cart"
        self.clock += timedelta(minutes=1)
        self.orders[order.remote_id] = dataclasses.replace(
            current, invoiced=True, paid=True, modified_at=self.clock, cart_status="processing"
        )
        return f"invoice #{order.number}-1"


class FakeInvoicingConnector:
    kind: ClassVar[str] = "magento2"
    title: ClassVar[str] = "Magento 2 (in-process fake)"
    capabilities: ClassVar[Capabilities] = Capabilities(
        order_download=True,
        status_updates=True,
        tracking_numbers=True,
        cancel=True,
        partial_shipment=True,
        inventory=False,
        invoices=True,
    )
    secret_fields: ClassVar[tuple[str, ...]] = ()
    supported_actions: ClassVar[frozenset[ActionKind]] = frozenset()
    cart_statuses: ClassVar[tuple[CartStatus, ...]] = ()
    default_status_map: ClassVar[Mapping[str, CartAction]] = {}

    def __init__(self, cart: CartConfig, store: InvoiceStore) -> None:
        self.cart, self.store = cart, store
        self.closed = False

    def test_connection(self) -> str:
        return "ok"

    def list_orders(self, since: datetime, page: str | None) -> OrderPage:
        return self.store.page(since, page)

    def create_invoice(self, order: RemoteOrder) -> str:
        return self.store.invoice(order)

    def push_status(self, record: ClaimedRecord, action: CartAction) -> Outcome:
        return Rejected("not used here")

    def close(self) -> None:
        self.closed = True


class PaidMeansInvoicedConnector(FakeInvoicingConnector):
    """A cart without separate invoices that happens to have the method: it must not be used."""

    capabilities: ClassVar[Capabilities] = dataclasses.replace(
        FakeInvoicingConnector.capabilities, invoices=False
    )


@pytest.fixture
def store() -> InvoiceStore:
    return InvoiceStore()


def add_cart(db: Database, mode: str = "auto-invoice") -> int:
    with db.transaction() as session:
        row = factories.cart(session, "Magento Store", "magento2")
        row.download_mode = mode
        factories.label(session, "New")
        factories.label(session, "Invoiced")
        set_setting(session, "UseStatusUpdates", True)
        set_assignment(session, Event.ORDER_RECEIVED, order_label="New", notify_cart=False)
        set_assignment(session, Event.ORDER_INVOICED, order_label="Invoiced", notify_cart=False)
        return row.id


def sync(
    db: Database,
    cart_id: int,
    store: InvoiceStore,
    cls: type[FakeInvoicingConnector] = FakeInvoicingConnector,
) -> SyncResult:
    return run_sync(db, cart_id, opener=lambda config: cls(config, store))


def labels(db: Database) -> dict[str, str | None]:
    with db.session() as session:
        orders = session.execute(select(Order).order_by(Order.number)).scalars()
        return {o.number: o.status_label.name if o.status_label else None for o in orders}


def messages(db: Database, level: str | None = None) -> list[str]:
    with db.session() as session:
        events = recent_events(session, source="sync")
        return [e.message for e in reversed(events) if level is None or e.level == level]


def cursor(db: Database, cart_id: int) -> datetime | None:
    with db.session() as session:
        row = session.get(Cart, cart_id)
        assert row is not None
        return row.sync_cursor


def test_auto_invoice__skips_invoiced_elsewhere_imports_and_invoices_the_rest(
    sqlite_db: Database, store: InvoiceStore
) -> None:
    store.put(
        remote_order(1, 1, invoiced=False),
        remote_order(2, 2, invoiced=True),  # invoiced by someone in the Magento admin
        remote_order(3, 3, invoiced=False),
    )
    cart_id = add_cart(sqlite_db)

    first = sync(sqlite_db, cart_id, store)

    assert (first.created, first.invoiced, first.invoice_failures) == (2, 2, 0)
    assert [(s.number, s.reason) for s in first.skipped] == [("M-1002", INVOICED_ELSEWHERE)]
    assert store.invoice_calls == ["1", "3"]
    assert labels(sqlite_db) == {"M-1001": "Invoiced", "M-1003": "Invoiced"}
    with sqlite_db.session() as session:
        changes = session.execute(
            select(LabelChange.event, LabelChange.changed_by).order_by(LabelChange.id)
        ).all()
    assert [tuple(c) for c in changes].count(("Order Invoiced", "sync")) == 2
    assert messages(sqlite_db, "warning") == [
        "Cart 'Magento Store': order M-1002 skipped: already invoiced outside Order Manager"
    ]
    assert messages(sqlite_db, "info") == [
        "Cart 'Magento Store': order M-1001 invoiced in the cart (invoice #M-1001-1)",
        "Cart 'Magento Store': order M-1003 invoiced in the cart (invoice #M-1003-1)",
    ]
    # Invoicing M-1001 after page 1 changed it in the cart, so page 2 brought it back (invoiced,
    # already in the store: updated, not invoiced again); the cursor is its new time.
    assert first.updated == 1 and first.pages == 2
    assert cursor(sqlite_db, cart_id) == at(101)

    # Next cycle: M-1003 changed in the cart (now invoiced): it updates, nothing is invoiced
    # again, and the order invoiced elsewhere stays out.
    second = sync(sqlite_db, cart_id, store)
    assert (second.created, second.updated, second.unchanged, second.invoiced) == (0, 1, 1, 0)
    assert store.invoice_calls == ["1", "3"]
    assert store.requests[-1] == at(101) - OVERLAP
    assert cursor(sqlite_db, cart_id) == at(102)
    assert labels(sqlite_db) == {"M-1001": "Invoiced", "M-1003": "Invoiced"}


def test_auto_invoice__order_already_in_store_updates_even_when_invoiced_elsewhere(
    sqlite_db: Database, store: InvoiceStore
) -> None:
    store.put(remote_order(1, 1, invoiced=True))
    cart_id = add_cart(sqlite_db, mode="wait-for-invoice")
    assert sync(sqlite_db, cart_id, store).created == 1  # imported while waiting for invoices

    with sqlite_db.transaction() as session:
        row = session.get(Cart, cart_id)
        assert row is not None
        row.download_mode = "auto-invoice"
    changed = dataclasses.replace(remote_order(1, 30, invoiced=True), customer_name="Renamed")
    store.put(changed)
    result = sync(sqlite_db, cart_id, store)

    assert (result.updated, result.skipped, store.invoice_calls) == (1, [], [])
    with sqlite_db.session() as session:
        assert session.execute(select(Order.customer_name)).scalar_one() == "Renamed"


def test_invoice_refused__logged_cycle_goes_on_cursor_held_retried_next_cycle(
    sqlite_db: Database, store: InvoiceStore
) -> None:
    store.put(*(remote_order(n, n, invoiced=False) for n in (1, 2, 3)))
    store.refuse["1"] = ConnectorError(
        "Cart 'Magento Store': the order does not allow an invoice.", transient=False
    )
    cart_id = add_cart(sqlite_db)

    first = sync(sqlite_db, cart_id, store)

    assert (first.created, first.invoiced, first.invoice_failures) == (3, 2, 1)
    assert store.invoice_calls == ["1", "2", "3"]
    assert labels(sqlite_db) == {"M-1001": "New", "M-1002": "Invoiced", "M-1003": "Invoiced"}
    assert messages(sqlite_db, "error") == [
        "Cart 'Magento Store': order M-1001 could not be invoiced in the cart: "
        "Cart 'Magento Store': the order does not allow an invoice."
    ]
    with sqlite_db.session() as session:
        error = next(e for e in recent_events(session, source="sync") if e.level == "error")
        order = session.execute(select(Order).where(Order.number == "M-1001")).scalar_one()
        assert error.order_id == order.id
    # Never past the order still to invoice: the next cycle downloads it again.
    assert cursor(sqlite_db, cart_id) == at(1)

    del store.refuse["1"]
    second = sync(sqlite_db, cart_id, store)

    assert store.requests[-1] == at(1) - OVERLAP
    assert (second.created, second.invoiced, second.invoice_failures) == (0, 1, 0)
    assert store.invoice_calls == ["1", "2", "3", "1"]
    assert labels(sqlite_db)["M-1001"] == "Invoiced"
    assert cursor(sqlite_db, cart_id) == store.orders["1"].modified_at  # invoiced last


def test_invoice_transient_failure__each_cycle_tries_again_once(
    sqlite_db: Database, store: InvoiceStore
) -> None:
    store.put(remote_order(1, 1, invoiced=False))
    store.refuse["1"] = ConnectorError("Cart 'Magento Store' is busy (HTTP 503).", transient=True)
    cart_id = add_cart(sqlite_db)

    for cycle in range(1, 4):
        result = sync(sqlite_db, cart_id, store)
        assert (result.invoiced, result.invoice_failures) == (0, 1)
        assert store.invoice_calls == ["1"] * cycle
        assert cursor(sqlite_db, cart_id) == at(1)
    assert len(messages(sqlite_db, "error")) == 3
    assert labels(sqlite_db) == {"M-1001": "New"}


def test_wait_for_invoice_on_invoicing_cart__skips_not_invoiced_creates_no_invoice(
    sqlite_db: Database, store: InvoiceStore
) -> None:
    store.put(remote_order(1, 1, invoiced=False), remote_order(2, 2, invoiced=True))
    cart_id = add_cart(sqlite_db, mode="wait-for-invoice")

    result = sync(sqlite_db, cart_id, store)

    assert result.created == 1 and store.invoice_calls == []
    assert [(s.number, s.reason) for s in result.skipped] == [("M-1001", NOT_INVOICED)]
    assert messages(sqlite_db) == ["Cart 'Magento Store': order M-1001 skipped: not invoiced yet"]
    assert cursor(sqlite_db, cart_id) == at(2)


def test_auto_invoice_on_cart_without_invoices__paid_orders_import_nothing_invoiced(
    sqlite_db: Database, store: InvoiceStore
) -> None:
    store.put(remote_order(1, 1, invoiced=True), remote_order(2, 2, invoiced=False))
    cart_id = add_cart(sqlite_db)

    result = sync(sqlite_db, cart_id, store, PaidMeansInvoicedConnector)

    assert (result.created, result.skipped, result.invoiced) == (2, [], 0)
    assert store.invoice_calls == []
    assert labels(sqlite_db) == {"M-1001": "New", "M-1002": "New"}
