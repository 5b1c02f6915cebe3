"""Bookings: book, cancel, reassign, and what the Slack modals ask about them.

Every surface (Slack, the command line, the guest page) calls these functions; each opens
its own unit of work and commits once, so a booking, its participants, its ledger entries,
its outbox rows and its link's consumption are written together or not at all.

No overlap, ever: ``book`` and ``reassign`` first lock every page the request could
occupy (``UnitOfWork.lock_pages``: SQLite's write lock, or row locks in page order on
PostgreSQL) and only then reload the schedule and decide, so two requests for one page take
turns and the second sees the first's booking. On PostgreSQL the exclusion constraint on
``booking_participants`` is the last line; storage reports its violation (and a
serialization failure or a deadlock) as a ``Conflict``, told here as ``SlotUnavailable``.

Choices made here:

* A customer is a Slack user or a guest with a name and an email; a one-time link fills in
  what the request leaves out (its guest's name, email and form answers; the request's own
  answers win).
* A booking's ``customer_timezone`` is the requester's zone (``tz``, else the workspace's).
* Reassigning moves a pool seat only to an active member of that pool, and a fixed seat only
  to a page of the same kind (a room to a room, a person to a person). ``force`` overrides a
  busy target (hours, buffers, busy blocks, limits) but never another booking at the same
  time: nothing double-books a page. The audit's ``forced`` is set only when the target was
  busy.
* Cancelling or reassigning a cancelled booking is refused (``booking_cancelled``); past
  bookings may be cancelled and reassigned like any other (the ledger counts it when done).
* Rescheduling keeps the booking's id, customer, answers and buffers; the new start must be
  offered as for a new booking with the booking itself left out (``engine.rules.refill``
  says who keeps a seat). It is refused once the meeting has started (``booking_started``);
  a move to the start it already has changes nothing, so a repeated request is harmless.
* A no-show is marked only once the meeting has started (``booking_not_started`` before);
  it keeps the time blocked, and each pool seat gets a ``no_show`` ledger entry (for the
  report) plus, with automatic correction, a ``removed`` one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TypeVar

from sqlalchemy import Engine

from engine.availability import page_is_free
from engine.bounds import check_instant
from engine.distribution import preference_order
from engine.errors import (
    Aborted,
    BadInput,
    BookingCancelled,
    BookingNoShow,
    BookingStarted,
    Duplicate,
    NotFound,
    NotInPool,
    NotStarted,
    Overlap,
    RoundtableError,
    SlotUnavailable,
    TargetBusy,
)
from engine.model import (
    BookingStatus,
    LedgerEntry,
    LedgerKind,
    Page,
    PickStep,
    Schedule,
)
from engine.records import Booking, Participant, Reassignment, Role
from engine.rules import SeatAssignment, assign, booking_view, involved_pages, refill
from engine.slots import Slot
from services import notifications, roles
from services.calendar_writes import queue_calendar_writes
from services.context import Actor, Guest, SlackUser
from services.errors import Forbidden, LinkUsed
from services.links import check_email, check_form_answers, check_typed
from services.manage_links import booking_of
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

T = TypeVar("T")

# A reassignment's schedule: the booking's day with room for buffers and weekly limits.
_AROUND = timedelta(days=1)
# Attempts of a locked transaction whose page set grew between reading and locking (the
# configuration changed in between); more than a couple means something keeps changing it.
_LOCK_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Customer:
    """Who books: a Slack user, or a guest with a name and an email."""

    slack_user: str | None = None
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class BookingRequest:
    """A request to book ``event_type`` on ``master_page`` at ``start``."""

    workspace_id: str
    master_page: str
    event_type: str
    start: datetime
    customer: Customer
    tz: str | None = None
    form_answers: Mapping[str, str] = field(default_factory=dict)
    pick: str | None = None
    link_token: str | None = None
    idempotency_key: str | None = None
    attendees: int = 1


@dataclass(frozen=True, slots=True)
class Candidate:
    """A page a booking's seat could move to, and whether it is free at the booking's time."""

    page: str
    name: str
    free: bool


def book(engine: Engine, request: BookingRequest, *, actor: Actor, now: datetime) -> Booking:
    """Book a meeting: check the start, assign pages, write it all at once.

    A repeated request with the same ``idempotency_key`` returns the first booking; the
    key reused for another master page, event type or start is refused.

    Raises:
        NotFound: the workspace, master page, event type or pick does not exist.
        BadInput: the start has no time zone, the customer, an email or a form answer is
            wrong, the request does not fit the master page or link, or its idempotency key
            was used for another request.
        SlotUnavailable: the start is not offered, or was taken meanwhile.
        LinkRefused: the link is unknown, used, revoked or expired.
        Forbidden: the master page is open only to holders of a one-time link.
    """
    start = _checked_start(request.start)
    key = request.idempotency_key  # a repeat is found under the locks, in the same transaction
    from services import metrics  # prometheus_client: 0.1 s to import, for booking only

    try:
        booking = _book(engine, request, start, actor=actor, now=now)
    except RoundtableError as error:
        # A concurrent twin may have won, consuming the link or the slot this request
        # meant to take: the repeated request gets the first booking, not a refusal.
        earlier = None if key is None else _by_key(engine, request.workspace_id, key)
        if earlier is None:
            metrics.booking_refused(error.code)
            raise
        return _replayed(request, start, earlier)
    return booking


def _book(
    engine: Engine, request: BookingRequest, start: datetime, *, actor: Actor, now: datetime
) -> Booking:
    from services import metrics  # prometheus_client: 0.1 s to import, for booking only

    ws = request.workspace_id

    def checked(uow: UnitOfWork) -> Request:
        return read_request(
            uow,
            ws,
            request.master_page,
            request.event_type,
            tz=request.tz,
            link_token=request.link_token,
            now=now,
            pick=request.pick,
        )

    # Learn which pages to lock from the configuration this process read last (no query);
    # the first booking of a process, or a request it cannot place, reads the current
    # configuration first, without locks, which also refuses a bad request cheaply.
    # Everything is decided again under the locks, with bookings read once, there.
    with UnitOfWork(engine) as uow:
        pages = _pages_to_lock(uow, request)
        if pages is None:
            pages = set(checked(uow).involved.pages)

    def write(uow: UnitOfWork, held: frozenset[str]) -> Booking:
        if request.idempotency_key is not None:
            earlier = uow.bookings.by_idempotency_key(ws, request.idempotency_key)
            if earlier is not None:
                return _replayed(request, start, earlier)
        opened = checked(uow)
        if not opened.involved.pages <= held:
            raise _MorePages(opened.involved.pages)
        view_start, view_end = booking_view(start, opened.tz)
        opened = with_bookings(uow, opened, view_start, view_end, now=now)
        booking = _new_booking(request, opened, start, actor=actor, now=now)
        uow.bookings.add(ws, booking)
        uow.ledger.add(ws, _ledger(booking, LedgerKind.RECEIVED, now))
        if opened.link is not None and not uow.links.mark_used(
            ws, opened.link.id, booking.id, at=now
        ):
            raise LinkUsed()
        notifications.queue_booked(uow, ws, booking, now, known=opened.schedule.config)
        queue_calendar_writes(uow, ws, booking.id, _pages_of(booking), now)
        uow.commit()
        metrics.booking_made()  # only a booking written here: a repeat is not a new one
        return booking

    try:
        return _locked(engine, ws, pages, write)
    except Duplicate:
        # The one unique key a new booking can meet: a concurrent request with its key.
        earlier = _by_key(engine, ws, request.idempotency_key) if request.idempotency_key else None
        if earlier is None:
            raise
        return _replayed(request, start, earlier)
    except (Overlap, Aborted) as error:
        raise SlotUnavailable(f"{start.isoformat()} was just taken") from error


def _checked_start(start: datetime) -> datetime:
    """Return a requested start in UTC.

    Raises:
        BadInput: it has no UTC offset, or lies outside ``engine.bounds``.
    """
    if start.tzinfo is None:
        raise BadInput("the start needs a time zone or a UTC offset", field="start")
    try:
        return check_instant(start)
    except ValueError as error:
        raise BadInput(str(error), field="start") from None


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
        booking = _get(uow, workspace_id, booking_id, lock=True)
        config = uow.config.load(workspace_id)
        roles.require_canceller(config.workspace, booking, config.pages, actor)
        _require_confirmed(booking)
        if isinstance(actor, Guest) and booking.start <= now:
            raise BookingStarted("the meeting has started; it can no longer be cancelled")
        uow.bookings.cancel(workspace_id, booking.id, at=now, by=actor.slack_user)
        uow.ledger.add(workspace_id, _ledger(booking, LedgerKind.REMOVED, now))
        cancelled = _get(uow, workspace_id, booking.id)
        notifications.queue_cancelled(uow, workspace_id, cancelled, now, known=config)
        queue_calendar_writes(uow, workspace_id, booking.id, _pages_of(booking), now)
        uow.commit()
    return cancelled


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
        pages = {p.page for p in _get(uow, workspace_id, booking_id).participants} | {to_page}

    def write(uow: UnitOfWork, held: frozenset[str]) -> Booking:
        before = _get(uow, workspace_id, booking_id, lock=True)
        wanted = {p.page for p in before.participants} | {to_page}
        if not wanted <= held:
            raise _MorePages(wanted)  # reassigned meanwhile: lock the pages it holds now
        schedule = _schedule_around(uow, workspace_id, before, now)
        roles.require_reassigner(schedule.workspace, before, schedule.pools.values(), actor)
        _require_confirmed(before)
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
        after = _get(uow, workspace_id, before.id)
        notifications.queue_reassigned(
            uow, workspace_id, before, after, record, tell_customer, now, known=schedule.config
        )
        moved = _pages_of(before) | _pages_of(after)
        queue_calendar_writes(uow, workspace_id, before.id, moved, now)
        uow.commit()
        return after

    try:
        return _locked(engine, workspace_id, pages, write)
    except Overlap as error:
        raise TargetBusy(f"'{to_page}' was just booked at that time") from error


def _pages_of(booking: Booking) -> set[str]:
    return {participant.page for participant in booking.participants}


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
        booking = _get(uow, workspace_id, booking_id)
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
    start = _checked_start(start)
    with UnitOfWork(engine) as uow:
        current = _get(uow, workspace_id, booking_id)
        pages = {p.page for p in current.participants} | set(
            _moving_request(uow, workspace_id, current, tz, now).involved.pages
        )

    def write(uow: UnitOfWork, held: frozenset[str]) -> Booking:
        before = _get(uow, workspace_id, booking_id, lock=True)
        opened = _moving_request(uow, workspace_id, before, tz, now)
        config = opened.schedule.config
        roles.require_canceller(config.workspace, before, config.pages, actor, "reschedule")
        _require_confirmed(before)
        if before.start <= now:
            raise BookingStarted("the meeting has started; it can no longer be rescheduled")
        if start == before.start:
            return before  # already there: a repeated request changes nothing
        if start < now:
            raise SlotUnavailable(f"{start.isoformat()} is in the past")
        wanted = set(opened.involved.pages) | {p.page for p in before.participants}
        if not wanted <= held:
            raise _MorePages(wanted)
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
        after = _get(uow, workspace_id, before.id)
        notifications.queue_rescheduled(uow, workspace_id, before, after, now, known=config)
        moved_pages = _pages_of(before) | _pages_of(after)
        queue_calendar_writes(uow, workspace_id, before.id, moved_pages, now)
        uow.commit()
        return after

    try:
        return _locked(engine, workspace_id, pages, write)
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
        booking = _get(uow, workspace_id, booking_id)
        config = uow.config.load(workspace_id)
    roles.require_canceller(config.workspace, booking, config.pages, actor, "reschedule")
    _require_confirmed(booking)
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


@dataclass(frozen=True, slots=True)
class GuestBooking:
    """A guest's booking opened through its manage link, with its workspace."""

    workspace_id: str
    booking: Booking


