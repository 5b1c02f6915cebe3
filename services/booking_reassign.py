"""Reassigning a booking's seat to another page, and the pages it could move to.

Choices made here:

* Reassigning moves a pool seat only to an active member of that pool, and a fixed seat only
  to a page of the same kind (a room to a room, a person to a person). ``force`` overrides a
  busy target (hours, buffers, busy blocks, limits) but never another booking at the same
  time: nothing double-books a page. The audit's ``forced`` is set only when the target was
  busy.
* A cancelled booking is not reassigned (``booking_cancelled``); a past one may be.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from engine.availability import page_is_free
from engine.distribution import preference_order
from engine.errors import (
    BadInput,
    NotInPool,
    Overlap,
    TargetBusy,
)
from engine.model import (
    LedgerEntry,
    LedgerKind,
    Page,
    Schedule,
)
from engine.records import Booking, Participant, Reassignment
from services import notifications, roles
from services.booking import MorePages, locked, pages_of
from services.booking_changes import require_confirmed
from services.booking_reads import stored
from services.calendar_writes import queue_calendar_writes
from services.context import Actor
from services.links import check_typed
from storage.uow import UnitOfWork

# A reassignment's schedule: the booking's day with room for buffers and weekly limits.
_AROUND = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A page a booking's seat could move to, and whether it is free at the booking's time."""

    page: str
    name: str
    free: bool


def reassign(
    engine: Engine,
    workspace_id: str,
    booking_id: str,
    *,
    to_page: str,
    seat_page: str | None = None,
    reason: str | None = None,
    force: bool = False,
    tell_customer: bool = True,
    actor: Actor,
    now: datetime,
) -> Booking:
    """Move one seat of a booking (the owner's by default) to ``to_page``.

    The time stays; the old page counts a removal and the new one a receipt when the seat
    came from a pool; the move is audited and the hosts are told (the customer only when
    ``tell_customer`` and a reason is given).

    Raises:
        NotFound: no such booking, seat page or target page.
        BadInput: ``seat_page`` holds no seat of the booking, or the target cannot take it
            (it already has a seat in the booking, is of another kind than a fixed seat, or
            is a room seating fewer than the booking's attendees).
        Forbidden: the actor is neither an admin nor a manager of one of the booking's pools.
        BookingCancelled: the booking was cancelled.
        NotInPool: the seat came from a pool and the target is not an active member of it.
        TargetBusy: the target is not free then (unless ``force``), or already has a booking
            at that time (even with ``force``).
    """
    why = check_typed(reason or "", "reason").strip() or None
    with UnitOfWork(engine) as uow:
        pages = {p.page for p in stored(uow, workspace_id, booking_id).participants} | {to_page}

    def write(uow: UnitOfWork, held: frozenset[str]) -> Booking:
        before = stored(uow, workspace_id, booking_id, lock=True)
        wanted = {p.page for p in before.participants} | {to_page}
        if not wanted <= held:
            raise MorePages(wanted)  # reassigned meanwhile: lock the pages it holds now
        schedule = _schedule_around(uow, workspace_id, before, now)
        roles.require_reassigner(schedule.workspace, before, schedule.pools.values(), actor)
        require_confirmed(before)
        seat = _seat(before, seat_page)
        free = _check_target(schedule, before, seat, to_page, force=force)
        uow.bookings.move_seat(workspace_id, before.id, seat.page, to_page)
        if seat.pool is not None:
            uow.ledger.add(
                workspace_id,
                [
                    LedgerEntry(seat.pool, seat.page, LedgerKind.REMOVED, now, before.id),
                    LedgerEntry(seat.pool, to_page, LedgerKind.RECEIVED, now, before.id),
                ],
            )
        record = Reassignment(
            booking_id=before.id,
            from_page=seat.page,
            to_page=to_page,
            at=now,
            by=actor.slack_user,
            reason=why,
            forced=not free,
        )
        uow.audit.add(workspace_id, record)
        after = stored(uow, workspace_id, before.id)
        notifications.queue_reassigned(
            uow, workspace_id, before, after, record, tell_customer, now, known=schedule.config
        )
        moved = pages_of(before) | pages_of(after)
        queue_calendar_writes(uow, workspace_id, before.id, moved, now)
        uow.commit()
        return after

    try:
        return locked(engine, workspace_id, pages, write)
    except Overlap as error:
        raise TargetBusy(f"'{to_page}' was just booked at that time") from error


