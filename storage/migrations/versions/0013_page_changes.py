"""page_changes: a stamp per booking page that changes with every change to its busy time;
ix_ledger_pool_at covers the ledger's counts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 22:00:00

Triggers on ``booking_participants``, ``busy_blocks`` and ``time_off`` give the page of every
row inserted, updated or deleted a new random ``stamp``, in the writer's own transaction,
whichever process writes. Caches of a page's free time (``services.free_time``) compare
stamps: a cached value is used only while its page's stamp is the one it was computed at.
A stamp is random rather than counted so that a rolled-back transaction's stamp never
comes back with other content.

``ix_ledger_pool_at`` gains ``page_id`` and ``kind``, so a schedule load counts a cycle's
entries per member and kind from the index alone (``storage.schedule``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_WATCHED = ("booking_participants", "busy_blocks", "time_off")

_PG_FUNCTION = """
CREATE FUNCTION roundtable_page_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO page_changes (workspace_id, page_id, stamp)
        VALUES (OLD.workspace_id, OLD.page_id, floor(random() * 9e18)::bigint)
        ON CONFLICT (workspace_id, page_id) DO UPDATE SET stamp = excluded.stamp;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO page_changes (workspace_id, page_id, stamp)
        VALUES (NEW.workspace_id, NEW.page_id, floor(random() * 9e18)::bigint)
        ON CONFLICT (workspace_id, page_id) DO UPDATE SET stamp = excluded.stamp;
    END IF;
    RETURN NULL;
END
$$
"""

_SQLITE_UPSERT = """
    INSERT INTO page_changes (workspace_id, page_id, stamp) VALUES ({row}.workspace_id,
        {row}.page_id, random())
    ON CONFLICT (workspace_id, page_id) DO UPDATE SET stamp = excluded.stamp;
"""


def upgrade() -> None:
    op.drop_index("ix_ledger_pool_at", table_name="ledger")
    op.create_index("ix_ledger_pool_at", "ledger", ["pool_id", "at", "page_id", "kind"])
    op.create_table(
        "page_changes",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("page_id", sa.Uuid(), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "page_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for table in _WATCHED:
            op.execute(
                f"CREATE TRIGGER tr_{table}_page_changed AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} FOR EACH ROW EXECUTE FUNCTION roundtable_page_changed()"
            )
        return
    for table in _WATCHED:
        for event, rows in (("INSERT", ("new",)), ("UPDATE", ("old", "new")), ("DELETE", ("old",))):
            body = "".join(_SQLITE_UPSERT.format(row=row) for row in rows)
            op.execute(
                f"CREATE TRIGGER tr_{table}_page_changed_{event.lower()} AFTER {event} "
                f"ON {table} FOR EACH ROW BEGIN {body} END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in _WATCHED:
        if postgres:
            op.execute(f"DROP TRIGGER tr_{table}_page_changed ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER tr_{table}_page_changed_{event}")
    if postgres:
        op.execute("DROP FUNCTION roundtable_page_changed()")
    op.drop_table("page_changes")
    op.drop_index("ix_ledger_pool_at", table_name="ledger")
    op.create_index("ix_ledger_pool_at", "ledger", ["pool_id", "at"])
