"""Changing a booking: cancel, reschedule (and what the time picker shows for it), no-show.

Each use case opens its own unit of work and commits once; a reschedule takes the page
locks of ``services.booking.locked`` first. A guest changes their own booking through its
manage link (``services.context.Guest``); reassigning a seat is ``services.booking_reassign``.

Choices made here:

* Cancelling or changing a cancelled booking is refused (``booking_cancelled``); past
  bookings may be cancelled like any other (the ledger counts it when done).
* Rescheduling keeps the booking's id, customer, answers and buffers; the new start must be
  offered as for a new booking with the booking itself left out (``engine.rules.refill``
  says who keeps a seat). It is refused once the meeting has started (``booking_started``);
  a move to the start it already has changes nothing, so a repeated request is harmless.
* A no-show is marked only once the meeting has started (``booking_not_started`` before);
  it keeps the time blocked, and each pool seat gets a ``no_show`` ledger entry (for the
  report) plus, with automatic correction, a ``removed`` one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import Engine

from engine.errors import (
    Aborted,
    BookingCancelled,
    BookingNoShow,
    BookingStarted,
    NotStarted,
    Overlap,
    SlotUnavailable,
)
from engine.model import (
    BookingStatus,
    LedgerEntry,
    LedgerKind,
    PickStep,
)
from engine.records import Booking, Participant
from engine.rules import SeatAssignment, booking_view, refill
from engine.search import Slot
from services import notifications, roles
from services.booking import MorePages, checked_start, locked, pages_of, pool_ledger
from services.booking_reads import stored
from services.calendar_writes import queue_calendar_writes
from services.context import Actor, Guest
from services.errors import Forbidden
from services.slots import (
    BookableEventType,
    BookableMasterPage,
    Choice,
    Request,
    offered_slots,
    read_request,
    with_bookings,
)
from storage.uow import UnitOfWork


def cancel(
    engine: Engine, workspace_id: str, booking_id: str, *, actor: Actor, now: datetime
) -> Booking:
    """Cancel a booking: free its time, count it removed, notify everyone.

    A guest (through the manage link) may cancel only until the meeting starts.

    Raises:
        NotFound: no such booking in the workspace.
        Forbidden: the actor is not the customer, the owner, its guest or an admin.
        BookingCancelled: the booking was already cancelled.
        BookingNoShow: the booking was marked a no-show.
        BookingStarted: a guest's meeting has started.
    """
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        booking = stored(uow, workspace_id, booking_id, lock=True)
        config = uow.config.load(workspace_id)
        roles.require_canceller(config.workspace, booking, config.pages, actor)
        require_confirmed(booking)
        if isinstance(actor, Guest) and booking.start <= now:
            raise BookingStarted("the meeting has started; it can no longer be cancelled")
        uow.bookings.cancel(workspace_id, booking.id, at=now, by=actor.slack_user)
        uow.ledger.add(workspace_id, pool_ledger(booking, LedgerKind.REMOVED, now))
        cancelled = stored(uow, workspace_id, booking.id)
        notifications.queue_cancelled(uow, workspace_id, cancelled, now, known=config)
        queue_calendar_writes(uow, workspace_id, booking.id, pages_of(booking), now)
        uow.commit()
    return cancelled


def reschedule(
    engine: Engine,
    workspace_id: str,
    booking_id: str,
    *,
    start: datetime,
    tz: str | None = None,
    actor: Actor,
    now: datetime,
) -> Booking:
    """Move a booking to another offered start, keeping its id.

    Pages free at the new start keep their seats; a pool seat (or a static master page's
    choice) whose page is not free is filled again by its method, the old page counting a
    removal and the new one a receipt; a fixed or picked page that is not free refuses the
    move. Pending reminders are replaced by the new start's and everyone is told, in the
    same transaction. ``tz`` is the requester's zone (default the customer's).

    Raises:
        NotFound: no such booking.
        BadInput: the start has no time zone, or ``tz`` is unknown.
        Forbidden: the actor is not the customer, the owner, the guest of its manage link or
            an admin.
        BookingCancelled: the booking was cancelled.
        BookingNoShow: the booking was marked a no-show.
        BookingStarted: the meeting has started.
        SlotUnavailable: the start is not offered, a fixed page is not free then, or it was
            just taken.
    """
    start = checked_start(start)
    with UnitOfWork(engine) as uow:
        current = stored(uow, workspace_id, booking_id)
        pages = {p.page for p in current.participants} | set(
            _moving_request(uow, workspace_id, current, tz, now).involved.pages
        )

    def write(uow: UnitOfWork, held: frozenset[str]) -> Booking:
        before = stored(uow, workspace_id, booking_id, lock=True)
        opened = _moving_request(uow, workspace_id, before, tz, now)
        config = opened.schedule.config
        roles.require_canceller(config.workspace, before, config.pages, actor, "reschedule")
        require_confirmed(before)
        if before.start <= now:
            raise BookingStarted("the meeting has started; it can no longer be rescheduled")
        if start == before.start:
            return before  # already there: a repeated request changes nothing
        if start < now:
            raise SlotUnavailable(f"{start.isoformat()} is in the past")
        wanted = set(opened.involved.pages) | {p.page for p in before.participants}
        if not wanted <= held:
            raise MorePages(wanted)
        opened = replace(opened, involved=replace(opened.involved, pages=frozenset(wanted)))
        view_start, view_end = booking_view(start, opened.tz)
        opened = with_bookings(uow, opened, view_start, view_end, now=now, ignore=before.id)
        assignment = refill(
            opened.schedule,
            before.master_page,
            before.event_type,
            start,
            opened.tz,
            now,
            [SeatAssignment(p.page, p.pool) for p in before.participants],
            attendees=before.attendees,
        )
        moved = [
            (old, new)
            for old, new in zip(before.participants, assignment.seats, strict=True)
            if old.page != new.page
        ]
        uow.bookings.reschedule(
            workspace_id,
            before.id,
            start=start,
            end=start + opened.event_type.duration,
            seats={old.page: new.page for old, new in moved},
        )
        uow.ledger.add(workspace_id, _moved_ledger(before.id, moved, now))
        after = stored(uow, workspace_id, before.id)
        notifications.queue_rescheduled(uow, workspace_id, before, after, now, known=config)
        moved_pages = pages_of(before) | pages_of(after)
        queue_calendar_writes(uow, workspace_id, before.id, moved_pages, now)
        uow.commit()
        return after

    try:
        return locked(engine, workspace_id, pages, write)
    except (Overlap, Aborted) as error:
        raise SlotUnavailable(f"{start.isoformat()} was just taken") from error


@dataclass(frozen=True, slots=True)
class Move:
    """A booking its reader may reschedule, with what the time picker shows for it.

    ``master_page`` offers only the booking's event type; ``pick`` is the page the customer
    picked (the selection modes), which stays picked (its ``pages`` list only it).
    """

    booking: Booking
    master_page: BookableMasterPage
    pick: str | None


def rescheduling(
    engine: Engine, workspace_id: str, booking_id: str, *, actor: Actor, now: datetime
) -> Move:
    """Return a booking that ``actor`` may reschedule now; refuse otherwise.

    Raises:
        NotFound: no such booking, or its master page or event type is gone.
        Forbidden: the actor is not the customer, the owner, its guest or an admin.
        BookingCancelled, BookingNoShow: the booking is no longer confirmed.
        BookingStarted: the meeting has started.
    """
    with UnitOfWork(engine) as uow:
        booking = stored(uow, workspace_id, booking_id)
        config = uow.config.load(workspace_id)
    roles.require_canceller(config.workspace, booking, config.pages, actor, "reschedule")
    require_confirmed(booking)
    if booking.start <= now:
        raise BookingStarted("the meeting has started; it can no longer be rescheduled")
    master = config.master_page(booking.master_page)
    kind = config.event_type(booking.event_type)
    picked = master.pick_step is PickStep.BEFORE_TIME
    owner = config.pages.get(booking.owner)
    pages = (Choice(owner.id, owner.name),) if picked and owner is not None else ()
    offered = BookableEventType(kind.id, kind.name, kind.duration, kind.form, pages)
    return Move(
        booking,
        BookableMasterPage(master.id, master.name, master.mode, (offered,), master.pick_step),
        booking.owner if picked else None,
    )


def reschedule_slots(
    engine: Engine,
    workspace_id: str,
    booking_id: str,
    from_date: date,
    to_date: date,
    *,
    tz: str | None,
    actor: Actor,
    now: datetime,
) -> list[Slot]:
    """Return the starts a booking may move to on the local dates ``from_date`` … ``to_date``.

    They are the slots its master page and event type offer with the booking itself left
    out (a picked page stays picked), in ``tz`` (default the customer's zone).

    Raises:
        As ``rescheduling``.
    """
    move = rescheduling(engine, workspace_id, booking_id, actor=actor, now=now)
    booking = move.booking
    return offered_slots(
        engine,
        workspace_id,
        booking.master_page,
        booking.event_type,
        from_date,
        to_date,
        tz=tz or booking.customer_timezone,
        now=now,
        pick=move.pick,
        attendees=booking.attendees,
        moving=booking.id,
        actor=actor,
    )


def mark_no_show(
    engine: Engine, workspace_id: str, booking_id: str, *, actor: Actor, now: datetime
) -> Booking:
    """Mark a booking whose meeting has started a no-show.

    The time stays blocked. Each seat drawn from a pool gets a ``no_show`` ledger entry
    (the report counts them) and, when the pool has automatic correction, a ``removed``
    one, so the member's score is corrected as for a cancellation.

    Raises:
        NotFound: no such booking.
        Forbidden: the actor is not the owner, a manager of one of its pools or an admin.
        BookingCancelled, BookingNoShow: the booking is no longer confirmed.
        NotStarted: the meeting has not started yet.
    """
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        booking = stored(uow, workspace_id, booking_id, lock=True)
        config = uow.config.load(workspace_id)
        if not roles.may_mark_no_show(
            config.workspace, booking, config.pages, config.pools.values(), actor
        ):
            raise Forbidden(
                "only the owner, a manager of the booking's pool or an admin may mark a no-show"
            )
        require_confirmed(booking)
        if booking.start > now:
            raise NotStarted("the meeting has not started yet; a no-show is marked once it has")
        uow.bookings.mark_no_show(workspace_id, booking.id)
        entries: list[LedgerEntry] = []
        for seat in booking.participants:
            if seat.pool is None:
                continue
            entries.append(LedgerEntry(seat.pool, seat.page, LedgerKind.NO_SHOW, now, booking.id))
            pool = config.pools.get(seat.pool)
            if pool is not None and pool.automatic_correction:
                entries.append(
                    LedgerEntry(seat.pool, seat.page, LedgerKind.REMOVED, now, booking.id)
                )
        uow.ledger.add(workspace_id, entries)
        marked = stored(uow, workspace_id, booking.id)
        uow.commit()
    return marked


def require_confirmed(booking: Booking) -> None:
    if booking.status is BookingStatus.NO_SHOW:
        raise BookingNoShow(f"booking {booking.id} was marked a no-show")
    if booking.status is not BookingStatus.CONFIRMED:
        raise BookingCancelled(f"booking {booking.id} was cancelled")


def _moving_request(
    uow: UnitOfWork, workspace_id: str, booking: Booking, tz: str | None, now: datetime
) -> Request:
    """Check a move of ``booking`` like a new request for its master page and event type."""
    return read_request(
        uow,
        workspace_id,
        booking.master_page,
        booking.event_type,
        tz=tz or booking.customer_timezone,
        link_token=None,
        now=now,
        moving=True,
    )


def _moved_ledger(
    booking_id: str, moved: list[tuple[Participant, SeatAssignment]], now: datetime
) -> list[LedgerEntry]:
    """Return the ledger entries of seats given to other pages: removed, then received."""
    entries: list[LedgerEntry] = []
    for old, new in moved:
        if old.pool is not None:
            entries.append(LedgerEntry(old.pool, old.page, LedgerKind.REMOVED, now, booking_id))
        if new.pool is not None:
            entries.append(LedgerEntry(new.pool, new.page, LedgerKind.RECEIVED, now, booking_id))
    return entries
