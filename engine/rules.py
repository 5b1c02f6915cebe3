"""Master pages, rules and panels: who may fill each seat, and who gets a booking.

``seat_candidates`` turns a master page and event type into seats; ``engine.search``
finds the offered times for them; ``assign`` fills the seats at a chosen start.

Choices made here:

* Static rules have no pool and so no ledger. ``pooled`` prefers the free page that least
  recently received a booking of this event type on this master page (``Schedule.
  last_received``; never first), then the order in which the event type lists its pages;
  ``pooled_priority`` takes that listed order as the priority (first listed = highest). A
  static page without a method is ``pooled``.
* A ``pick`` is only for ``find_member_by_time`` and the customer-selection modes; any other
  master page refuses one. In the selection modes ``assign`` needs a pick unless the event
  type lists a single page (a step with one choice is skipped); in ``find_member_by_time``
  it needs one unless exactly one page is free at the start.
* In ``find_member_by_time`` the customer picks the time from the union of the pages, so
  the pick must be free at that time but need not share that time's grid.
* ``assign`` and ``free_pages`` check the start against the slots of the requester's local
  date of the start and the day after, i.e. the view a customer picks a time from (and
  one more day so that a slot ending after midnight is bookable too). A start before
  ``now`` is refused as past.
* Round-robin seats take their turns in seat order (``_take_turns``): each gets the first
  member of its line who can be booked at some offered start in ``[now, now + lookahead)``
  with the seats before it as already given and the later ones still open; a seat without
  such a member offers nothing. A ``lookahead`` past the horizon is the horizon. A member
  named for a flexible pool (``member``) takes the first seat of that pool whatever the
  line says; a member no longer active there is ignored and the line decides.
* Capacity: a resource whose ``capacity`` is below ``attendees`` is no candidate for any
  seat, a pick included; pages without a capacity (people) always fit.
* ``refill`` (a reschedule) offers what a new booking would be offered, so a round-robin
  seat's times are its next member's; the page holding a seat keeps it wherever it is free
  at the new start. Static ``pooled`` and ``pooled_priority`` choices refill like pool seats
  (the master page chose them); a page the customer picked, and a dynamic rule's fixed
  page, do not: the move is refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import takewhile

from engine.availability import FreeTime
from engine.distribution import NEVER, preference_order, round_robin_line
from engine.errors import BadInput, SlotUnavailable
from engine.intervals import to_utc
from engine.matching import match
from engine.model import (
    MINUTES_PER_DAY,
    EventType,
    MasterMode,
    MasterPage,
    Method,
    Page,
    PageKind,
    PickStep,
    Pool,
    Schedule,
    SeatRef,
    StaticMethod,
)
from engine.search import Seat, SlotSearch
from engine.zones import local_to_utc, zone

_STATIC_POOLED = (None, StaticMethod.POOLED, StaticMethod.POOLED_PRIORITY)
# The static methods that rank pages by when they last received a booking (``_longest_idle``).
_LONGEST_IDLE = (None, StaticMethod.POOLED)


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
    ``now`` matter too: every page of a rule with a round-robin seat (a member keeps its
    turn only when it can be booked with every other seat within the lookahead).
    ``pools`` are the pools whose seats they fill (whose ledgers matter); ``idle`` is set
    when the answer depends on when the pages last received a booking of this event type
    on this master page (static ``pooled``: ``Schedule.last_received``).
    """

    pages: frozenset[str]
    ahead: frozenset[str] = frozenset()
    pools: frozenset[str] = frozenset()
    idle: bool = False


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
        if master.pick_step is PickStep.BEFORE_TIME and pick in pages:
            return Involved(frozenset((pick,)))
        idle = master.mode is MasterMode.STATIC and master.method in _LONGEST_IDLE
        return Involved(pages, idle=idle)
    found: set[str] = set()
    pools: set[str] = set()
    turns = False
    for ref in _refs(master, event_type):
        if ref.page is not None:
            found.add(ref.page)
        elif ref.pool is not None and ref.pool in schedule.pools:
            pool = schedule.pools[ref.pool]
            pools.add(pool.id)
            found |= {member.page for member in pool.members if member.active}
            turns = turns or pool.method is Method.ROUND_ROBIN
    pages = frozenset(found)
    return Involved(pages, pages if turns else frozenset(), frozenset(pools))


