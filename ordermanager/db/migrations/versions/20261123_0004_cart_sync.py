"""cart sync settings and cursor, orders.remote_modified_at, sync_runs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:30:00

Plain ADD COLUMNs with server defaults: both databases add them without rebuilding a table.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordermanager.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UTC = ordermanager.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "carts",
        sa.Column(
            "download_mode", sa.String(length=20), nullable=False, server_default="auto-invoice"
        ),
    )
    op.add_column(
        "carts",
        sa.Column("sync_interval_minutes", sa.Integer(), nullable=False, server_default="15"),
    )
    op.add_column("carts", sa.Column("sync_cursor", _UTC, nullable=True))
    op.add_column("carts", sa.Column("last_sync_at", _UTC, nullable=True))
    op.add_column("orders", sa.Column("remote_modified_at", _UTC, nullable=True))
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cart_id", sa.Integer(), nullable=False),
        sa.Column("started_at", _UTC, nullable=False),
        sa.Column("finished_at", _UTC, nullable=True),
        sa.Column("downloaded", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cart_id"], ["carts.id"], name=op.f("fk_sync_runs_cart_id_carts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    op.create_index("ix_sync_runs_cart_id", "sync_runs", ["cart_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sync_runs_cart_id", table_name="sync_runs")
    op.drop_table("sync_runs")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("orders") as batch:
            batch.drop_column("remote_modified_at")
        with op.batch_alter_table("carts") as batch:
            for column in ("last_sync_at", "sync_cursor", "sync_interval_minutes", "download_mode"):
                batch.drop_column(column)
    else:
        op.drop_column("orders", "remote_modified_at")
        for column in ("last_sync_at", "sync_cursor", "sync_interval_minutes", "download_mode"):
            op.drop_column("carts", column)
