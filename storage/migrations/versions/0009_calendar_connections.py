"""calendar_connections, calendar_connection_pages; busy_blocks.connection_id

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-28 08:00:00

Calendars a booking page reads its busy times from (ICS feeds and CalDAV collections), the
pages each serves, and the connection a synced busy block came from.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_connections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("shown_url", sa.String(), nullable=False),
        sa.Column("secret", sa.String(), nullable=False),
        sa.Column("write", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(), nullable=True),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure_told", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "calendar_connection_pages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("page_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["calendar_connections.id"]),
        sa.ForeignKeyConstraint(["page_id"], ["booking_pages.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("connection_id", "page_id", name="uq_calendar_connection_pages_page"),
    )
    op.create_index(
        "ix_calendar_connection_pages_connection_id",
        "calendar_connection_pages",
        ["connection_id"],
    )
    op.create_index(
        "ix_calendar_connection_pages_page_id", "calendar_connection_pages", ["page_id"]
    )
    with op.batch_alter_table("busy_blocks") as batch:
        batch.add_column(sa.Column("connection_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            "fk_busy_blocks_connection_id_calendar_connections",
            "calendar_connections",
            ["connection_id"],
            ["id"],
        )
        batch.create_index("ix_busy_blocks_connection_id", ["connection_id"])


def downgrade() -> None:
    with op.batch_alter_table("busy_blocks") as batch:
        batch.drop_index("ix_busy_blocks_connection_id")
        batch.drop_constraint("fk_busy_blocks_connection_id_calendar_connections")
        batch.drop_column("connection_id")
    op.drop_table("calendar_connection_pages")
    op.drop_table("calendar_connections")