def guest_booking(engine: Engine, secret: bytes, token: str) -> GuestBooking | None:
    """Return the booking a manage token names, if it is a guest's; None for anything else.

    A forged, altered or unknown token, a booking gone since, and a booking whose customer
    is a Slack user all answer None alike, so a token's holder learns nothing more.
    """
    booking_id = booking_of(secret, token)
    if booking_id is None:
        return None
    with UnitOfWork(engine) as uow:
        workspace_id = uow.bookings.workspace_of(booking_id)
        booking = None if workspace_id is None else uow.bookings.get(workspace_id, booking_id)
    if workspace_id is None or booking is None or booking.customer_slack_user is not None:
        return None
    return GuestBooking(workspace_id, booking)


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
        booking = _get(uow, workspace_id, booking_id, lock=True)
        config = uow.config.load(workspace_id)
        if not roles.may_mark_no_show(
            config.workspace, booking, config.pages, config.pools.values(), actor
        ):
            raise Forbidden(
                "only the owner, a manager of the booking's pool or an admin may mark a no-show"
            )
        _require_confirmed(booking)
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
        marked = _get(uow, workspace_id, booking.id)
        uow.commit()
    return marked


@dataclass(frozen=True, slots=True)
class BookingFilter:
    """Which bookings to list; every field left out matches every booking.

    ``mine`` keeps those the actor is in (as customer or as a page's Slack user), even for
    an admin; ``ends_after`` and ``starts_before`` keep the bookings that overlap that span.
    """

    page: str | None = None
    customer_slack: str | None = None
    ends_after: datetime | None = None
    starts_before: datetime | None = None
    status: BookingStatus | None = None
    mine: bool = False


