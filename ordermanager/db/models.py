"""The tables of a store, as SQLAlchemy ORM models. Alembic migrations must produce exactly these.

Indexes follow the order list (DESIGN.md section 6): every sortable column has an index whose
trailing rowid / id gives a stable order, and every filter has an index that also serves the
default "newest first" order, so no list query sorts a million rows.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from ordermanager.db.types import Money, UTCDateTime

# Stable constraint names, so migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LABEL_MAX_LENGTH = 50


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Cart(Base):
    """One configured connection to an online store. Credentials live in the keyring, not here."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    base_url: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The demo store's carts: the built-in demo connector answers for them (no real shop behind).
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Order Download Mode (DESIGN.md section 7): 'auto-invoice' or 'wait-for-invoice'.
    download_mode: Mapped[str] = mapped_column(
        String(20), default="auto-invoice", server_default="auto-invoice"
    )
    sync_interval_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    # The newest cart modification time the sync cycle has committed; the next cycle asks for
    # orders changed since this minus an overlap window (ordermanager.sync.cycle).
    sync_cursor: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a stack controller last had a status update accepted by this cart (Sync Status view).
    last_status_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    orders: Mapped[list[Order]] = relationship(back_populates="cart")


class StatusLabel(Base):
    """An entry of the label list. History refers to labels by id, so a rename reads everywhere."""

    __tablename__ = "status_labels"
    __table_args__ = (CheckConstraint(f"length(name) <= {LABEL_MAX_LENGTH}", name="name_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("cart_id", "remote_id"),
        Index("ix_orders_placed_at", "placed_at"),
        Index("ix_orders_number", "number"),
        Index("ix_orders_number_key", "number_key"),
        Index("ix_orders_customer_sort", "customer_sort"),
        Index("ix_orders_cart_placed", "cart_id", "placed_at"),
        Index("ix_orders_item_count", "item_count"),
        Index("ix_orders_total", "total"),
        Index("ix_orders_label_placed", "status_label_id", "placed_at"),
        Index("ix_orders_payment_placed", "payment_state", "placed_at"),
        Index("ix_orders_shipping_placed", "shipping_state", "placed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="RESTRICT"))
    remote_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(64))
    # Natural-sort key of ``number`` ("#999" before "#1000"), written by ordermanager.orders.keys.
    number_key: Mapped[str] = mapped_column(String(160))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The cart's own modification time as last downloaded: a re-download within the sync
    # overlap window that is not newer changes nothing.
    remote_modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer_name: Mapped[str] = mapped_column(String(200), default="")
    # Case-folded name for sorting, so "élodie" sits beside "Elodie", not after "Zoe".
    customer_sort: Mapped[str] = mapped_column(String(200), default="")
    customer_email: Mapped[str] = mapped_column(String(254), default="")
    customer_phone: Mapped[str] = mapped_column(String(50), default="")

    billing_name: Mapped[str] = mapped_column(String(200), default="")
    billing_company: Mapped[str] = mapped_column(String(200), default="")
    billing_street1: Mapped[str] = mapped_column(Text, default="")
    billing_street2: Mapped[str] = mapped_column(Text, default="")
    billing_city: Mapped[str] = mapped_column(String(100), default="")
    billing_region: Mapped[str] = mapped_column(String(100), default="")
    billing_postcode: Mapped[str] = mapped_column(String(20), default="")
    billing_country: Mapped[str] = mapped_column(String(2), default="")
    billing_email: Mapped[str] = mapped_column(String(254), default="")
    billing_phone: Mapped[str] = mapped_column(String(50), default="")

    shipping_name: Mapped[str] = mapped_column(String(200), default="")
    shipping_company: Mapped[str] = mapped_column(String(200), default="")
    shipping_street1: Mapped[str] = mapped_column(Text, default="")
    shipping_street2: Mapped[str] = mapped_column(Text, default="")
    shipping_city: Mapped[str] = mapped_column(String(100), default="")
    shipping_region: Mapped[str] = mapped_column(String(100), default="")
    shipping_postcode: Mapped[str] = mapped_column(String(20), default="")
    shipping_country: Mapped[str] = mapped_column(String(2), default="")
    shipping_method: Mapped[str] = mapped_column(String(100), default="")

    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    shipping_total: Mapped[Decimal] = mapped_column(Money)
    tax_total: Mapped[Decimal] = mapped_column(Money)
    discount_total: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)

    # Plain strings from ordermanager.orders.states, so new states need no migration.
    payment_state: Mapped[str] = mapped_column(String(20))
    shipping_state: Mapped[str] = mapped_column(String(20))
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    status_label_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_labels.id", ondelete="RESTRICT")
    )
    ship_date: Mapped[date | None] = mapped_column(Date)
    customer_note: Mapped[str] = mapped_column(Text, default="")

    cart: Mapped[Cart] = relationship(back_populates="orders")
    status_label: Mapped[StatusLabel | None] = relationship()
    items: Mapped[list[LineItem]] = relationship(
        back_populates="order", order_by="LineItem.position", cascade="all, delete-orphan"
    )
    payments: Mapped[list[Payment]] = relationship(
        order_by="Payment.paid_at", cascade="all, delete-orphan"
    )
    shipments: Mapped[list[Shipment]] = relationship(
        order_by="Shipment.shipped_at", cascade="all, delete-orphan"
    )


