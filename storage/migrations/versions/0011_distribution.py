"""pools: lookahead and flexible; links: the member; bookings: attendees, last received

Revision ID: 0011
Revises: 0006
Create Date: 2026-11-28 08:30:00

A round-robin pool may bound how far ahead a member must be bookable to keep its turn
(``lookahead_min``) and let one-time links name the member (``flexible``); such a link
keeps the member it names (``one_time_links.member_page_id``). A booking keeps how many
people attend (``attendees``). Static ``pooled`` pages give a booking to the page that least
recently received one of that event type on that master page: ``ix_bookings_last_received``
answers that from an index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy): bookings are referenced by other tables' keys.
    op.add_column("pools", sa.Column("lookahead_min", sa.Integer(), nullable=True))
    op.add_column("pools", sa.Column("flexible", sa.Boolean(), server_default="0", nullable=False))
    op.add_column(
        "one_time_links",
        sa.Column("member_page_id", sa.Uuid(), nullable=True),
    )
    op.add_column(
        "bookings", sa.Column("attendees", sa.Integer(), server_default="1", nullable=False)
    )
    op.create_index(
        "ix_bookings_last_received",
        "bookings",
        ["workspace_id", "master_page_id", "event_type_id", "owner_page_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_bookings_last_received", table_name="bookings")
    op.drop_column("bookings", "attendees")
    op.drop_column("one_time_links", "member_page_id")
    op.drop_column("pools", "flexible")
    op.drop_column("pools", "lookahead_min")
