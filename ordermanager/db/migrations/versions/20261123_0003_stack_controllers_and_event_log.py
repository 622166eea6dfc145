"""stack controllers, shared lease, event log, stack.queued_by, carts.demo

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 13:15:00

On SQLite the stack table is rebuilt (Alembic batch mode) because AUTOINCREMENT can only be given
when a table is created: without it SQLite reuses the id of a deleted last record, which would
break "smallest id first" (per-order FIFO). PostgreSQL sequences never reuse ids.
The (state, next_attempt_at) index gives way to (state, id): claims want the oldest due record,
and SQLite sorted the whole stack to find it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordermanager.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = ordermanager.db.types.UTCDateTime(timezone=True)


def _stack_table() -> sa.Table:
    """The stack table as 0002 made it: batch mode copies from this rather than from reflection,
    so the CHECK constraint and the constraint names survive the rebuild on every SQLite."""
    return sa.Table(
        "stack",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=60), nullable=False),
        sa.Column("order_label", sa.String(length=50), nullable=True),
        sa.Column("item_changes", sa.Text(), nullable=False),
        sa.Column("tracking", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=32), nullable=False),
        sa.Column("queued_at", _UTC, nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _UTC, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("last_error_at", _UTC, nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", _UTC, nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("state IN ('queued', 'held')", name="ck_stack_state_known"),
        sa.ForeignKeyConstraint(
            ["cart_id"], ["carts.id"], name="fk_stack_cart_id_carts", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_stack_order_id_orders", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_stack"),
        sa.UniqueConstraint("idempotency_key", name="uq_stack_idempotency_key"),
        sa.Index("ix_stack_order_id", "order_id", "id"),
        sa.Index("ix_stack_state_next_attempt", "state", "next_attempt_at"),
    )


def upgrade() -> None:
    queued_by = sa.Column("queued_by", sa.String(length=100), nullable=False, server_default="")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "stack",
            recreate="always",
            copy_from=_stack_table(),
            table_kwargs={"sqlite_autoincrement": True},
        ) as batch:
            batch.add_column(queued_by)
            batch.drop_index("ix_stack_state_next_attempt")
            batch.create_index("ix_stack_state_id", ["state", "id"], unique=False)
            batch.create_index("ix_stack_claimed_by", ["claimed_by"], unique=False)
    else:
        op.add_column("stack", queued_by)
        op.drop_index("ix_stack_state_next_attempt", table_name="stack")
        op.create_index("ix_stack_state_id", "stack", ["state", "id"], unique=False)
        op.create_index("ix_stack_claimed_by", "stack", ["claimed_by"], unique=False)

    op.add_column(
        "carts", sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false())
    )

    op.create_table(
        "stack_controllers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workstation", sa.String(length=100), nullable=False),
        sa.Column("host", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("started_at", _UTC, nullable=False),
        sa.Column("heartbeat_at", _UTC, nullable=False),
        sa.Column("last_ok_at", _UTC, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("last_error_at", _UTC, nullable=True),
        sa.Column("sent_total", sa.Integer(), nullable=False),
        sa.Column("failed_total", sa.Integer(), nullable=False),
        sa.Column("sends_last_minute", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stack_controllers")),
    )
    op.create_table(
        "stack_lease",
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("holder", sa.String(length=32), nullable=False),
        sa.Column("workstation", sa.String(length=100), nullable=False),
        sa.Column("acquired_at", _UTC, nullable=False),
        sa.Column("expires_at", _UTC, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_stack_lease")),
    )
    op.create_table(
        "event_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", _UTC, nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_event_log_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_log")),
    )
    op.create_index("ix_event_log_at", "event_log", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_event_log_at", table_name="event_log")
    op.drop_table("event_log")
    op.drop_table("stack_lease")
    op.drop_table("stack_controllers")
    op.drop_column("carts", "demo")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("stack", recreate="always") as batch:
            batch.drop_index("ix_stack_claimed_by")
            batch.drop_index("ix_stack_state_id")
            batch.create_index("ix_stack_state_next_attempt", ["state", "next_attempt_at"])
            batch.drop_column("queued_by")
    else:
        op.drop_index("ix_stack_claimed_by", table_name="stack")
        op.drop_index("ix_stack_state_id", table_name="stack")
        op.create_index("ix_stack_state_next_attempt", "stack", ["state", "next_attempt_at"])
        op.drop_column("stack", "queued_by")
