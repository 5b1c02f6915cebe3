"""Calendar connections: the stored sources of synced busy blocks, and their leases.

A connection is an ICS feed or a CalDAV collection serving one or more booking pages. Its
URL and credentials are stored encrypted (``CalendarConnection.secret``; the service layer
seals and opens it) and never leave this module in clear. Its busy blocks live in
``busy_blocks`` with ``source = 'calendar'`` and the connection's id, so ``config apply``
(which replaces ``source = 'config'`` blocks only) never removes them and the schedule
loader reads them like any external busy block.

Each method takes the workspace's Slack team id first and touches only that workspace's
rows, except ``claim``: the sync job serves every workspace. A claim is a lease, like the
outbox's: a connection is read by one process at a time (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, the one write lock on SQLite), and a process that dies holding one gives it up
when the lease runs out.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, or_
from sqlmodel import Session, col, select

from engine.errors import NotFound
from engine.records import CalendarConnection
from storage.common import parse_uuid, workspace_pk
from storage.tables import (
    BusyBlockRow,
    CalendarConnectionRow,
    CalendarPageRow,
    PageRow,
    WorkspaceRow,
)

CALENDAR_SOURCE = "calendar"
"""``busy_blocks.source`` of the blocks read from a calendar connection."""


class CalendarRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, workspace_id: str, connection: CalendarConnection) -> None:
        """Store a new connection for its pages.

        Raises:
            NotFound: a page names no live booking page of the workspace.
        """
        ws = workspace_pk(self._session, workspace_id)
        page_pks = self._page_pks(ws, connection.pages)
        pk = uuid.UUID(connection.id)
        self._session.add(
            CalendarConnectionRow(
                id=pk,
                workspace_id=ws,
                kind=connection.kind,
                shown_url=connection.shown_url,
                secret=connection.secret,
                write=connection.write,
                created_at=connection.created_at,
                created_by=connection.created_by,
                due_at=connection.due_at,
            )
        )
        self._session.flush()
        self._session.execute(
            insert(CalendarPageRow),
            [
                {"id": uuid.uuid4(), "workspace_id": ws, "connection_id": pk, "page_id": page}
                for page in page_pks.values()
            ],
        )

    def find(self, workspace_id: str, *, page: str | None = None) -> list[CalendarConnection]:
        """Return the workspace's connections (those serving ``page``), oldest first.

        Raises:
            NotFound: ``page`` names no live booking page.
        """
        ws = workspace_pk(self._session, workspace_id)
        query = select(CalendarConnectionRow).where(CalendarConnectionRow.workspace_id == ws)
        if page is not None:
            page_pk = self._page_pks(ws, [page])[page]
            served = select(CalendarPageRow.connection_id).where(CalendarPageRow.page_id == page_pk)
            query = query.where(col(CalendarConnectionRow.id).in_(served))
        rows = self._session.exec(
            query.order_by(col(CalendarConnectionRow.created_at), col(CalendarConnectionRow.id))
        ).all()
        return self._records(rows)

    def get(self, workspace_id: str, connection_id: str) -> CalendarConnection:
        """Return one connection of the workspace.

        Raises:
            NotFound: no such connection in the workspace (a malformed id included).
        """
        return self._records([self._row(workspace_id, connection_id)])[0]

    def remove(self, workspace_id: str, connection_id: str) -> CalendarConnection:
        """Delete a connection with its busy blocks; return it as it was.

        Raises:
            NotFound: no such connection in the workspace.
        """
        row = self._row(workspace_id, connection_id, lock=True)
        gone = self._records([row])[0]
        self._session.exec(delete(BusyBlockRow).where(col(BusyBlockRow.connection_id) == row.id))
        self._session.exec(
            delete(CalendarPageRow).where(col(CalendarPageRow.connection_id) == row.id)
        )
        self._session.delete(row)
        self._session.flush()
        return gone

    def claim(
        self,
        *,
        now: datetime,
        lease: timedelta,
        workspace_id: str | None = None,
        connection_ids: Iterable[str] | None = None,
        limit: int = 20,
    ) -> list[tuple[str, CalendarConnection]]:
        """Lease connections to this process; return them with their workspace's team id.

        Without ``connection_ids``, connections due by ``now`` (of every workspace, or of
        ``workspace_id``); with them, those connections whether due or not. Either way only
        those no other process holds (no lease, or a lease run out). Rows other transactions
        hold are skipped on PostgreSQL; on SQLite run this in a write transaction
        (``UnitOfWork.begin_write``).
        """
        query = (
            select(CalendarConnectionRow, WorkspaceRow.team_id)
            .join(WorkspaceRow, col(WorkspaceRow.id) == CalendarConnectionRow.workspace_id)
            .where(
                or_(
                    col(CalendarConnectionRow.claimed_until).is_(None),
                    col(CalendarConnectionRow.claimed_until) <= now,
                )
            )
        )
        if workspace_id is not None:
            query = query.where(col(WorkspaceRow.team_id) == workspace_id)
        if connection_ids is None:
            query = query.where(col(CalendarConnectionRow.due_at) <= now)
        else:
            query = query.where(
                col(CalendarConnectionRow.id).in_(
                    [pk for pk in map(parse_uuid, connection_ids) if pk is not None]
                )
            )
        rows = self._session.exec(
            query.order_by(col(CalendarConnectionRow.due_at), col(CalendarConnectionRow.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=CalendarConnectionRow)
        ).all()
        for row, _ in rows:
            row.claimed_until = now + lease
        self._session.flush()
        records = {r.id: r for r in self._records([row for row, _ in rows])}
        return [(team, records[str(row.id)]) for row, team in rows]

    def record_success(
        self,
        workspace_id: str,
        connection_id: str,
        *,
        at: datetime,
        next_due: datetime,
        busy: Mapping[str, Sequence[tuple[datetime, datetime]]] | None,
        etag: str | None,
        last_modified: str | None,
        window_end: datetime | None = None,
    ) -> bool:
        """Record a successful read and give up the lease; return whether the blocks changed.

        ``busy`` maps each page to its blocks, which replace the connection's blocks (rows
        are rewritten only when they differ); None keeps them (the source was unchanged)
        and with them ``window_end``. Pages the connection no longer serves are left out.
        """
        row = self._row(workspace_id, connection_id, lock=True)
        changed = False
        if busy is not None:
            pks = self._served_pages(row.id)
            wanted = {
                (pks[page], start, end)
                for page, blocks in busy.items()
                if page in pks
                for start, end in blocks
            }
            stored = {
                (page, start, end)
                for page, start, end in self._session.exec(
                    select(BusyBlockRow.page_id, BusyBlockRow.start_at, BusyBlockRow.end_at).where(
                        col(BusyBlockRow.connection_id) == row.id
                    )
                )
            }
            changed = wanted != stored
            if changed:
                self._replace_blocks(row, sorted(wanted))
            row.window_end = window_end
        row.etag, row.last_modified = etag, last_modified
        row.last_success, row.last_error = at, None
        row.failing_since, row.failure_told = None, False
        row.due_at, row.claimed_until = next_due, None
        self._session.flush()
        return changed

    def _replace_blocks(
        self, row: CalendarConnectionRow, blocks: Sequence[tuple[uuid.UUID, datetime, datetime]]
    ) -> None:
        self._session.exec(delete(BusyBlockRow).where(col(BusyBlockRow.connection_id) == row.id))
        if blocks:
            self._session.execute(
                insert(BusyBlockRow),
                [
                    {
                        "id": uuid.uuid4(),
                        "workspace_id": row.workspace_id,
                        "page_id": page,
                        "start_at": start,
                        "end_at": end,
                        "source": CALENDAR_SOURCE,
                        "connection_id": row.id,
                        "position": position,
                    }
                    for position, (page, start, end) in enumerate(blocks)
                ],
            )

    def record_failure(
        self, workspace_id: str, connection_id: str, *, at: datetime, next_due: datetime, error: str
    ) -> CalendarConnection:
        """Record a failed read (the busy blocks stay), give up the lease; return the state."""
        row = self._row(workspace_id, connection_id, lock=True)
        row.last_error = error
        if row.failing_since is None:
            row.failing_since = at
        row.due_at, row.claimed_until = next_due, None
        self._session.flush()
        return self._records([row])[0]

    def failing_count(self) -> int:
        """Count the connections of every workspace whose last read failed."""
        found = self._session.execute(
            select(func.count()).where(col(CalendarConnectionRow.failing_since).is_not(None))
        ).scalar_one()
        return int(found)

    def mark_failure_told(self, workspace_id: str, connection_id: str) -> None:
        """Note that the page's member was told about the current failure."""
        self._row(workspace_id, connection_id).failure_told = True
        self._session.flush()

    def _records(self, rows: Sequence[CalendarConnectionRow]) -> list[CalendarConnection]:
        if not rows:
            return []
        pks = [row.id for row in rows]
        pages: dict[uuid.UUID, list[str]] = defaultdict(list)
        for connection, key in self._session.exec(
            select(CalendarPageRow.connection_id, PageRow.key)
            .join(PageRow, col(PageRow.id) == CalendarPageRow.page_id)
            .where(col(CalendarPageRow.connection_id).in_(pks), col(PageRow.archived_at).is_(None))
            .order_by(col(PageRow.position), col(PageRow.key))
        ):
            pages[connection].append(key)
        counts = dict(
            self._session.exec(
                select(BusyBlockRow.connection_id, func.count())
                .where(col(BusyBlockRow.connection_id).in_(pks))
                .group_by(col(BusyBlockRow.connection_id))
            ).all()
        )
        return [
            CalendarConnection(
                id=str(row.id),
                kind=row.kind,
                pages=tuple(pages[row.id]),
                shown_url=row.shown_url,
                secret=row.secret,
                write=row.write,
                created_at=row.created_at,
                due_at=row.due_at,
                created_by=row.created_by,
                etag=row.etag,
                last_modified=row.last_modified,
                window_end=row.window_end,
                claimed_until=row.claimed_until,
                last_success=row.last_success,
                last_error=row.last_error,
                failing_since=row.failing_since,
                failure_told=row.failure_told,
                busy=int(counts.get(row.id, 0)),
            )
            for row in rows
        ]

    def _served_pages(self, connection: uuid.UUID) -> dict[str, uuid.UUID]:
        return {
            key: pk
            for key, pk in self._session.exec(
                select(PageRow.key, PageRow.id)
                .join(CalendarPageRow, col(CalendarPageRow.page_id) == PageRow.id)
                .where(
                    CalendarPageRow.connection_id == connection,
                    col(PageRow.archived_at).is_(None),
                )
            )
        }

    def _page_pks(self, ws: uuid.UUID, keys: Iterable[str]) -> dict[str, uuid.UUID]:
        wanted = set(keys)
        found = {
            key: pk
            for key, pk in self._session.exec(
                select(PageRow.key, PageRow.id).where(
                    PageRow.workspace_id == ws,
                    col(PageRow.key).in_(wanted),
                    col(PageRow.archived_at).is_(None),
                )
            )
        }
        missing = sorted(wanted - found.keys())
        if missing:
            raise NotFound(f"unknown booking page: {', '.join(missing)}", field="page")
        return found

    def _row(
        self, workspace_id: str, connection_id: str, *, lock: bool = False
    ) -> CalendarConnectionRow:
        """Return a connection of the workspace; ``lock``: hold its row until the end (a
        sync recording its outcome and a disconnect take turns).

        Raises:
            NotFound: no such connection in the workspace (a malformed id included).
        """
        ws = workspace_pk(self._session, workspace_id)
        pk = parse_uuid(connection_id)
        row = (
            None
            if pk is None
            else self._session.get(CalendarConnectionRow, pk, with_for_update=lock or None)
        )
        if row is None or row.workspace_id != ws:
            raise NotFound(f"unknown calendar connection '{connection_id}'", field="calendar")
        return row
