"""workspaces: slack_admins

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-28 08:00:00

Whether the Slack workspace's owners and admins are Roundtable admins (``true`` unless the
configuration sets ``slack_admins: false``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy): workspaces are referenced by every table's keys.
    op.add_column(
        "workspaces",
        sa.Column("slack_admins", sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade() -> None:
    # Plain DROP COLUMN (no table copy): workspaces are referenced by every table's keys.
    op.drop_column("workspaces", "slack_admins")
