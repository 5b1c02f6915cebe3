"""The distribution ledger: each received or given-up booking of a pool member, recorded."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import insert
from sqlmodel import Session

from engine.model import LedgerEntry
from storage.common import (
    live_ids,
    parse_uuid,
    workspace_pk,
)
from storage.tables import (
    LedgerRow,
    PageRow,
    PoolRow,
)


class LedgerRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, workspace_id: str, entries: Iterable[LedgerEntry]) -> None:
        """Record distribution events of the workspace's pools."""
        entries = list(entries)
        ws = workspace_pk(self._session, workspace_id)
        pools = live_ids(self._session, PoolRow, ws, (e.pool for e in entries), "pool")
        pages = live_ids(self._session, PageRow, ws, (e.page for e in entries), "page")
        if not entries:
            return
        self._session.execute(
            insert(LedgerRow),
            [
                {
                    "id": uuid.uuid4(),
                    "workspace_id": ws,
                    "pool_id": pools[e.pool],
                    "page_id": pages[e.page],
                    "kind": e.kind.value,
                    "at": e.at,
                    "booking_id": parse_uuid(e.booking_id),
                }
                for e in entries
            ],
        )
