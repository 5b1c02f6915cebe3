"""The stamps of ``page_changes``: what tells a cache of a page's free time it is stale.

Database triggers (migration 0013) give a page a new random stamp in every transaction that
changes its bookings, busy blocks or time off, whichever process commits it; a page never
changed has no row (stamp 0 here). Read the stamps before the bookings they vouch for: on
PostgreSQL each statement sees what committed before it, so a change committed between the
two reads shows in the bookings but not in the stamp, and the value is recomputed next time
rather than trusted too long.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlmodel import Session, col

from storage.tables import PageChangeRow


def page_stamps(session: Session, workspace_pk: uuid.UUID) -> dict[uuid.UUID, int]:
    """Return the stamp of every page of a workspace that ever changed (one query)."""
    rows = session.connection().execute(
        select(col(PageChangeRow.page_id), col(PageChangeRow.stamp)).where(
            col(PageChangeRow.workspace_id) == workspace_pk
        )
    )
    return {page: stamp for page, stamp in rows}
