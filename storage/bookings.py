"""Bookings and their participants: booked, moved, cancelled and found.

Each method takes the workspace's Slack team id first and touches only that workspace's rows.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, insert, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from engine.errors import NotFound
from engine.model import BookingStatus
from engine.records import (
    Booking,
    Participant,
    Role,
)
from storage.common import (
    live_ids,
    live_page_pk,
    minutes,
    owned_row,
    parse_uuid,
    uuid_text,
    workspace_pk,
)
from storage.config_cache import known_booking_bounds
from storage.tables import (
    BookingRow,
    EventTypeRow,
    MasterPageRow,
    PageRow,
    ParticipantRow,
    PoolRow,
    WorkspaceRow,
)


class BookingRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _cover(self, ws: uuid.UUID, buffers: timedelta, length: timedelta) -> None:
        """Keep the workspace's booking bounds at least the booking's longest buffer and length.

        Schedule loads widen and bound their booking range by them (``storage.schedule``).
        Skipped when this transaction already read bounds at least as long (they never
        shrink); else a conditional UPDATE that changes the row only when the booking
        exceeds them, so concurrent bookings rarely meet on the workspace row.
        """
        buffer = minutes(buffers)
        span = -(-length // timedelta(minutes=1))  # rounded up
        known = known_booking_bounds(self._session, ws)
        if known is not None and (
            timedelta(minutes=buffer) <= known.buffer and timedelta(minutes=span) <= known.length
        ):
            return
        buffer_col, length_col = (
            col(WorkspaceRow.max_booking_buffer_min),
            col(WorkspaceRow.max_booking_minutes),
        )
        self._session.execute(
            update(WorkspaceRow)
            .where(col(WorkspaceRow.id) == ws, or_(buffer_col < buffer, length_col < span))
            .values(
                max_booking_buffer_min=case((buffer_col < buffer, buffer), else_=buffer_col),
                max_booking_minutes=case((length_col < span, span), else_=length_col),
            )
            .execution_options(synchronize_session=False)
        )

    def add(self, workspace_id: str, booking: Booking) -> None:
        """Insert a booking and its participants (their time copied for the overlap check).

        Raises:
            NotFound: a named master page, event type, page or pool does not exist.
        """
        ws = workspace_pk(self._session, workspace_id)
        self._cover(
            ws, max(booking.buffer_before, booking.buffer_after), booking.end - booking.start
        )
        pages = live_ids(self._session, PageRow, ws, (p.page for p in booking.participants), "page")
        pools = live_ids(self._session, PoolRow, ws, (p.pool for p in booking.participants), "pool")
        master = live_ids(self._session, MasterPageRow, ws, [booking.master_page], "master_page")
        event_type = live_ids(self._session, EventTypeRow, ws, [booking.event_type], "event_type")
        pk = uuid.UUID(booking.id)
        before, after = minutes(booking.buffer_before), minutes(booking.buffer_after)
        # Bulk inserts of plain values: no row objects to build and track, and the booking
        # goes first for the participants' foreign key.
        self._session.execute(
            insert(BookingRow),
            [
                {
                    "id": pk,
                    "workspace_id": ws,
                    "master_page_id": master[booking.master_page],
                    "event_type_id": event_type[booking.event_type],
                    "owner_page_id": pages[booking.owner],
                    "start_at": booking.start,
                    "end_at": booking.end,
                    "status": booking.status.value,
                    "buffer_before_min": before,
                    "buffer_after_min": after,
                    "customer_slack_user": booking.customer_slack_user,
                    "customer_name": booking.customer_name,
                    "customer_email": booking.customer_email,
                    "customer_timezone": booking.customer_timezone,
                    "attendees": booking.attendees,
                    "form_answers": dict(booking.form_answers),
                    "idempotency_key": booking.idempotency_key,
                    "link_id": parse_uuid(booking.link_id),
                    "created_at": booking.created_at,
                    "created_by": booking.created_by,
                    "cancelled_at": booking.cancelled_at,
                    "cancelled_by": booking.cancelled_by,
                    "location": booking.location,
                }
            ],
        )
        self._session.execute(
            insert(ParticipantRow),
            [
                {
                    "id": uuid.uuid4(),
                    "workspace_id": ws,
                    "booking_id": pk,
                    "page_id": pages[p.page],
                    "seat": p.seat,
                    "pool_id": None if p.pool is None else pools[p.pool],
                    "role": p.role.value,
                    "start_at": booking.start,
                    "end_at": booking.end,
                    "confirmed": booking.status is BookingStatus.CONFIRMED,
                    "buffer_before_min": before,
                    "buffer_after_min": after,
                }
                for p in booking.participants
            ],
        )

    def get(self, workspace_id: str, booking_id: str, *, lock: bool = False) -> Booking | None:
        """Return a booking of the workspace by id, or ``None``.

        With ``lock`` its row is locked until the transaction ends (``FOR UPDATE`` on
        PostgreSQL; SQLite has one write lock, see ``UnitOfWork.begin_write``), so two
        concurrent cancellations or reassignments of one booking take turns.
        """
        pk = parse_uuid(booking_id)
        if pk is None:
            return None
        found = self._find(workspace_id, col(BookingRow.id) == pk, lock=lock)
        return found[0] if found else None

    def get_many(self, workspace_id: str, booking_ids: Iterable[str]) -> dict[str, Booking]:
        """Return the workspace's bookings with these ids by id (unknown ids are left out)."""
        pks = [pk for pk in map(parse_uuid, set(booking_ids)) if pk is not None]
        if not pks:
            return {}
        return {b.id: b for b in self._find(workspace_id, col(BookingRow.id).in_(pks))}

    def workspace_of(self, booking_id: str) -> str | None:
        """Return the workspace a booking belongs to (a guest's manage URL names only it)."""
        pk = parse_uuid(booking_id)
        if pk is None:
            return None
        return self._session.exec(
            select(WorkspaceRow.team_id)
            .join(BookingRow, col(BookingRow.workspace_id) == WorkspaceRow.id)
            .where(BookingRow.id == pk)
        ).first()

    def by_idempotency_key(self, workspace_id: str, key: str) -> Booking | None:
        """Return the booking made with an idempotency key, or ``None``."""
        found = self._find(workspace_id, col(BookingRow.idempotency_key) == key)
        return found[0] if found else None

    def confirmed_of_page(
        self, workspace_id: str, page: str, *, ending_after: datetime
    ) -> list[Booking]:
        """Return the confirmed bookings a page takes part in that end after a time, soonest first.

        Raises:
            NotFound: the page is not a live page of the workspace.
        """
        page_pk = live_page_pk(self._session, workspace_pk(self._session, workspace_id), page)
        occupying = select(ParticipantRow.booking_id).where(
            ParticipantRow.page_id == page_pk, col(ParticipantRow.end_at) > ending_after
        )
        return self._find(
            workspace_id,
            col(BookingRow.id).in_(occupying),
            col(BookingRow.status) == BookingStatus.CONFIRMED.value,
        )

    def matching(
        self,
        workspace_id: str,
        *,
        page: str | None = None,
        customer: str | None = None,
        ends_after: datetime | None = None,
        starts_before: datetime | None = None,
        status: BookingStatus | None = None,
        visible_to: tuple[str, Collection[str]] | None = None,
    ) -> list[Booking]:
        """Return the workspace's bookings that match every given condition, soonest first.

        ``visible_to`` is a Slack user and some pool ids: only bookings the user is in (as
        customer or as a page's Slack user) or that hold a seat from one of the pools.
        """
        ws = workspace_pk(self._session, workspace_id)
        conditions: list[ColumnElement[bool]] = []
        if page is not None:
            conditions.append(
                col(BookingRow.id).in_(
                    select(ParticipantRow.booking_id)
                    .join(PageRow, col(PageRow.id) == ParticipantRow.page_id)
                    .where(col(PageRow.workspace_id) == ws, col(PageRow.key) == page)
                )
            )
        if customer is not None:
            conditions.append(col(BookingRow.customer_slack_user) == customer)
        if ends_after is not None:
            conditions.append(col(BookingRow.end_at) > ends_after)
        if starts_before is not None:
            conditions.append(col(BookingRow.start_at) < starts_before)
        if status is not None:
            conditions.append(col(BookingRow.status) == status.value)
        if visible_to is not None:
            user, pools = visible_to
            as_page = (
                select(ParticipantRow.booking_id)
                .join(PageRow, col(PageRow.id) == ParticipantRow.page_id)
                .where(col(PageRow.workspace_id) == ws, col(PageRow.slack_user) == user)
            )
            from_pools = (
                select(ParticipantRow.booking_id)
                .join(PoolRow, col(PoolRow.id) == ParticipantRow.pool_id)
                .where(col(PoolRow.workspace_id) == ws, col(PoolRow.key).in_(list(pools)))
            )
            conditions.append(
                or_(
                    col(BookingRow.customer_slack_user) == user,
                    col(BookingRow.id).in_(as_page),
                    col(BookingRow.id).in_(from_pools),
                )
            )
        return self._find(workspace_id, *conditions)

    def reschedule(
        self,
        workspace_id: str,
        booking_id: str,
        *,
        start: datetime,
        end: datetime,
        seats: Mapping[str, str],
    ) -> None:
        """Move a booking to ``[start, end)``, giving the seats of ``seats``' keys to its values.

        Raises:
            NotFound: no such booking or page, or a key of ``seats`` is not in the booking.
        """
        row = self._row(workspace_id, booking_id)
        buffers = timedelta(minutes=max(row.buffer_before_min, row.buffer_after_min))
        self._cover(row.workspace_id, buffers, end - start)
        row.start_at = start
        row.end_at = end
        self._session.exec(
            update(ParticipantRow)
            .where(col(ParticipantRow.booking_id) == row.id)
            .values(start_at=start, end_at=end)
        )
        self._session.flush()
        for old, new in seats.items():
            self.move_seat(workspace_id, booking_id, old, new)

    def mark_no_show(self, workspace_id: str, booking_id: str) -> None:
        """Mark a booking a no-show; it keeps its time blocked.

        Raises:
            NotFound: no such booking in the workspace.
        """
        row = self._row(workspace_id, booking_id)
        row.status = BookingStatus.NO_SHOW.value
        self._session.flush()

    def cancel(self, workspace_id: str, booking_id: str, *, at: datetime, by: str | None) -> None:
        """Mark a booking cancelled; its pages stop being occupied.

        Raises:
            NotFound: no such booking in the workspace.
        """
        row = self._row(workspace_id, booking_id)
        row.status = BookingStatus.CANCELLED.value
        row.cancelled_at = at
        row.cancelled_by = by
        self._session.exec(
            update(ParticipantRow)
            .where(col(ParticipantRow.booking_id) == row.id)
            .values(confirmed=False)
        )
        self._session.flush()

    def move_seat(self, workspace_id: str, booking_id: str, from_page: str, to_page: str) -> None:
        """Give the seat ``from_page`` holds in a booking to ``to_page`` (the owner's too).

        Raises:
            NotFound: no such booking, page, or ``from_page`` is not in the booking.
        """
        row = self._row(workspace_id, booking_id)
        pages = live_ids(self._session, PageRow, row.workspace_id, [from_page, to_page], "page")
        seat = self._session.exec(
            select(ParticipantRow).where(
                ParticipantRow.booking_id == row.id, ParticipantRow.page_id == pages[from_page]
            )
        ).first()
        if seat is None:
            raise NotFound(f"'{from_page}' has no seat in booking {booking_id}", field="seat")
        seat.page_id = pages[to_page]
        if row.owner_page_id == pages[from_page]:
            row.owner_page_id = pages[to_page]
        self._session.flush()

    def _row(self, workspace_id: str, booking_id: str) -> BookingRow:
        return owned_row(self._session, BookingRow, workspace_id, booking_id, "booking", "booking")

    def _find(
        self, workspace_id: str, *conditions: ColumnElement[bool], lock: bool = False
    ) -> list[Booking]:
        ws = workspace_pk(self._session, workspace_id)
        query = (
            select(BookingRow, MasterPageRow.key, EventTypeRow.key)
            .join(MasterPageRow, col(MasterPageRow.id) == BookingRow.master_page_id)
            .join(EventTypeRow, col(EventTypeRow.id) == BookingRow.event_type_id)
            .where(BookingRow.workspace_id == ws, *conditions)
            .order_by(col(BookingRow.start_at), col(BookingRow.id))
        )
        if lock:
            query = query.with_for_update(of=BookingRow)
        # populate_existing: a locked read must show the row as committed now, not as this
        # session saw it before the lock.
        rows = self._session.exec(
            query.execution_options(populate_existing=True) if lock else query
        ).all()
        if not rows:
            return []
        participants = _participants(self._session, [row.id for row, _, _ in rows])
        return [
            _booking(row, master, event_type, participants[row.id])
            for row, master, event_type in rows
        ]