def list_bookings(
    engine: Engine, workspace_id: str, wanted: BookingFilter, *, actor: Actor
) -> list[Booking]:
    """Return the bookings ``actor`` may see that match ``wanted``, soonest first.

    An admin sees every booking; anyone else those they are in (as customer or host) and
    those holding a seat from a pool they manage.

    Raises:
        NotFound: no such workspace, or ``wanted.page`` names no page.
    """
    with UnitOfWork(engine) as uow:
        config = uow.config.load(workspace_id)
        if wanted.page is not None:
            config.page(wanted.page)
        admin = roles.is_admin(config.workspace, actor)
        visible = None
        if wanted.mine or not admin:
            pools = (
                ()
                if wanted.mine
                else roles.managed_pools(config.workspace, config.pools.values(), actor)
            )
            visible = (actor.slack_user or "", frozenset(pools))
        return uow.bookings.matching(
            workspace_id,
            page=wanted.page,
            customer=wanted.customer_slack,
            ends_after=wanted.ends_after,
            starts_before=wanted.starts_before,
            status=wanted.status,
            visible_to=visible,
        )


def upcoming_bookings(
    engine: Engine, workspace_id: str, slack_user: str, *, now: datetime
) -> list[Booking]:
    """Return a Slack user's confirmed bookings that have not ended, as customer or host.

    Raises:
        NotFound: no such workspace.
    """
    wanted = BookingFilter(ends_after=now, status=BookingStatus.CONFIRMED, mine=True)
    return list_bookings(engine, workspace_id, wanted, actor=SlackUser(slack_user))


