"""workspaces: config_version, max_booking_buffer_min

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:00:00

``config_version`` lets every process cache a workspace's configuration and see with one
small query whether it is still current. ``max_booking_buffer_min`` is the longest buffer
(before or after) of any stored booking, so a schedule load widens its booking range by
what the data needs instead of a fixed day; it starts at the longest buffer already stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(
            sa.Column("config_version", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column("max_booking_buffer_min", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(
        "UPDATE workspaces SET max_booking_buffer_min = COALESCE(("
        "SELECT MAX(CASE WHEN b.buffer_before_min > b.buffer_after_min "
        "THEN b.buffer_before_min ELSE b.buffer_after_min END) "
        "FROM bookings AS b WHERE b.workspace_id = workspaces.id), 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("max_booking_buffer_min")
        batch.drop_column("config_version")
