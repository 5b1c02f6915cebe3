"""Master pages, rules and panels: who may fill each seat of a booking.

``seat_candidates`` turns a master page and event type into seats; ``engine.search`` finds
the offered times for them; ``engine.rules`` offers them and fills the seats at a chosen
start. ``involved_pages`` tells, from the configuration alone, which pages a question can
touch.

Choices made here:

* Static rules have no pool and so no ledger. ``pooled`` prefers the free page that least
  recently received a booking of this event type on this master page (``Schedule.
  last_received``; never first), then the order in which the event type lists its pages;
  ``pooled_priority`` takes that listed order as the priority (first listed = highest). A
  static page without a method is ``pooled``.
* A ``pick`` is only for ``find_member_by_time`` and the customer-selection modes; any other
  master page refuses one.
* Round-robin seats take their turns in seat order (``_take_turns``): each gets the first
  member of its line who can be booked at some offered start in ``[now, now + lookahead)``
  with the seats before it as already given and the later ones still open; a seat without
  such a member offers nothing. A ``lookahead`` past the horizon is the horizon. A member
  named for a flexible pool (``member``) takes the first seat of that pool whatever the
  line says; a member no longer active there is ignored and the line decides.
* Capacity: a resource whose ``capacity`` is below ``attendees`` is no candidate for any
  seat, a pick included; pages without a capacity (people) always fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import takewhile

from engine.availability import FreeTime
from engine.distribution import NEVER, preference_order, round_robin_line
from engine.errors import BadInput
from engine.intervals import to_utc
from engine.model import (
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

STATIC_POOLED = (None, StaticMethod.POOLED, StaticMethod.POOLED_PRIORITY)
"""The static methods whose page the master page chooses (a reschedule may choose again)."""
# The static methods that rank pages by when they last received a booking (``_longest_idle``).
_LONGEST_IDLE = (None, StaticMethod.POOLED)


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
    master, kind = master_and_kind(schedule, master_page, event_type)
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
    master, _ = master_and_kind(schedule, master_page, event_type)
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
    master, kind = master_and_kind(schedule, master_page, event_type)
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
    if master.mode is MasterMode.STATIC and master.method in STATIC_POOLED:
        _refuse_pick(pick)
        if master.method is StaticMethod.POOLED_PRIORITY:
            return (Seat(pages),)
        return (Seat(_longest_idle(schedule, master, kind, pages)),)
    if pick is None:
        return (Seat(pages),)
    if pick not in kind.pages:
        raise BadInput(f"'{pick}' is not a page of event type '{kind.id}'", field="pick")
    return (Seat((pick,) if pick in pages else ()),)


def master_and_kind(
    schedule: Schedule, master_page: str, event_type: str
) -> tuple[MasterPage, EventType]:
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