def get_booking(engine: Engine, workspace_id: str, booking_id: str) -> Booking:
    """Return a booking by id.

    Raises:
        NotFound: no such booking in the workspace.
    """
    with UnitOfWork(engine) as uow:
        return _get(uow, workspace_id, booking_id)


def _locked(
    engine: Engine,
    workspace_id: str,
    pages: set[str],
    write: Callable[[UnitOfWork, frozenset[str]], T],
) -> T:
    """Run ``write`` in a transaction holding ``pages``; widen and retry if it needs more.

    ``write`` gets the pages held and returns its result, or raises ``_MorePages`` with the
    pages it needs when that is more than the transaction holds (the configuration or
    booking changed since they were read): the transaction rolls back and the next one
    locks those too.
    """
    for _ in range(_LOCK_ATTEMPTS):
        try:
            with UnitOfWork(engine) as uow:
                uow.lock_pages(workspace_id, pages)
                return write(uow, frozenset(pages))
        except _MorePages as more:
            pages = pages | more.pages
    raise SlotUnavailable("the booking's pages keep changing; try again")


class _MorePages(Exception):
    """A locked write found it needs more pages than its transaction holds (``_locked``)."""

    def __init__(self, pages: Iterable[str]) -> None:
        super().__init__("more pages to lock")
        self.pages = set(pages)


