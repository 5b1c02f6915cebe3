"""outbox: in_doubt_since

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 10:00:00

When the first delivery attempt whose outcome is unknown was claimed; the dispatcher looks
for such a message in Slack before posting it again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("in_doubt_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("in_doubt_since")
