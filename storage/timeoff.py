"""Time off of booking pages: whole local dates that block a page like an all-day event.

Schedule loads read it per page and date (``storage.schedule``); this repository adds, lists
and removes it. Time off of an archived page stays stored but is neither listed nor read.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, delete, select

from engine.records import TimeOff
from storage.common import live_page_pk, workspace_pk
from storage.tables import PageRow, TimeOffRow


class TimeOffRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, workspace_id: str, time_off: TimeOff) -> None:
        """Store a new stretch of time off.

        Raises:
            NotFound: the page is not a live page of the workspace.
        """
        ws = workspace_pk(self._session, workspace_id)
        page_pk = live_page_pk(self._session, ws, time_off.page)
        self._session.add(
            TimeOffRow(
                id=uuid.UUID(time_off.id),
                workspace_id=ws,
                page_id=page_pk,
                first_day=time_off.first_day,
                last_day=time_off.last_day,
                reason=time_off.reason,
                created_by=time_off.created_by,
                created_at=time_off.created_at,
            )
        )
        self._session.flush()

    def list(self, workspace_id: str, pages: list[str] | None = None) -> list[TimeOff]:
        """Return the time off of the live pages (of ``pages`` when given), earliest first."""
        ws = workspace_pk(self._session, workspace_id)
        query = (
            select(TimeOffRow, PageRow.key)
            .join(PageRow, col(PageRow.id) == TimeOffRow.page_id)
            .where(TimeOffRow.workspace_id == ws, col(PageRow.archived_at).is_(None))
            .order_by(col(TimeOffRow.first_day), col(PageRow.key), col(TimeOffRow.created_at))
        )
        if pages is not None:
            query = query.where(col(PageRow.key).in_(pages))
        return [_time_off(row, page) for row, page in self._session.exec(query)]

    def get(self, workspace_id: str, time_off_id: str) -> TimeOff | None:
        """Return one stretch of time off of a live page, or None (a malformed id included)."""
        try:
            pk = uuid.UUID(time_off_id)
        except ValueError:
            return None
        ws = workspace_pk(self._session, workspace_id)
        found = self._session.exec(
            select(TimeOffRow, PageRow.key)
            .join(PageRow, col(PageRow.id) == TimeOffRow.page_id)
            .where(
                TimeOffRow.workspace_id == ws,
                TimeOffRow.id == pk,
                col(PageRow.archived_at).is_(None),
            )
        ).first()
        return None if found is None else _time_off(*found)

    def remove(self, workspace_id: str, time_off_id: str) -> None:
        """Delete one stretch of time off (known to exist: see ``get``)."""
        ws = workspace_pk(self._session, workspace_id)
        self._session.exec(
            delete(TimeOffRow).where(
                col(TimeOffRow.workspace_id) == ws, col(TimeOffRow.id) == uuid.UUID(time_off_id)
            )
        )


def _time_off(row: TimeOffRow, page: str) -> TimeOff:
    return TimeOff(
        id=str(row.id),
        page=page,
        first_day=row.first_day,
        last_day=row.last_day,
        created_at=row.created_at,
        reason=row.reason,
        created_by=row.created_by,
    )