class LineItem(Base):
    __tablename__ = "line_items"
    __table_args__ = (
        Index("ix_line_items_order_id", "order_id"),
        Index("ix_line_items_sku", "sku"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    remote_id: Mapped[str] = mapped_column(String(64), default="")
    sku: Mapped[str] = mapped_column(String(100), default="")
    name: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    status_label_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_labels.id", ondelete="RESTRICT")
    )

    order: Mapped[Order] = relationship(back_populates="items")
    status_label: Mapped[StatusLabel | None] = relationship()


class Payment(Base):
    """Money received for an order (``kind`` payment) or given back (``kind`` refund)."""

    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_order_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10), default="payment")
    method: Mapped[str] = mapped_column(String(50), default="")
    reference: Mapped[str] = mapped_column(String(100), default="")
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Shipment(Base):
    """One package (or set of packages) sent with one carrier; its items and tracking numbers."""

    __tablename__ = "shipments"
    __table_args__ = (Index("ix_shipments_order_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    carrier: Mapped[str] = mapped_column(String(50), default="")
    service: Mapped[str] = mapped_column(String(100), default="")
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime)

    tracking_numbers: Mapped[list[TrackingNumber]] = relationship(
        order_by="TrackingNumber.id", cascade="all, delete-orphan"
    )
    items: Mapped[list[ShipmentItem]] = relationship(cascade="all, delete-orphan")


class TrackingNumber(Base):
    __tablename__ = "tracking_numbers"
    __table_args__ = (
        UniqueConstraint("shipment_id", "number"),
        Index("ix_tracking_numbers_number", "number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(100))


class ShipmentItem(Base):
    """How many of a line item went out in a shipment (partial shipments need this)."""

    __tablename__ = "shipment_items"

    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True
    )
    line_item_id: Mapped[int] = mapped_column(
        ForeignKey("line_items.id", ondelete="CASCADE"), primary_key=True
    )
    quantity: Mapped[int] = mapped_column(Integer)


class LabelChange(Base):
    """One row of the label history: when, on what, from which label to which, and why.

    ``line_item_id`` is empty for the order's own label. ``event`` names the status event that
    made the change, ``changed_by`` the operator who set it by hand; one of them says why.
    """

    __tablename__ = "label_history"
    __table_args__ = (
        Index("ix_label_history_order_id", "order_id", "changed_at"),
        Index("ix_label_history_to_label_id", "to_label_id"),
        Index("ix_label_history_from_label_id", "from_label_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    line_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("line_items.id", ondelete="CASCADE")
    )
    from_label_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_labels.id", ondelete="RESTRICT")
    )
    to_label_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_labels.id", ondelete="RESTRICT")
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    event: Mapped[str] = mapped_column(String(60), default="")
    changed_by: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class OrderSearchTerm(Base):
    """Words an order can be found by (number, customer name words, e-mail), case-folded.

    A prefix range on this primary key finds "smi" in "John Smith" with an index on SQLite and
    PostgreSQL alike, where ``LIKE '%smi%'`` would read every order.
    """

    __tablename__ = "order_search_terms"
    __table_args__ = (Index("ix_order_search_terms_order_id", "order_id"),)

    # Byte order ("C") on PostgreSQL, as SQLite's BINARY, so a prefix is one contiguous range.
    term: Mapped[str] = mapped_column(
        String(254).with_variant(String(254, collation="C"), "postgresql"), primary_key=True
    )
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )


class SystemParameter(Base):
    """A store-wide setting shared by every workstation (UseStatusUpdates and friends)."""

    __tablename__ = "system_parameters"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatusEvent(Base):
    """The store's settings for one built-in status event (ordermanager.status.events).

    A missing row means "no labels, Notify Cart off, enabled": the catalogue lives in code, so a new
    built-in event needs no migration.
    """

    __tablename__ = "status_events"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    item_label_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_labels.id", ondelete="RESTRICT")
    )
    order_label_id: Mapped[int | None] = mapped_column(
        ForeignKey("status_labels.id", ondelete="RESTRICT")
    )
    notify_cart: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatusUpdate(Base):
    """One record on the stack: a status update waiting to be sent to its cart (DESIGN.md 3).

    Written in the same transaction as the label change it reports. The claim columns let several
    stack controllers share the table: a record is claimed with a token and a lease, and deleted
    only by the holder of that token.
    """

    __tablename__ = "stack"
    __table_args__ = (
        # Claims walk queued records oldest first (ordermanager.stack.queue): an index in id
        # order, so the first due head is found without sorting the whole stack.
        Index("ix_stack_state_id", "state", "id"),
        Index("ix_stack_order_id", "order_id", "id"),
        Index("ix_stack_claimed_by", "claimed_by"),
        CheckConstraint("state IN ('queued', 'held')", name="state_known"),
        # Never reuse an id on SQLite: per-order FIFO is "smallest id first", and a reused id
        # would put a new record before older ones (and confuse a fenced settle by id).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(60))
    order_label: Mapped[str | None] = mapped_column(String(LABEL_MAX_LENGTH))
    # JSON text: [{"line_item_id", "remote_id", "sku", "label"}, ...]
    item_changes: Mapped[str] = mapped_column(Text, default="[]")
    # JSON text: {"numbers": [...], "carrier": "..."}
    tracking: Mapped[str] = mapped_column(Text, default="{}")
    payload: Mapped[str] = mapped_column(Text, default="{}")
    idempotency_key: Mapped[str] = mapped_column(String(32), unique=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str] = mapped_column(String(100), default="")
    # The workstation that queued it (ordermanager.workstation.workstation_id): Local mode sends
    # only its own workstation's records.
    queued_by: Mapped[str] = mapped_column(String(100), default="", server_default="")


class StackControllerRow(Base):
    """One running stack controller. Its heartbeat keeps its claims alive; a controller whose
    heartbeat stops is recovered by the others (claims released, row removed, logged)."""

    __tablename__ = "stack_controllers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    workstation: Mapped[str] = mapped_column(String(100))
    host: Mapped[str] = mapped_column(String(200), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    mode: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10), default="running")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_total: Mapped[int] = mapped_column(Integer, default=0)
    failed_total: Mapped[int] = mapped_column(Integer, default=0)
    sends_last_minute: Mapped[int] = mapped_column(Integer, default=0)


