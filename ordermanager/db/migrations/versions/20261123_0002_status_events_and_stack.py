"""status events and stack

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:51:02.752961
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordermanager.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_events",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("item_label_id", sa.Integer(), nullable=True),
        sa.Column("order_label_id", sa.Integer(), nullable=True),
        sa.Column("notify_cart", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", ordermanager.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_label_id"],
            ["status_labels.id"],
            name=op.f("fk_status_events_item_label_id_status_labels"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["order_label_id"],
            ["status_labels.id"],
            name=op.f("fk_status_events_order_label_id_status_labels"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_status_events")),
    )
    op.create_table(
        "stack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=60), nullable=False),
        sa.Column("order_label", sa.String(length=50), nullable=True),
        sa.Column("item_changes", sa.Text(), nullable=False),
        sa.Column("tracking", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=32), nullable=False),
        sa.Column("queued_at", ordermanager.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", ordermanager.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("last_error_at", ordermanager.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", ordermanager.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("state IN ('queued', 'held')", name=op.f("ck_stack_state_known")),
        sa.ForeignKeyConstraint(
            ["cart_id"], ["carts.id"], name=op.f("fk_stack_cart_id_carts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_stack_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stack")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_stack_idempotency_key")),
    )
    op.create_index("ix_stack_order_id", "stack", ["order_id", "id"], unique=False)
    op.create_index(
        "ix_stack_state_next_attempt", "stack", ["state", "next_attempt_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_stack_state_next_attempt", table_name="stack")
    op.drop_index("ix_stack_order_id", table_name="stack")
    op.drop_table("stack")
    op.drop_table("status_events")