def needs_headcount(schedule: Schedule, master_page: str, event_type: str) -> bool:
    """Tell whether a booking of ``event_type`` on ``master_page`` may take a resource.

    Such a request asks how many people will attend.

    Raises:
        NotFound: no such master page or event type.
        BadInput: the master page does not offer the event type.
    """
    pages = involved_pages(schedule, master_page, event_type).pages
    return any(
        schedule.pages[page].kind is PageKind.RESOURCE for page in pages if page in schedule.pages
    )


def flexible_pool(schedule: Schedule, master_page: str, event_type: str) -> Pool | None:
    """Return the pool of the rule's first flexible round-robin seat, if it has one.

    A one-time link to the master page may name the member of that seat.

    Raises:
        NotFound: no such master page or event type.
        BadInput: the master page does not offer the event type.
    """
    master, _ = _request(schedule, master_page, event_type)
    if master.mode is not MasterMode.DYNAMIC:
        return None
    for ref in _refs(master, event_type):
        pool = schedule.pools.get(ref.pool or "")
        if pool is not None and pool.method is Method.ROUND_ROBIN and pool.flexible:
            return pool
    return None


def flexible_members(
    schedule: Schedule, master_page: str, event_types: Sequence[str], now: datetime
) -> list[str]:
    """Return the members a one-time link booking ``event_types`` may name.

    A member qualifies when the rule of every one of the event types has a flexible
    round-robin seat (``flexible_pool``) whose pool has it as an active member. They come
    in the line order of the first event type's pool.

    Raises:
        NotFound: no such master page or event type.
        BadInput: the master page does not offer an event type.
    """
    common: list[str] | None = None
    for event_type in event_types:
        pool = flexible_pool(schedule, master_page, event_type)
        if pool is None:
            return []
        ledger = schedule.ledger.get(pool.id, ())
        line = round_robin_line(pool, ledger, schedule.workspace.timezone, now)
        common = line if common is None else [page for page in common if page in line]
    return common or []


def seat_candidates(
    schedule: Schedule,
    master_page: str,
    event_type: str,
    tz: str,
    now: datetime,
    pick: str | None = None,
    *,
    attendees: int = 1,
    member: str | None = None,
) -> tuple[Seat, ...]:
    """Return the seats of a booking of ``event_type`` on ``master_page``, primary first.

    A round-robin seat holds the one member whose turn it is (``_take_turns``).

    Args:
        schedule: the loaded configuration, bookings and ledger.
        master_page: the master page's id.
        event_type: the event type's id.
        tz: the requester's time zone (the grid of the starts a round-robin turn looks at).
        now: the current instant.
        pick: the page the customer chose, where the master page lets them choose.
        attendees: how many people will attend; smaller resources take no seat.
        member: the member a one-time link names for a flexible round-robin seat.

    Raises:
        NotFound: an id names nothing.
        BadInput: the master page does not offer the event type, takes no pick, or the
            pick is not one of the event type's pages; ``attendees`` is below 1.
    """
    master, kind = _request(schedule, master_page, event_type)
    if attendees < 1:
        raise BadInput("at least 1 person attends", field="attendees")
    if master.mode is MasterMode.DYNAMIC:
        _refuse_pick(pick)
        refs = _refs(master, event_type)
        if refs[0].pool is not None and any(ref.pool == refs[0].pool for ref in refs[1:]):
            raise BadInput(f"pool '{refs[0].pool}' is both primary and additional")
        seats = tuple(_dynamic_seat(schedule, ref, now, attendees) for ref in refs)
        return _take_turns(schedule, kind, seats, tz, now, member)
    pages = tuple(page for page in kind.pages if _fits(schedule.page(page), attendees))
    if master.mode is MasterMode.STATIC and master.method in _STATIC_POOLED:
        _refuse_pick(pick)
        if master.method is StaticMethod.POOLED_PRIORITY:
            return (Seat(pages),)
        return (Seat(_longest_idle(schedule, master, kind, pages)),)
    if pick is None:
        return (Seat(pages),)
    if pick not in kind.pages:
        raise BadInput(f"'{pick}' is not a page of event type '{kind.id}'", field="pick")
    return (Seat((pick,) if pick in pages else ()),)


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
    master, kind = _request(schedule, master_page, event_type)
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
    master, kind = _request(schedule, master_page, event_type)
    start = to_utc(start)
    end = start + kind.duration
    picked = master.pick_step is PickStep.BEFORE_TIME
    pick = held[0].page if picked and held else None
    seats = seat_candidates(schedule, master_page, event_type, tz, now, pick, attendees=attendees)
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
    _, kind = _request(schedule, master_page, event_type)
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


