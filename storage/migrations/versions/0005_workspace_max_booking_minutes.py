"""workspaces: max_booking_minutes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 11:00:00

The longest stored booking, so a schedule load can bound its bookings' start from below
and let the (page, start) index skip the history before the range it reads.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Whole minutes, rounded up: the bound may only be too long, never too short.
_LENGTH = {
    "sqlite": "CAST((julianday(b.end_at) - julianday(b.start_at)) * 1440 + 0.999 AS INTEGER)",
    "postgresql": "CAST(CEIL(EXTRACT(EPOCH FROM (b.end_at - b.start_at)) / 60) AS INTEGER)",
}


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(
            sa.Column("max_booking_minutes", sa.Integer(), server_default="0", nullable=False)
        )
    length = _LENGTH[op.get_bind().dialect.name]
    op.execute(
        f"UPDATE workspaces SET max_booking_minutes = COALESCE((SELECT MAX({length}) "
        "FROM bookings AS b WHERE b.workspace_id = workspaces.id), 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("max_booking_minutes")