def _pages_to_lock(uow: UnitOfWork, request: BookingRequest) -> set[str] | None:
    """Guess the pages a booking request may take from the last configuration seen.

    A stale guess is safe: ``_locked`` widens the locks when the current configuration
    needs more pages, and pages removed since are not locked (``UnitOfWork.lock_pages``).
    None when this process has seen no configuration of the workspace, or the request
    does not fit the one it saw.
    """
    known = uow.last_configuration(request.workspace_id)
    if known is None:
        return None
    try:
        involved = involved_pages(
            Schedule(known.config), request.master_page, request.event_type, request.pick
        )
    except RoundtableError:
        return None
    return set(involved.pages)


def _new_booking(
    request: BookingRequest, checked: Request, start: datetime, *, actor: Actor, now: datetime
) -> Booking:
    """Assign the pages and return the booking to write (not yet stored)."""
    customer = _customer(request.customer, checked)
    link = checked.link
    answers = check_form_answers(
        {**((link.form_answers or {}) if link else {}), **request.form_answers},
        [checked.event_type],
        complete=True,
    )
    assignment = assign(
        checked.schedule,
        checked.master_page.id,
        checked.event_type.id,
        start,
        checked.tz,
        now,
        request.pick,
        attendees=request.attendees,
        member=None if link is None else link.member,
    )
    kind = checked.event_type
    owner = checked.schedule.pages.get(assignment.seats[0].page)
    return Booking(
        id=str(uuid.uuid4()),
        master_page=checked.master_page.id,
        event_type=kind.id,
        start=start,
        end=start + kind.duration,
        participants=tuple(
            Participant(seat.page, index, Role.OWNER if index == 0 else Role.PARTICIPANT, seat.pool)
            for index, seat in enumerate(assignment.seats)
        ),
        created_at=now,
        buffer_before=kind.buffer_before,
        buffer_after=kind.buffer_after,
        customer_slack_user=customer.slack_user,
        customer_name=customer.name,
        customer_email=customer.email,
        customer_timezone=checked.tz,
        attendees=request.attendees,
        form_answers=answers,
        idempotency_key=request.idempotency_key,
        link_id=None if link is None else link.id,
        created_by=actor.slack_user,
        location=(owner.location if owner is not None else None) or kind.location,
    )


def _customer(customer: Customer, checked: Request) -> Customer:
    """Complete the customer from the link's guest and check it.

    Raises:
        BadInput: neither a Slack user nor a guest's name and email, or a bad email.
    """
    link = checked.link
    name = check_typed(customer.name or "", "customer_name").strip() or (
        link.guest_name if link else None
    )
    email = (customer.email or "").strip() or (link.guest_email if link else None)
    if email is not None:
        email = check_email(email, "customer_email")
    if customer.slack_user is None and not (name and email):
        raise BadInput(
            "a booking needs a Slack customer, or a guest's name and email", field="customer"
        )
    return Customer(customer.slack_user, name, email)


def _ledger(booking: Booking, kind: LedgerKind, now: datetime) -> list[LedgerEntry]:
    """Return the ledger entries of every seat of ``booking`` that came from a pool."""
    return [
        LedgerEntry(p.pool, p.page, kind, now, booking.id)
        for p in booking.participants
        if p.pool is not None
    ]


def _get(uow: UnitOfWork, workspace_id: str, booking_id: str, *, lock: bool = False) -> Booking:
    booking = uow.bookings.get(workspace_id, booking_id, lock=lock)
    if booking is None:
        raise NotFound(f"unknown booking '{booking_id}'", field="booking")
    return booking


def _by_key(engine: Engine, workspace_id: str, key: str) -> Booking | None:
    with UnitOfWork(engine) as uow:
        return uow.bookings.by_idempotency_key(workspace_id, key)


def _replayed(request: BookingRequest, start: datetime, earlier: Booking) -> Booking:
    """Return the first booking of a repeated request; refuse a key reused for another one.

    Raises:
        BadInput: the key first booked another master page, event type or time (a client
            bug that would otherwise be answered with a booking it did not ask for).
    """
    asked = (request.master_page, request.event_type, start)
    if (earlier.master_page, earlier.event_type, earlier.start) != asked:
        raise BadInput(
            f"idempotency key '{request.idempotency_key}' was already used for another "
            "booking request",
            field="idempotency_key",
        )
    return earlier


def _require_confirmed(booking: Booking) -> None:
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
