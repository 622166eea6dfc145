"""carts.last_status_sent_at: when a status update was last accepted by each cart

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 16:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordermanager.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "carts",
        sa.Column(
            "last_status_sent_at", ordermanager.db.types.UTCDateTime(timezone=True), nullable=True
        ),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("carts") as batch:
            batch.drop_column("last_status_sent_at")
    else:
        op.drop_column("carts", "last_status_sent_at")
