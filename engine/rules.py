"""Offered slots, and who gets a booking: the seats filled at a chosen start.

``offered_slots`` searches the seats of ``engine.seats`` with ``engine.search``; ``assign``
fills them at a chosen start, ``refill`` at a booking's new start, and ``free_pages`` lists
who may own a booking then. (The search itself cannot offer slots: the seats' round-robin
turns search, so ``engine.seats`` imports ``engine.search``, and offering needs both.)

Choices made here:

* In the selection modes ``assign`` needs a pick unless the event type lists a single page
  (a step with one choice is skipped); in ``find_member_by_time`` it needs one unless
  exactly one page is free at the start.
* In ``find_member_by_time`` the customer picks the time from the union of the pages, so
  the pick must be free at that time but need not share that time's grid.
* ``assign`` and ``free_pages`` check the start against the slots of the requester's local
  date of the start and the day after, i.e. the view a customer picks a time from (and
  one more day so that a slot ending after midnight is bookable too). A start before
  ``now`` is refused as past.
* ``refill`` (a reschedule) offers what a new booking would be offered, so a round-robin
  seat's times are its next member's; the page holding a seat keeps it wherever it is free
  at the new start. Static ``pooled`` and ``pooled_priority`` choices refill like pool seats
  (the master page chose them); a page the customer picked, and a dynamic rule's fixed
  page, do not: the move is refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from engine.errors import BadInput, SlotUnavailable
from engine.intervals import to_utc
from engine.matching import match
from engine.model import (
    MINUTES_PER_DAY,
    EventType,
    MasterMode,
    PickStep,
    Schedule,
)
from engine.search import Seat, Slot, SlotSearch
from engine.seats import STATIC_POOLED, master_and_kind, seat_candidates
from engine.zones import local_to_utc, zone


@dataclass(frozen=True, slots=True)
class SeatAssignment:
    """The page given one seat; ``pool`` is set when it came from a pool (for the ledger)."""

    page: str
    pool: str | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """The pages of one booking; the first seat owns it."""

    seats: tuple[SeatAssignment, ...]

    @property
    def owner(self) -> str:
        return self.seats[0].page

    @property
    def participants(self) -> tuple[str, ...]:
        return tuple(seat.page for seat in self.seats[1:])


def offered_slots(
    schedule: Schedule,
    master_page: str,
    event_type: str,
    start: datetime,
    end: datetime,
    tz: str,
    now: datetime,
    pick: str | None = None,
    *,
    attendees: int = 1,
    member: str | None = None,
) -> list[Slot]:
    """Return the slots offered for booking ``event_type`` on ``master_page``, sorted.

    Args:
        schedule: the loaded configuration, bookings and ledger.
        master_page: the master page's id.
        event_type: the event type's id.
        start: the beginning of the UTC range to search.
        end: the end of the range, excluded; a slot lies wholly inside the range.
        tz: the requester's time zone, in which starts are aligned.
        now: the current instant.
        pick: the page the customer chose, where the master page lets them choose.
        attendees: how many people will attend; smaller resources take no seat.
        member: the member a one-time link names for a flexible round-robin seat.

    Raises:
        NotFound: an id names nothing.
        BadInput: the master page does not offer the event type, the pick is not allowed,
            or ``attendees`` is below 1.
    """
    seats = seat_candidates(
        schedule, master_page, event_type, tz, now, pick, attendees=attendees, member=member
    )
    kind = schedule.event_types[event_type]
    return list(SlotSearch(schedule, kind, seats, start, end, tz, now).slots())


def assign(
    schedule: Schedule,
    master_page: str,
    event_type: str,
    start: datetime,
    tz: str,
    now: datetime,
    pick: str | None = None,
    *,
    attendees: int = 1,
    member: str | None = None,
) -> Assignment:
    """Choose the pages of a booking starting at ``start``.

    Seats are filled in order, primary first, each by its method among the pages free at
    ``start`` that still leave the remaining seats fillable by distinct pages.

    Args:
        schedule: the loaded configuration, bookings and ledger.
        master_page: the master page's id.
        event_type: the event type's id.
        start: the chosen start.
        tz: the requester's time zone.
        now: the current instant.
        pick: the page the customer chose, where the master page lets them choose.
        attendees: how many people will attend.
        member: the member a one-time link names for a flexible round-robin seat.

    Raises:
        NotFound: an id names nothing.
        BadInput: as for ``seat_candidates``, or a needed pick is missing.
        SlotUnavailable: ``start`` is past or not offered, or the pick is not free then.
    """
    master, kind = master_and_kind(schedule, master_page, event_type)
    start = to_utc(start)
    by_time = master.pick_step is PickStep.AFTER_TIME
    if by_time and pick is not None and pick not in kind.pages:
        raise BadInput(f"'{pick}' is not a page of event type '{kind.id}'", field="pick")
    if master.pick_step is PickStep.BEFORE_TIME and pick is None and len(kind.pages) > 1:
        raise BadInput("pick one of the event type's pages", field="pick")
    seats = seat_candidates(
        schedule,
        master_page,
        event_type,
        tz,
        now,
        None if by_time else pick,
        attendees=attendees,
        member=member,
    )
    search = _offering(schedule, kind, seats, start, tz, now)
    if by_time:
        free = search.valid_pages(seats[0], start)
        if pick is None and len(free) != 1:
            raise BadInput("pick one of the pages free at that time", field="pick")
        chosen = pick or free[0]
        if chosen not in free:
            raise SlotUnavailable(f"'{chosen}' is not free at {start.isoformat()}")
        return Assignment((SeatAssignment(chosen),))
    pages: list[str] = []
    for index in range(len(seats)):
        # An offered start leaves every seat at least one choice, by construction.
        pages.append(next(_choices(search, index, pages, start)))
    return Assignment(
        tuple(SeatAssignment(page, seat.pool) for page, seat in zip(pages, seats, strict=True))
    )


def refill(
    schedule: Schedule,
    master_page: str,
    event_type: str,
    start: datetime,
    tz: str,
    now: datetime,
    held: Sequence[SeatAssignment],
    *,
    attendees: int = 1,
) -> Assignment:
    """Choose the pages of a booking moved to ``start`` (a reschedule).

    ``schedule`` must leave the moved booking out, so that it neither blocks its own time
    nor counts towards limits. ``start`` must be offered as for a new booking. Every held
    page free at ``start`` keeps its seat; a seat filled by a method (a pool, or a static
    ``pooled``/``pooled_priority`` choice) whose page is not free is filled again by that
    method among the pages that leave the other seats fillable; any other seat whose page
    is not free refuses the move.

    Args:
        schedule: the loaded configuration, bookings and ledger, without the moved booking.
        master_page: the booking's master page.
        event_type: the booking's event type.
        start: the new start.
        tz: the requester's time zone.
        now: the current instant.
        held: the booking's seats in seat order (the owner first).
        attendees: how many people attend; a seat filled again takes no smaller resource.

    Raises:
        NotFound: an id names nothing.
        BadInput: the master page does not offer the event type.
        SlotUnavailable: ``start`` is not offered, a fixed or picked page is not free then,
            or the rule's seats changed since the booking was made.
    """
    master, kind = master_and_kind(schedule, master_page, event_type)
    start = to_utc(start)
    end = start + kind.duration
    picked = master.pick_step is PickStep.BEFORE_TIME
    pick = held[0].page if picked and held else None
    seats = seat_candidates(schedule, master_page, event_type, tz, now, pick, attendees=attendees)
    search = _offering(schedule, kind, seats, start, tz, now)
    if len(seats) != len(held):
        raise SlotUnavailable("the master page's rule changed since this booking was made")
    static_choice = master.mode is MasterMode.STATIC and master.method in STATIC_POOLED
    kept: list[SeatAssignment | None] = []
    for seat, current in zip(seats, held, strict=True):
        if current.page in schedule.pages and search.free.of(current.page).holds(start, end):
            kept.append(current)
        elif seat.pool is not None or static_choice:
            kept.append(None)
        else:
            raise SlotUnavailable(f"'{current.page}' is not free at {start.isoformat()}")
    taken = {seat.page for seat in kept if seat is not None}
    open_seats = [index for index, seat in enumerate(kept) if seat is None]

    def options(index: int, without: set[str]) -> list[str]:
        return [p for p in search.valid_pages(seats[index], start) if p not in without]

    for position, index in enumerate(open_seats):
        later = open_seats[position + 1 :]
        page = next(
            (
                page
                for page in options(index, taken)
                if match([options(other, taken | {page}) for other in later]) is not None
            ),
            None,
        )
        if page is None:
            raise SlotUnavailable(f"no page can take seat {index + 1} at {start.isoformat()}")
        taken.add(page)
        kept[index] = SeatAssignment(page, seats[index].pool)
    return Assignment(tuple(seat for seat in kept if seat is not None))


def free_pages(
    schedule: Schedule,
    master_page: str,
    event_type: str,
    start: datetime,
    tz: str,
    now: datetime,
    *,
    attendees: int = 1,
) -> list[str]:
    """Return the pages that may own a booking at ``start``, most preferred first.

    For ``find_member_by_time`` and the selection modes these are the pages the customer
    may pick at that time.

    Args:
        schedule: the loaded configuration, bookings and ledger.
        master_page: the master page's id.
        event_type: the event type's id.
        start: the chosen start.
        tz: the requester's time zone.
        now: the current instant.
        attendees: how many people will attend.

    Raises:
        NotFound: an id names nothing.
        BadInput: the master page does not offer the event type.
        SlotUnavailable: ``start`` is past or not offered.
    """
    _, kind = master_and_kind(schedule, master_page, event_type)
    start = to_utc(start)
    seats = seat_candidates(schedule, master_page, event_type, tz, now, attendees=attendees)
    return list(_choices(_offering(schedule, kind, seats, start, tz, now), 0, [], start))


def booking_view(start: datetime, tz: str) -> tuple[datetime, datetime]:
    """Return the span whose slots a start is checked against: its local date and the next.

    Args:
        start: the chosen start (timezone-aware).
        tz: the requester's time zone.

    Raises:
        BadInput: ``tz`` is unknown.
    """
    local_zone = zone(tz)
    day = to_utc(start).astimezone(local_zone).date()
    return local_to_utc(day, 0, local_zone), local_to_utc(day, 2 * MINUTES_PER_DAY, local_zone)


def _offering(
    schedule: Schedule,
    kind: EventType,
    seats: tuple[Seat, ...],
    start: datetime,
    tz: str,
    now: datetime,
) -> SlotSearch:
    """Return the search of the view holding ``start``.

    Raises:
        SlotUnavailable: ``start`` is past, or not offered in that view.
    """
    if start < to_utc(now):
        raise SlotUnavailable(f"{start.isoformat()} is past")
    view_start, view_end = booking_view(start, tz)
    search = SlotSearch(schedule, kind, seats, view_start, view_end, tz, now)
    if not search.offers(start):
        raise SlotUnavailable(f"{start.isoformat()} is not an offered time")
    return search


def _choices(search: SlotSearch, index: int, chosen: list[str], start: datetime) -> Iterator[str]:
    """Yield the pages seat ``index`` may take after ``chosen``, in the seat's order, lazily.

    A seat filled by its method takes the first: pages after it are never checked.
    """
    return (
        page
        for page in search.free_pages(search.seats[index], start)
        if page not in chosen and search.fill(start, [*chosen, page]) is not None
    )
