"""Bookings feeds: one secret iCalendar feed a booking page, known by its token's hash.

A page has at most one feed; rotating replaces it (a new id and hash), so the old URL stops
working at once. The token itself is never stored (``services.feeds`` derives it).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, col, delete, select

from storage.common import live_page_pk, workspace_pk
from storage.tables import FeedRow, PageRow, WorkspaceRow


class FeedRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def of_page(self, workspace_id: str, page: str) -> str | None:
        """Return the id of a page's feed, or None when it has none.

        Raises:
            NotFound: the page is not a live page of the workspace.
        """
        page_pk = live_page_pk(self._session, workspace_pk(self._session, workspace_id), page)
        found = self._session.exec(select(FeedRow.id).where(FeedRow.page_id == page_pk)).first()
        return None if found is None else str(found)

    def replace(
        self, workspace_id: str, page: str, feed_id: str, token_hash: str, *, at: datetime
    ) -> None:
        """Make ``feed_id`` the page's feed; an earlier feed of the page stops existing.

        Raises:
            NotFound: the page is not a live page of the workspace.
        """
        ws = workspace_pk(self._session, workspace_id)
        page_pk = live_page_pk(self._session, ws, page)
        self._session.exec(delete(FeedRow).where(col(FeedRow.page_id) == page_pk))
        self._session.add(
            FeedRow(
                id=uuid.UUID(feed_id),
                workspace_id=ws,
                page_id=page_pk,
                token_hash=token_hash,
                created_at=at,
            )
        )
        self._session.flush()

    def page_of(self, token_hash: str) -> tuple[str, str] | None:
        """Return the workspace (team id) and live page whose feed has this token hash."""
        found = self._session.exec(
            select(WorkspaceRow.team_id, PageRow.key)
            .join(FeedRow, col(FeedRow.workspace_id) == WorkspaceRow.id)
            .join(PageRow, col(PageRow.id) == FeedRow.page_id)
            .where(FeedRow.token_hash == token_hash, col(PageRow.archived_at).is_(None))
        ).first()
        return None if found is None else (found[0], found[1])
