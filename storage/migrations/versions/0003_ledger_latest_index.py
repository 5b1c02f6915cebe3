"""ledger: ix_ledger_latest

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:00:00

Finds a pool member's latest receipt with one index probe, so loading a schedule no longer
aggregates the pool's whole ledger history.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_ledger_latest", "ledger", ["pool_id", "page_id", "kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_ledger_latest", table_name="ledger")
