"""Master pages, rules and panels (§6): who may fill each seat, and who gets a booking.

``seat_candidates`` turns a master page and event type into seats; ``engine.search``
finds the offered times for them; ``assign`` fills the seats at a chosen start.

Choices where §6 is silent:

* Static rules have no pool and so no ledger. ``pooled`` prefers the free page with the
  fewest confirmed bookings from ``now`` to the horizon (the least loaded), then the order
  in which the event type lists its pages; ``pooled_priority`` takes that listed order as
  the priority (first listed = highest). A static page without a method is ``pooled``.
* A ``pick`` is only for ``find_member_by_time`` and the customer-selection modes; any other
  master page refuses one. In the selection modes ``assign`` needs a pick unless the event
  type lists a single page (a step with one choice is skipped); in ``find_member_by_time``
  it needs one unless exactly one page is free at the start.
* In ``find_member_by_time`` the customer picks the time from the union of the pages, so
  the pick must be free at that time but need not share that time's grid.
* ``assign`` and ``free_pages`` check the start against the slots of the requester's local
  date of the start and the day after, i.e. the view a customer picks a time from (and
  one more day so that a slot ending after midnight is bookable too).
* A round-robin seat without a member who has a slot within the horizon offers nothing.
* ``refill`` (a reschedule) offers what a new booking would be offered, so a round-robin
  seat's times are its next member's; the page holding a seat keeps it wherever it is free
  at the new start. Static ``pooled`` and ``pooled_priority`` choices refill like pool seats
  (the master page chose them); a page the customer picked, and a dynamic rule's fixed
  page, do not: the move is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.distribution import preference_order
from engine.errors import BadInput, SlotUnavailable
from engine.intervals import to_utc
from engine.lookup import find
from engine.matching import match
from engine.model import (
    MINUTES_PER_DAY,
    EventType,
    MasterMode,
    MasterPage,
    Method,
    Schedule,
    SeatRef,
    StaticMethod,
)
from engine.search import Seat, SlotSearch
from engine.zones import local_to_utc, zone

_STATIC_POOLED = (None, StaticMethod.POOLED, StaticMethod.POOLED_PRIORITY)
# The static methods that rank pages by their load up to the horizon (``_least_loaded``).
_LEAST_LOADED = (None, StaticMethod.POOLED)
_SELECTION = (MasterMode.PAGES_FIRST, MasterMode.EVENT_TYPES_FIRST)


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


@dataclass(frozen=True, slots=True)
class Involved:
    """The pages one question about a master page and event type can touch.

    ``pages`` may take a seat (what ``book`` locks, and whose bookings around the asked time
    matter); ``ahead`` are those of them whose bookings up to the booking horizon from
    ``now`` matter too: round-robin members (the line skips a member without a slot within
    the horizon) and the pages of a static ``pooled`` choice (ranked by their load up to the
    horizon). ``pools`` are the pools whose seats they fill (whose ledgers matter).
    """

    pages: frozenset[str]
    ahead: frozenset[str] = frozenset()
    pools: frozenset[str] = frozenset()


def involved_pages(
    schedule: Schedule, master_page: str, event_type: str, pick: str | None = None
) -> Involved:
    """Return the pages a question about ``event_type`` on ``master_page`` can touch.

    Only the configuration of ``schedule`` is read, so storage can learn from it which
    bookings to load (and ``book`` which pages to lock). A ``pick`` narrows the pages only
    where it narrows the seat in both offering and assignment: the selection modes. Ids
    that name nothing are left out (the engine refuses them when it answers).

    Args:
        schedule: the configuration (its occupancy and ledger are not read).
        master_page: the master page's id.
        event_type: the event type's id.
        pick: the page the customer chose, where the master page lets them choose.

    Raises:
        NotFound: no such master page or event type.
        BadInput: the master page does not offer the event type.
    """
    master, kind = _request(schedule, master_page, event_type)
    if master.mode is not MasterMode.DYNAMIC:
        pages = frozenset(kind.pages)
        if master.mode in _SELECTION and pick in pages:
            return Involved(frozenset((pick,)))
        least_loaded = master.mode is MasterMode.STATIC and master.method in _LEAST_LOADED
        return Involved(pages, pages if least_loaded else frozenset())
    rule = next(rule for rule in master.rules if rule.event_type == event_type)
    found: set[str] = set()
    ahead: set[str] = set()
    pools: set[str] = set()
    for ref in (rule.primary, *rule.additional):
        if ref.page is not None:
            found.add(ref.page)
        elif ref.pool is not None and ref.pool in schedule.pools:
            pool = schedule.pools[ref.pool]
            pools.add(pool.id)
            members = {member.page for member in pool.members if member.active}
            found |= members
            if pool.method is Method.ROUND_ROBIN:
                ahead |= members
    return Involved(frozenset(found), frozenset(ahead), frozenset(pools))


def seat_candidates(
    schedule: Schedule,
    master_page: str,
    event_type: str,
    tz: str,
    now: datetime,
    pick: str | None = None,
) -> tuple[Seat, ...]:
    """Return the seats of a booking of ``event_type`` on ``master_page``, primary first.

    Args:
        schedule: the loaded configuration, bookings and ledger.
        master_page: the master page's id.
        event_type: the event type's id.
        tz: the requester's time zone (a round-robin seat checks its next member's slots).
        now: the current instant.
        pick: the page the customer chose, where the master page lets them choose.

    Raises:
        NotFound: an id names nothing.
        BadInput: the master page does not offer the event type, takes no pick, or the
            pick is not one of the event type's pages.
    """
    master, kind = _request(schedule, master_page, event_type)
    if master.mode is MasterMode.DYNAMIC:
        _refuse_pick(pick)
        rule = next(rule for rule in master.rules if rule.event_type == event_type)
        if rule.primary.pool is not None and any(
            ref.pool == rule.primary.pool for ref in rule.additional
        ):
            raise BadInput(f"pool '{rule.primary.pool}' is both primary and additional")
        refs = (rule.primary, *rule.additional)
        return tuple(_dynamic_seat(schedule, kind, ref, tz, now) for ref in refs)
    for page in kind.pages:
        find(schedule.pages, page, "page")
    if master.mode is MasterMode.STATIC and master.method in _STATIC_POOLED:
        _refuse_pick(pick)
        if master.method is StaticMethod.POOLED_PRIORITY:
            return (Seat(kind.pages),)
        return (Seat(_least_loaded(schedule, kind, now)),)
    if pick is None:
        return (Seat(kind.pages),)
    if pick not in kind.pages:
        raise BadInput(f"'{pick}' is not a page of event type '{kind.id}'", field="pick")
    return (Seat((pick,)),)


def assign(
    schedule: Schedule,
    master_page: str,
    event_type: str,
    start: datetime,
    tz: str,
    now: datetime,
    pick: str | None = None,
) -> Assignment:
    """Choose the pages of a booking starting at ``start`` (§5, §6).

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

    Raises:
        NotFound: an id names nothing.
        BadInput: as for ``seat_candidates``, or a needed pick is missing.
        SlotUnavailable: ``start`` is not offered, or the pick is not free then.
    """
    master, kind = _request(schedule, master_page, event_type)
    start = to_utc(start)
    by_time = master.mode is MasterMode.STATIC and master.method is StaticMethod.FIND_MEMBER_BY_TIME
    if by_time and pick is not None and pick not in kind.pages:
        raise BadInput(f"'{pick}' is not a page of event type '{kind.id}'", field="pick")
    if master.mode in _SELECTION and pick is None and len(kind.pages) > 1:
        raise BadInput("pick one of the event type's pages", field="pick")
    seats = seat_candidates(schedule, master_page, event_type, tz, now, None if by_time else pick)
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
        pages.append(_choices(search, index, pages, start)[0])
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

    Raises:
        NotFound: an id names nothing.
        BadInput: the master page does not offer the event type.
        SlotUnavailable: ``start`` is not offered, a fixed or picked page is not free then,
            or the rule's seats changed since the booking was made.
    """
    master, kind = _request(schedule, master_page, event_type)
    start = to_utc(start)
    end = start + kind.duration
    picked = master.mode in _SELECTION
    seats = seat_candidates(
        schedule, master_page, event_type, tz, now, held[0].page if picked and held else None
    )
    search = _offering(schedule, kind, seats, start, tz, now)
    if len(seats) != len(held):
        raise SlotUnavailable("the master page's rule changed since this booking was made")
    static_choice = master.mode is MasterMode.STATIC and master.method in _STATIC_POOLED
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

    Raises:
        NotFound: an id names nothing.
        BadInput: the master page does not offer the event type.
        SlotUnavailable: ``start`` is not offered.
    """
    _, kind = _request(schedule, master_page, event_type)
    start = to_utc(start)
    seats = seat_candidates(schedule, master_page, event_type, tz, now)
    return _choices(_offering(schedule, kind, seats, start, tz, now), 0, [], start)


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


def _request(schedule: Schedule, master_page: str, event_type: str) -> tuple[MasterPage, EventType]:
    master = find(schedule.master_pages, master_page, "master page")
    if event_type not in master.offered_event_types():
        raise BadInput(
            f"master page '{master_page}' does not offer event type '{event_type}'",
            field="event_type",
        )
    return master, find(schedule.event_types, event_type, "event type")


def _refuse_pick(pick: str | None) -> None:
    if pick is not None:
        raise BadInput("this master page assigns pages itself; it takes no pick", field="pick")


def _dynamic_seat(
    schedule: Schedule, kind: EventType, ref: SeatRef, tz: str, now: datetime
) -> Seat:
    if ref.page is not None:
        find(schedule.pages, ref.page, "page")
        return Seat((ref.page,))
    pool = find(schedule.pools, ref.pool or "", "pool")
    order = preference_order(
        pool, schedule.ledger.get(pool.id, ()), schedule.workspace.timezone, now
    )
    for page in order:
        find(schedule.pages, page, "page")
    if pool.method is not Method.ROUND_ROBIN:
        return Seat(tuple(order), pool.id)
    # Members with no slot within the horizon (on leave, fully booked) lose their turn.
    horizon = to_utc(now) + timedelta(days=kind.max_days_ahead) + kind.duration
    for page in order:
        alone = SlotSearch(schedule, kind, (Seat((page,)),), now, horizon, tz, now)
        if next(alone.slots(), None) is not None:
            return Seat((page,), pool.id)
    return Seat((), pool.id)


def _least_loaded(schedule: Schedule, kind: EventType, now: datetime) -> tuple[str, ...]:
    """Order the event type's pages by confirmed bookings from now to the horizon."""
    now = to_utc(now)
    horizon = now + timedelta(days=kind.max_days_ahead)
    load = {
        page: sum(
            now <= to_utc(booking.start) < horizon for booking in schedule.occupancy.get(page, ())
        )
        for page in kind.pages
    }
    return tuple(sorted(kind.pages, key=lambda page: load[page]))


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
        SlotUnavailable: ``start`` is not offered in it.
    """
    view_start, view_end = booking_view(start, tz)
    search = SlotSearch(schedule, kind, seats, view_start, view_end, tz, now)
    if not search.offers(start):
        raise SlotUnavailable(f"{start.isoformat()} is not an offered time")
    return search


def _choices(search: SlotSearch, index: int, chosen: list[str], start: datetime) -> list[str]:
    """Return the pages seat ``index`` may take after ``chosen``, in the seat's order."""
    return [
        page
        for page in search.valid_pages(search.seats[index], start)
        if page not in chosen and search.fill(start, [*chosen, page]) is not None
    ]