def reassign_candidates(
    engine: Engine,
    workspace_id: str,
    booking_id: str,
    *,
    seat_page: str | None = None,
    actor: Actor,
    now: datetime,
) -> list[Candidate]:
    """Return the pages a seat could move to: free ones first, each group best first.

    A pool seat lists the pool's active members in the pool's order of preference; a fixed
    seat lists every page of its kind by name. Pages already in the booking, and rooms
    seating fewer than its attendees, are left out.

    Raises:
        NotFound: no such booking.
        BadInput: ``seat_page`` holds no seat of the booking.
        Forbidden: the actor may not reassign the booking.
    """
    with UnitOfWork(engine) as uow:
        booking = stored(uow, workspace_id, booking_id)
        schedule = _schedule_around(uow, workspace_id, booking, now)
    roles.require_reassigner(schedule.workspace, booking, schedule.pools.values(), actor)
    seat = _seat(booking, seat_page)
    taken = {p.page for p in booking.participants}
    pool = schedule.pools.get(seat.pool) if seat.pool is not None else None
    if pool is not None:
        ledger = schedule.ledger.get(pool.id, ())
        order = preference_order(pool, ledger, schedule.workspace.timezone, now)
    else:
        kind = schedule.page(seat.page).kind
        same = [page for page in schedule.pages.values() if page.kind is kind]
        order = [page.id for page in sorted(same, key=lambda page: (page.name, page.id))]
    candidates = [
        Candidate(
            page,
            schedule.pages[page].name,
            page_is_free(
                schedule, page, booking.event_type, booking.start, ignore_booking=booking.id
            ),
        )
        for page in order
        if page not in taken
        and page in schedule.pages
        and _seats_enough(schedule.pages[page], booking)
    ]
    return sorted(candidates, key=lambda candidate: not candidate.free)


def _seat(booking: Booking, seat_page: str | None) -> Participant:
    """Return the seat held by ``seat_page`` (default the owner's).

    Raises:
        BadInput: ``seat_page`` has no seat in the booking.
    """
    page = seat_page or booking.owner
    for participant in booking.participants:
        if participant.page == page:
            return participant
    raise BadInput(f"'{page}' has no seat in booking {booking.id}", field="seat")


def _schedule_around(
    uow: UnitOfWork, workspace_id: str, booking: Booking, now: datetime
) -> Schedule:
    # Every page may be a target, but only around the booking: no horizon is asked about.
    return uow.schedules.load(
        workspace_id, booking.start - _AROUND, booking.end + _AROUND, now=now, ahead=()
    )


def _seats_enough(page: Page, booking: Booking) -> bool:
    """Tell whether ``page`` can hold the booking's attendees (people always can)."""
    return page.capacity is None or page.capacity >= booking.attendees


def _check_target(
    schedule: Schedule, booking: Booking, seat: Participant, to_page: str, *, force: bool
) -> bool:
    """Check that ``to_page`` may take ``seat``; return whether it is free then.

    Raises:
        NotFound: no such page.
        BadInput: the target already has a seat, or a fixed seat's kind differs.
        NotInPool: a pool seat's target is not an active member of the pool.
        TargetBusy: the target is busy (unless ``force``; then the error's field is ``force``,
            so each surface names its own way to force) or booked at that time.
    """
    target = schedule.page(to_page)
    if any(p.page == to_page for p in booking.participants):
        raise BadInput(f"'{to_page}' already has a seat in this booking", field="to")
    if seat.pool is not None:
        pool = schedule.pools.get(seat.pool)
        if pool is None or not any(m.page == to_page and m.active for m in pool.members):
            raise NotInPool(f"'{to_page}' is not an active member of pool '{seat.pool}'")
    elif target.kind is not schedule.page(seat.page).kind:
        raise BadInput(
            f"'{seat.page}' is a {schedule.pages[seat.page].kind.value} seat; "
            f"'{to_page}' is a {target.kind.value}",
            field="to",
        )
    if not _seats_enough(target, booking):
        raise BadInput(
            f"'{to_page}' seats {target.capacity}; this booking is for {booking.attendees}",
            field="to",
        )
    if _overlaps(schedule, to_page, booking):
        raise TargetBusy(f"'{to_page}' already has a booking at that time")
    free = page_is_free(
        schedule, to_page, booking.event_type, booking.start, ignore_booking=booking.id
    )
    if not free and not force:
        raise TargetBusy(f"'{to_page}' is not free at that time", field="force")
    return free


def _overlaps(schedule: Schedule, page: str, booking: Booking) -> bool:
    """Tell whether another confirmed booking holds ``page`` during ``booking``."""
    return any(
        other.booking_id != booking.id and other.start < booking.end and booking.start < other.end
        for other in schedule.occupancy.get(page, ())
    )