class StackLease(Base):
    """The Shared-mode lease: the one controller allowed to send, until ``expires_at``."""

    __tablename__ = "stack_lease"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    holder: Mapped[str] = mapped_column(String(32))
    workstation: Mapped[str] = mapped_column(String(100), default="")
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EventLogRow(Base):
    """The log table: what the stack, its controllers and operators did (ordermanager.eventlog)."""

    __tablename__ = "event_log"
    __table_args__ = (Index("ix_event_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(30))
    level: Mapped[str] = mapped_column(String(10), default="info")
    message: Mapped[str] = mapped_column(Text)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    # A stack record's id; no foreign key: the record is usually gone when its entry is read.
    record_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(100), default="")


class SyncRun(Base):
    """One sync cycle of one cart: when, how many orders, and the error that stopped it, if any.
    The Sync Status view reads the newest rows per cart."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_cart_id", "cart_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    downloaded: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")


class CartStatusMapping(Base):
    """What a status label becomes in one cart (ordermanager.carts.status_map). Labels without
    a row use the cart kind's default mapping, if it has one for that label name."""

    __tablename__ = "cart_status_map"
    __table_args__ = (UniqueConstraint("cart_id", "label_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    label_id: Mapped[int] = mapped_column(ForeignKey("status_labels.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))
    cart_status: Mapped[str] = mapped_column(String(100), default="")
    notify_customer: Mapped[bool] = mapped_column(Boolean, default=False)


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, for Core bulk statements (the ORM bulk path costs twice as much
    per row, which bulk actions over thousands of orders feel)."""
    return cast(Table, model.__table__)
