"""The audit of reassignments: who moved which booking from whom to whom."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from engine.records import (
    Reassignment,
)
from storage.common import (
    live_ids,
    parse_uuid,
    workspace_pk,
)
from storage.tables import (
    PageRow,
    ReassignmentRow,
)


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, workspace_id: str, record: Reassignment) -> None:
        """Record a reassignment."""
        ws = workspace_pk(self._session, workspace_id)
        pages = live_ids(self._session, PageRow, ws, [record.from_page, record.to_page], "page")
        self._session.add(
            ReassignmentRow(
                workspace_id=ws,
                booking_id=uuid.UUID(record.booking_id),
                from_page_id=pages[record.from_page],
                to_page_id=pages[record.to_page],
                by=record.by,
                at=record.at,
                reason=record.reason,
                forced=record.forced,
            )
        )
        self._session.flush()

    def for_booking(self, workspace_id: str, booking_id: str) -> list[Reassignment]:
        """Return the reassignments of a booking, oldest first."""
        ws = workspace_pk(self._session, workspace_id)
        source, target = aliased(PageRow), aliased(PageRow)
        rows = self._session.exec(
            select(ReassignmentRow, source.key, target.key)
            .join(source, col(source.id) == ReassignmentRow.from_page_id)
            .join(target, col(target.id) == ReassignmentRow.to_page_id)
            .where(
                ReassignmentRow.workspace_id == ws,
                ReassignmentRow.booking_id == parse_uuid(booking_id),
            )
            .order_by(col(ReassignmentRow.at))
        )
        return [
            Reassignment(booking_id, old, new, row.at, row.by, row.reason, row.forced)
            for row, old, new in rows
        ]
