"""booking_participants: the booking's buffers, and an index that covers schedule loads

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 15:00:00

A schedule load reads, for each page and span, every confirmed booking's time, buffers and
id. With the buffers copied onto each participant (a booking's buffers never change after
it is made) and those columns added to ``ix_booking_participants_page_start`` after its
(workspace, page, start) prefix, the read is one index range scan a page: no join to
``bookings`` and no visit to the table rows, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_INDEX = "ix_booking_participants_page_start"
_KEY = ["workspace_id", "page_id", "start_at"]
_COVERED = ["end_at", "confirmed", "buffer_before_min", "buffer_after_min", "booking_id"]
_TABLE = "booking_participants"


def upgrade() -> None:
    with op.batch_alter_table(_TABLE) as batch:
        for name in ("buffer_before_min", "buffer_after_min"):
            batch.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))
    op.execute(
        "UPDATE booking_participants SET "
        "buffer_before_min = (SELECT b.buffer_before_min FROM bookings AS b "
        "WHERE b.id = booking_participants.booking_id), "
        "buffer_after_min = (SELECT b.buffer_after_min FROM bookings AS b "
        "WHERE b.id = booking_participants.booking_id)"
    )
    op.drop_index(_INDEX, table_name=_TABLE)
    op.create_index(_INDEX, _TABLE, _KEY + _COVERED)


def downgrade() -> None:
    op.drop_index(_INDEX, table_name=_TABLE)
    op.create_index(_INDEX, _TABLE, _KEY)
    with op.batch_alter_table(_TABLE) as batch:
        batch.drop_column("buffer_after_min")
        batch.drop_column("buffer_before_min")