def _participants(
    session: Session, booking_ids: Sequence[uuid.UUID]
) -> defaultdict[uuid.UUID, list[Participant]]:
    pool = aliased(PoolRow)
    rows = session.exec(
        select(ParticipantRow, PageRow.key, pool.key)
        .join(PageRow, col(PageRow.id) == ParticipantRow.page_id)
        .outerjoin(pool, col(pool.id) == ParticipantRow.pool_id)
        .where(col(ParticipantRow.booking_id).in_(booking_ids))
        .order_by(col(ParticipantRow.seat))
    )
    grouped: defaultdict[uuid.UUID, list[Participant]] = defaultdict(list)
    for row, page, pool_key in rows:
        grouped[row.booking_id].append(Participant(page, row.seat, Role(row.role), pool_key))
    return grouped


def _booking(
    row: BookingRow, master_page: str, event_type: str, participants: Sequence[Participant]
) -> Booking:
    return Booking(
        id=str(row.id),
        master_page=master_page,
        event_type=event_type,
        start=row.start_at,
        end=row.end_at,
        participants=tuple(participants),
        created_at=row.created_at,
        status=BookingStatus(row.status),
        buffer_before=timedelta(minutes=row.buffer_before_min),
        buffer_after=timedelta(minutes=row.buffer_after_min),
        customer_slack_user=row.customer_slack_user,
        customer_name=row.customer_name,
        customer_email=row.customer_email,
        customer_timezone=row.customer_timezone,
        attendees=row.attendees,
        form_answers=row.form_answers,
        idempotency_key=row.idempotency_key,
        link_id=uuid_text(row.link_id),
        created_by=row.created_by,
        cancelled_at=row.cancelled_at,
        cancelled_by=row.cancelled_by,
        location=row.location,
    )
