"""time_off, booking_feeds, outbox.channel

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 08:00:00

Time off of booking pages (whole local dates, read by schedule loads per page and date) and
the secret bookings feed of a page (only its token's hash). Outbox rows name their
deliverer (``channel``): every existing row is Slack's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "time_off",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("page_id", sa.Uuid(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("created_by", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["page_id"], ["booking_pages.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_time_off_page_last_day", "time_off", ["workspace_id", "page_id", "last_day"]
    )
    op.create_table(
        "booking_feeds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("page_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["page_id"], ["booking_pages.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("page_id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("channel", sa.String(), server_default="slack", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("channel")
    op.drop_table("booking_feeds")
    op.drop_index("ix_time_off_page_last_day", table_name="time_off")
    op.drop_table("time_off")