def _request(schedule: Schedule, master_page: str, event_type: str) -> tuple[MasterPage, EventType]:
    master = schedule.master_page(master_page)
    if event_type not in master.offered_event_types():
        raise BadInput(
            f"master page '{master_page}' does not offer event type '{event_type}'",
            field="event_type",
        )
    return master, schedule.event_type(event_type)


def _refs(master: MasterPage, event_type: str) -> tuple[SeatRef, ...]:
    """Return the seats of a dynamic master page's rule for ``event_type``, primary first."""
    rule = next(rule for rule in master.rules if rule.event_type == event_type)
    return (rule.primary, *rule.additional)


def _refuse_pick(pick: str | None) -> None:
    if pick is not None:
        raise BadInput("this master page assigns pages itself; it takes no pick", field="pick")


def _fits(page: Page, attendees: int) -> bool:
    return page.capacity is None or page.capacity >= attendees


def _dynamic_seat(schedule: Schedule, ref: SeatRef, now: datetime, attendees: int) -> Seat:
    """Return a seat's candidates that hold ``attendees``, a pool's in its method's order."""
    if ref.page is not None:
        page = schedule.page(ref.page)
        return Seat((page.id,) if _fits(page, attendees) else ())
    pool = schedule.pool(ref.pool or "")
    order = preference_order(
        pool, schedule.ledger.get(pool.id, ()), schedule.workspace.timezone, now
    )
    pages = [schedule.page(page) for page in order]
    return Seat(tuple(page.id for page in pages if _fits(page, attendees)), pool.id)


def _take_turns(
    schedule: Schedule,
    kind: EventType,
    seats: tuple[Seat, ...],
    tz: str,
    now: datetime,
    member: str | None,
) -> tuple[Seat, ...]:
    """Narrow each round-robin seat, whose pages are its line, to the member whose turn it is.

    A flexible pool's first seat takes ``member`` when the link names one of its members.
    Then, in seat order, each other round-robin seat takes the first member of its line who
    can be booked at an offered start in ``[now, now + lookahead)`` with the seats before it
    as given and the later ones still open: members who cannot (on leave, fully
    booked, never free with a room) are skipped. Two seats of one pool thus take the first
    two members of the line who can sit together. A seat with no such member is left empty.
    """
    turns = [
        index
        for index, seat in enumerate(seats)
        if seat.pool is not None and schedule.pools[seat.pool].method is Method.ROUND_ROBIN
    ]
    if not turns:
        return seats
    given = list(seats)
    for index in turns:
        pool = schedule.pools[given[index].pool or ""]
        if member is not None and pool.flexible and member in given[index].pages:
            given[index] = Seat((member,), pool.id)
            turns.remove(index)
            break
    now = to_utc(now)
    horizon = timedelta(days=kind.max_days_ahead)
    # One computation of every page's free windows serves each member's check.
    free = FreeTime(schedule, kind, now + kind.min_notice, now + horizon + kind.duration)
    for index in turns:
        pool = schedule.pools[given[index].pool or ""]
        until = now + min(pool.lookahead or horizon, horizon)
        line, given[index] = given[index].pages, Seat((), pool.id)
        for page in line:
            trial = [*given[:index], Seat((page,), pool.id), *given[index + 1 :]]
            if _bookable(schedule, kind, trial, tz, now, until, free):
                given[index] = trial[index]
                break
        else:
            break  # an empty seat offers nothing, whoever the later seats would take
    return tuple(given)


def _bookable(
    schedule: Schedule,
    kind: EventType,
    seats: list[Seat],
    tz: str,
    now: datetime,
    until: datetime,
    free: FreeTime,
) -> bool:
    """Tell whether the seats can be filled at some offered start before ``until``."""
    search = SlotSearch(schedule, kind, seats, now, until + kind.duration, tz, now, free=free)
    return any(True for _ in takewhile(lambda slot: slot.start < until, search.slots()))


def _longest_idle(
    schedule: Schedule, master: MasterPage, kind: EventType, pages: tuple[str, ...]
) -> tuple[str, ...]:
    """Order pages by when they last received this event type on this master page.

    Never first; ties keep the event type's listed order (the sort is stable).
    """
    last = schedule.last_received.get((master.id, kind.id), {})
    return tuple(sorted(pages, key=lambda page: last.get(page, NEVER)))


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
