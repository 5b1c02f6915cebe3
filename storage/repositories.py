"""Repositories of what happens: bookings, the ledger, the audit, links, the outbox.

Each method takes the workspace's Slack team id first and touches only that workspace's rows.
The outbox's ``claim_due`` is the one exception: the delivery job serves every workspace.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, case, func, insert, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from engine.errors import NotFound
from engine.model import BookingStatus, LedgerEntry
from engine.records import (
    Booking,
    Channel,
    OneTimeLink,
    OutboxMessage,
    OutboxStatus,
    Participant,
    Reassignment,
    Role,
)
from storage.common import (
    EntityT,
    live_page_pk,
    live_pks,
    minutes,
    workspace_pk,
)
from storage.config_cache import known_booking_bounds
from storage.tables import (
    BookingRow,
    EventTypeRow,
    LedgerRow,
    LinkRow,
    MasterPageRow,
    OutboxRow,
    PageRow,
    ParticipantRow,
    PoolRow,
    ReassignmentRow,
    WorkspaceRow,
)
from storage.transaction import state_of


def _uuid(value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _str(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


RowT = TypeVar("RowT", BookingRow, OutboxRow)


def _owned(
    session: Session, table: type[RowT], workspace_id: str, row_id: str, what: str, field: str
) -> RowT:
    """Return the row ``row_id`` of ``table`` if it belongs to the workspace.

    Raises:
        NotFound: no such workspace, or no such row in it (a malformed id included).
    """
    ws = workspace_pk(session, workspace_id)
    pk = _uuid(row_id)
    row = None if pk is None else session.get(table, pk)
    if row is None or row.workspace_id != ws:
        raise NotFound(f"unknown {what} '{row_id}'", field=field)
    return row


def _ids(
    session: Session, table: type[EntityT], ws: uuid.UUID, keys: Iterable[str | None], what: str
) -> dict[str, uuid.UUID]:
    """Map live configuration ids to primary keys; raise ``NotFound`` naming any unknown."""
    wanted = {key for key in keys if key is not None}
    if not wanted:
        return {}
    noted = live_pks(session, ws, str(table.__tablename__))
    if wanted <= noted.keys():
        return {key: noted[key] for key in wanted}
    found = {
        key: pk
        for key, pk in session.exec(
            select(table.key, table.id).where(
                table.workspace_id == ws,
                col(table.key).in_(wanted),
                col(table.archived_at).is_(None),
            )
        )
    }
    missing = sorted(wanted - found.keys())
    if missing:
        raise NotFound(f"unknown {what}: {', '.join(missing)}", field=what)
    return found


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
        pages = _ids(self._session, PageRow, ws, (p.page for p in booking.participants), "page")
        pools = _ids(self._session, PoolRow, ws, (p.pool for p in booking.participants), "pool")
        master = _ids(self._session, MasterPageRow, ws, [booking.master_page], "master_page")
        event_type = _ids(self._session, EventTypeRow, ws, [booking.event_type], "event_type")
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
                    "link_id": _uuid(booking.link_id),
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
        pk = _uuid(booking_id)
        if pk is None:
            return None
        found = self._find(workspace_id, col(BookingRow.id) == pk, lock=lock)
        return found[0] if found else None

    def get_many(self, workspace_id: str, booking_ids: Iterable[str]) -> dict[str, Booking]:
        """Return the workspace's bookings with these ids by id (unknown ids are left out)."""
        pks = [pk for pk in map(_uuid, set(booking_ids)) if pk is not None]
        if not pks:
            return {}
        return {b.id: b for b in self._find(workspace_id, col(BookingRow.id).in_(pks))}

    def workspace_of(self, booking_id: str) -> str | None:
        """Return the workspace a booking belongs to (a guest's manage URL names only it)."""
        pk = _uuid(booking_id)
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
        pages = _ids(self._session, PageRow, row.workspace_id, [from_page, to_page], "page")
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
        return _owned(self._session, BookingRow, workspace_id, booking_id, "booking", "booking")

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
        link_id=_str(row.link_id),
        created_by=row.created_by,
        cancelled_at=row.cancelled_at,
        cancelled_by=row.cancelled_by,
        location=row.location,
    )


class LedgerRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, workspace_id: str, entries: Iterable[LedgerEntry]) -> None:
        """Record distribution events of the workspace's pools."""
        entries = list(entries)
        ws = workspace_pk(self._session, workspace_id)
        pools = _ids(self._session, PoolRow, ws, (e.pool for e in entries), "pool")
        pages = _ids(self._session, PageRow, ws, (e.page for e in entries), "page")
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
                    "booking_id": _uuid(e.booking_id),
                }
                for e in entries
            ],
        )


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, workspace_id: str, record: Reassignment) -> None:
        """Record a reassignment."""
        ws = workspace_pk(self._session, workspace_id)
        pages = _ids(self._session, PageRow, ws, [record.from_page, record.to_page], "page")
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
                ReassignmentRow.booking_id == _uuid(booking_id),
            )
            .order_by(col(ReassignmentRow.at))
        )
        return [
            Reassignment(booking_id, old, new, row.at, row.by, row.reason, row.forced)
            for row, old, new in rows
        ]


class LinkRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, workspace_id: str, link: OneTimeLink) -> None:
        """Store a new one-time link."""
        ws = workspace_pk(self._session, workspace_id)
        master = _ids(self._session, MasterPageRow, ws, [link.master_page], "master_page")
        event_type = _ids(self._session, EventTypeRow, ws, [link.event_type], "event_type")
        member = _ids(self._session, PageRow, ws, [link.member], "page")
        self._session.add(
            LinkRow(
                id=uuid.UUID(link.id),
                workspace_id=ws,
                token_hash=link.token_hash,
                master_page_id=master[link.master_page],
                event_type_id=None if link.event_type is None else event_type[link.event_type],
                guest_name=link.guest_name,
                guest_email=link.guest_email,
                form_answers=None if link.form_answers is None else dict(link.form_answers),
                member_page_id=None if link.member is None else member[link.member],
                expires_at=link.expires_at,
                created_by=link.created_by,
                created_at=link.created_at,
                revoked_at=link.revoked_at,
                used_at=link.used_at,
                booking_id=_uuid(link.booking_id),
            )
        )
        self._session.flush()

    def workspace_of(self, token_hash: str) -> str | None:
        """Return the workspace a link belongs to (a guest's URL carries only the token)."""
        return self._session.exec(
            select(WorkspaceRow.team_id)
            .join(LinkRow, col(LinkRow.workspace_id) == WorkspaceRow.id)
            .where(LinkRow.token_hash == token_hash)
        ).first()

    def get(self, workspace_id: str, token_hash: str) -> OneTimeLink | None:
        """Return the link with this token hash, or ``None``."""
        ws = workspace_pk(self._session, workspace_id)
        row = self._session.exec(
            select(LinkRow, MasterPageRow.key, EventTypeRow.key, PageRow.key)
            .join(MasterPageRow, col(MasterPageRow.id) == LinkRow.master_page_id)
            .outerjoin(EventTypeRow, col(EventTypeRow.id) == LinkRow.event_type_id)
            .outerjoin(PageRow, col(PageRow.id) == LinkRow.member_page_id)
            .where(LinkRow.workspace_id == ws, LinkRow.token_hash == token_hash)
        ).first()
        if row is None:
            return None
        link, master, event_type, member = row
        return OneTimeLink(
            id=str(link.id),
            token_hash=link.token_hash,
            master_page=master,
            created_at=link.created_at,
            event_type=event_type,
            guest_name=link.guest_name,
            guest_email=link.guest_email,
            form_answers=link.form_answers,
            member=member,
            expires_at=link.expires_at,
            created_by=link.created_by,
            revoked_at=link.revoked_at,
            used_at=link.used_at,
            booking_id=_str(link.booking_id),
        )

    def mark_used(self, workspace_id: str, link_id: str, booking_id: str, *, at: datetime) -> bool:
        """Consume a link for a booking; return False when it was already used or revoked.

        A single conditional UPDATE, so of two concurrent uses exactly one succeeds.
        """
        ws = workspace_pk(self._session, workspace_id)
        result = self._session.exec(
            update(LinkRow)
            .where(
                col(LinkRow.workspace_id) == ws,
                col(LinkRow.id) == _uuid(link_id),
                col(LinkRow.used_at).is_(None),
                col(LinkRow.revoked_at).is_(None),
            )
            .values(used_at=at, booking_id=uuid.UUID(booking_id))
        )
        return result.rowcount == 1

    def revoke(self, workspace_id: str, token_hash: str, *, at: datetime) -> bool:
        """Revoke an unused link; return False when there is no such unused, live link."""
        ws = workspace_pk(self._session, workspace_id)
        result = self._session.exec(
            update(LinkRow)
            .where(
                col(LinkRow.workspace_id) == ws,
                col(LinkRow.token_hash) == token_hash,
                col(LinkRow.used_at).is_(None),
                col(LinkRow.revoked_at).is_(None),
            )
            .values(revoked_at=at)
        )
        return result.rowcount == 1


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, workspace_id: str, messages: Iterable[OutboxMessage]) -> None:
        """Queue messages; one whose ``dedupe_key`` is already queued is left out."""
        messages = list(messages)
        if not messages:
            return
        ws = workspace_pk(self._session, workspace_id)
        known = set(
            self._session.exec(
                select(OutboxRow.dedupe_key).where(
                    OutboxRow.workspace_id == ws,
                    col(OutboxRow.dedupe_key).in_([m.dedupe_key for m in messages]),
                )
            )
        )
        fresh = {m.dedupe_key: m for m in messages if m.dedupe_key not in known}
        if not fresh:
            return
        self._session.execute(
            insert(OutboxRow),
            [
                {
                    "id": uuid.UUID(m.id),
                    "workspace_id": ws,
                    "booking_id": _uuid(m.booking_id),
                    "kind": m.kind,
                    "recipient": m.recipient,
                    "due_at": m.due_at,
                    "payload": dict(m.payload),
                    "status": m.status.value,
                    "attempts": m.attempts,
                    "claimed_until": m.claimed_until,
                    "last_error": m.last_error,
                    "dedupe_key": m.dedupe_key,
                    "sent_at": m.sent_at,
                    "slack_ts": m.slack_ts,
                    "in_doubt_since": m.in_doubt_since,
                    "channel": m.channel.value,
                    "handed": m.handed,
                }
                for m in fresh.values()
            ],
        )
        state_of(self._session).queued = True

    def due_backlog(self, *, now: datetime) -> tuple[int, datetime | None]:
        """Count the messages of every workspace due by ``now`` and not yet delivered.

        Returns their number and the due time of the oldest (``None`` when there are none);
        pending and claimed messages count, sent, skipped and failed ones do not.
        """
        count, oldest = self._session.execute(
            select(func.count(), func.min(OutboxRow.due_at)).where(
                col(OutboxRow.due_at) <= now,
                col(OutboxRow.status).in_([OutboxStatus.PENDING.value, OutboxStatus.CLAIMED.value]),
            )
        ).one()
        return int(count), oldest

    def claim_due(
        self,
        *,
        now: datetime,
        lease: timedelta,
        limit: int = 50,
        channels: Collection[Channel] = (Channel.SLACK,),
    ) -> list[tuple[str, OutboxMessage]]:
        """Lease due messages of every workspace to this process; return them with their team.

        Pending messages of ``channels`` due by ``now`` and claimed ones whose lease ran out
        qualify (each process claims only what it can deliver). Rows
        other transactions hold are skipped on PostgreSQL; on SQLite run this in a write
        transaction (``UnitOfWork.begin_write``). Each claim counts an attempt and, unless
        an earlier attempt is still in doubt, sets ``in_doubt_since`` to ``now``: until it
        is marked, nobody knows whether this attempt posted.
        """
        query = (
            select(OutboxRow, WorkspaceRow.team_id)
            .join(WorkspaceRow, col(WorkspaceRow.id) == OutboxRow.workspace_id)
            .where(
                col(OutboxRow.due_at) <= now,
                col(OutboxRow.channel).in_([channel.value for channel in channels]),
                or_(
                    col(OutboxRow.status) == OutboxStatus.PENDING.value,
                    (col(OutboxRow.status) == OutboxStatus.CLAIMED.value)
                    & (col(OutboxRow.claimed_until) <= now),
                ),
            )
        )
        if Channel.CALDAV in channels:
            # A calendar write puts the booking's state as read when delivered: two writes
            # of one booking to one calendar must not overlap, or the older state could land
            # last. A write whose twin is leased to a process waits for the next round.
            twin = aliased(OutboxRow)
            query = query.where(
                or_(
                    col(OutboxRow.channel) != Channel.CALDAV.value,
                    ~select(twin.id)
                    .where(
                        twin.booking_id == OutboxRow.booking_id,
                        twin.recipient == OutboxRow.recipient,
                        twin.id != OutboxRow.id,
                        twin.status == OutboxStatus.CLAIMED.value,
                        col(twin.claimed_until) > now,
                    )
                    .exists(),
                )
            )
        rows = self._session.exec(
            query.order_by(col(OutboxRow.due_at), col(OutboxRow.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=OutboxRow)
        ).all()
        for row, _ in rows:
            row.status = OutboxStatus.CLAIMED.value
            row.claimed_until = now + lease
            row.attempts += 1
            if row.in_doubt_since is None:
                row.in_doubt_since = now
        self._session.flush()
        return [(team, _message(row)) for row, team in rows]

    def mark_sent(
        self, workspace_id: str, message_id: str, *, at: datetime, slack_ts: str | None
    ) -> None:
        """Record a delivered message (one UPDATE: the dispatcher marks every message).

        Raises:
            NotFound: no such message in the workspace.
        """
        self._update(
            workspace_id,
            message_id,
            status=OutboxStatus.SENT.value,
            sent_at=at,
            slack_ts=slack_ts,
            claimed_until=None,
            in_doubt_since=None,
        )

    def mark_failed(
        self,
        workspace_id: str,
        message_id: str,
        *,
        error: str,
        retry_at: datetime | None,
        in_doubt: bool = False,
        counted: bool = True,
    ) -> None:
        """Record a failed delivery: pending again at ``retry_at``, or failed for good.

        ``in_doubt``: the attempt may have posted anyway (a timeout, a 5xx), so the doubt
        stays for the next sender to clear. ``counted=False`` gives the attempt back (a rate
        limit is not the message's fault).
        """
        row = self._row(workspace_id, message_id)
        row.last_error = error
        row.claimed_until = None
        if not in_doubt:
            row.in_doubt_since = None
            row.handed = None  # refused, so nothing was handed over: render afresh
        if not counted:
            row.attempts = max(row.attempts - 1, 0)
        if retry_at is None:
            row.status = OutboxStatus.FAILED.value
        else:
            row.status = OutboxStatus.PENDING.value
            row.due_at = retry_at
        self._session.flush()

    def record_handed(self, workspace_id: str, message_id: str, handed: str) -> None:
        """Keep what is about to be handed to a delivery service (an email's MIME text).

        Committed before the hand-over: a retry while in doubt sends these bytes again.

        Raises:
            NotFound: no such message in the workspace.
        """
        self._update(workspace_id, message_id, handed=handed)

    def mark_skipped(self, workspace_id: str, message_id: str, *, reason: str) -> None:
        """Record a claimed message that will not be sent (its booking moved on)."""
        row = self._row(workspace_id, message_id)
        row.status = OutboxStatus.SKIPPED.value
        row.last_error = reason
        row.claimed_until = None
        row.in_doubt_since = None
        self._session.flush()

    def release(self, workspace_id: str, message_id: str) -> None:
        """Give back a claimed message this process did not try to send (pending, as due)."""
        row = self._row(workspace_id, message_id)
        row.status = OutboxStatus.PENDING.value
        row.claimed_until = None
        row.attempts = max(row.attempts - 1, 0)
        self._session.flush()

    def failed(self, workspace_id: str) -> list[OutboxMessage]:
        """Return the workspace's messages that failed for good, newest due first."""
        ws = workspace_pk(self._session, workspace_id)
        rows = self._session.exec(
            select(OutboxRow)
            .where(OutboxRow.workspace_id == ws, OutboxRow.status == OutboxStatus.FAILED.value)
            .order_by(col(OutboxRow.due_at).desc(), col(OutboxRow.id))
        )
        return [_message(row) for row in rows]

    def skip_pending(
        self,
        workspace_id: str,
        booking_id: str,
        recipient: str | None = None,
        *,
        kinds: Collection[str] | None = None,
    ) -> int:
        """Skip a booking's undelivered messages (to one recipient, of some kinds); count them.

        Calendar writes are left alone: each puts the booking's state when delivered, so a
        later change never makes one obsolete.
        """
        ws = workspace_pk(self._session, workspace_id)
        conditions = [
            col(OutboxRow.workspace_id) == ws,
            col(OutboxRow.booking_id) == _uuid(booking_id),
            col(OutboxRow.status) == OutboxStatus.PENDING.value,
            col(OutboxRow.channel) != Channel.CALDAV.value,
        ]
        if recipient is not None:
            conditions.append(col(OutboxRow.recipient) == recipient)
        if kinds is not None:
            conditions.append(col(OutboxRow.kind).in_(list(kinds)))
        result = self._session.exec(
            update(OutboxRow).where(*conditions).values(status=OutboxStatus.SKIPPED.value)
        )
        return result.rowcount

    def for_booking(self, workspace_id: str, booking_id: str) -> list[OutboxMessage]:
        """Return a booking's messages by due time."""
        ws = workspace_pk(self._session, workspace_id)
        rows = self._session.exec(
            select(OutboxRow)
            .where(OutboxRow.workspace_id == ws, OutboxRow.booking_id == _uuid(booking_id))
            .order_by(col(OutboxRow.due_at), col(OutboxRow.dedupe_key))
        )
        return [_message(row) for row in rows]

    def _update(self, workspace_id: str, message_id: str, **values: Any) -> None:
        in_workspace = (
            select(WorkspaceRow.id).where(WorkspaceRow.team_id == workspace_id).scalar_subquery()
        )
        result = self._session.exec(
            update(OutboxRow)
            .where(
                col(OutboxRow.id) == _uuid(message_id), col(OutboxRow.workspace_id) == in_workspace
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise NotFound(f"unknown outbox message '{message_id}'", field="message")

    def _row(self, workspace_id: str, message_id: str) -> OutboxRow:
        return _owned(
            self._session, OutboxRow, workspace_id, message_id, "outbox message", "message"
        )


def _message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        id=str(row.id),
        kind=row.kind,
        recipient=row.recipient,
        due_at=row.due_at,
        dedupe_key=row.dedupe_key,
        payload=row.payload,
        booking_id=_str(row.booking_id),
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        claimed_until=row.claimed_until,
        last_error=row.last_error,
        sent_at=row.sent_at,
        slack_ts=row.slack_ts,
        in_doubt_since=row.in_doubt_since,
        channel=Channel(row.channel),
        handed=row.handed,
    )
