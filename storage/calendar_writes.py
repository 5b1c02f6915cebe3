"""Which calendars a booking is written to, and the queue of those writes.

A write is an outbox row of channel ``caldav``: ``recipient`` is the connection's id and
``booking_id`` the booking. It carries no content: the writer puts the booking's state at
delivery time (or removes the event), so any number of changes need one pending row per
booking and calendar, which ``pending`` finds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlmodel import Session, col, select

from engine.records import Channel, OutboxStatus
from storage.common import workspace_pk
from storage.tables import CalendarConnectionRow, CalendarPageRow, OutboxRow, PageRow

_CALDAV = "caldav"  # the connection kind services.calendars calls CALDAV


class CalendarWriteRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def writers(self, workspace_id: str, pages: Iterable[str]) -> list[str]:
        """Return the ids of the writable CalDAV connections serving any of ``pages``."""
        keys = sorted(set(pages))
        if not keys:
            return []
        ws = workspace_pk(self._session, workspace_id)
        found = self._session.exec(
            select(CalendarConnectionRow.id)
            .join(CalendarPageRow, col(CalendarPageRow.connection_id) == CalendarConnectionRow.id)
            .join(PageRow, col(PageRow.id) == CalendarPageRow.page_id)
            .where(
                CalendarConnectionRow.workspace_id == ws,
                col(CalendarConnectionRow.write).is_(True),
                CalendarConnectionRow.kind == _CALDAV,
                col(PageRow.key).in_(keys),
            )
            .distinct()
            .order_by(col(CalendarConnectionRow.id))
        ).all()
        return [str(pk) for pk in found]

    def pending(self, workspace_id: str, booking_id: str) -> set[str]:
        """Return the connections that already have an undelivered write of this booking."""
        ws = workspace_pk(self._session, workspace_id)
        return set(
            self._session.exec(
                select(OutboxRow.recipient).where(
                    OutboxRow.workspace_id == ws,
                    OutboxRow.booking_id == uuid.UUID(booking_id),
                    OutboxRow.channel == Channel.CALDAV.value,
                    OutboxRow.status == OutboxStatus.PENDING.value,
                )
            )
        )
