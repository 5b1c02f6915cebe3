"""location on pages, event types and bookings; the outbox's hand-over record

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 08:00:00

``location`` (text or URL) of a booking page and an event type, and the one a booking was
made with. ``outbox.handed`` keeps an email exactly as it was handed to the mail server, so a retry
whose first attempt is in doubt hands over the same message (same ``Message-ID``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_LOCATED = ("booking_pages", "event_types", "bookings")


def upgrade() -> None:
    for table in _LOCATED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("location", sa.String(), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("handed", sa.Text(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ has it): a batch copy of ``bookings`` would drop a
    # table that other tables' foreign keys name.
    for table, column in [("outbox", "handed")] + [
        (table, "location") for table in reversed(_LOCATED)
    ]:
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
