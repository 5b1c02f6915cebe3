"""Properties of offering and assignment over random bookings.

Round-robin turns are checked against an oracle built from plain offering, and a
broken engine (members checked alone) is shown to fail them.

Grid-sensitive properties (pooled = union, adding a booking or removing a member never
adds a slot) only hold when every window starts on the slot grid: the grid restarts at
each window start, so a booking that trims a window's start can move the grid.
Their strategies therefore keep bookings, buffers and durations on a 30-minute grid.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import find, given, settings
from hypothesis import strategies as st

from engine.availability import page_is_free
from engine.distribution import preference_order, round_robin_line
from engine.errors import SlotUnavailable
from engine.model import (
    EventType,
    LedgerEntry,
    LedgerKind,
    Method,
    Occupancy,
    PoolMember,
    Priority,
    SeatRef,
)
from engine.rules import SeatAssignment, assign, offered_slots, refill
from engine.search import Seat, SlotSearch
from tests.engine.factories import (
    at,
    dynamic,
    page,
    pool,
    room,
    schedule,
    static,
    weekly,
    with_config,
)

DAY = at("2026-06-01T00:00Z")
START, END = DAY, DAY + timedelta(days=2)
NOW = at("2026-05-30T00:00Z")
PAGES = ("a", "b", "c")
# Different hours make seats compete for the one page that is often the only one free.
PEOPLE = [
    page("a", hours=weekly("09:00-17:00", days="mon-fri")),
    page("b", hours=weekly("10:00-16:00", days="mon-fri")),
    page("c", hours=weekly("09:00-12:00", days="mon-fri")),
]
FAST = settings(max_examples=60, deadline=None)


def occupancy(unit: int, longest: int, buffers: tuple[int, ...]):
    """Bookings on a ``unit``-minute grid over the two days, with buffers from ``buffers``."""
    return st.lists(
        st.builds(
            lambda p, s, n, b, a: Occupancy(
                p,
                DAY + timedelta(minutes=unit * s),
                DAY + timedelta(minutes=unit * (s + n)),
                timedelta(minutes=b),
                timedelta(minutes=a),
            ),
            st.sampled_from(PAGES),
            st.integers(0, 2 * 24 * 60 // unit),
            st.integers(1, longest),
            st.sampled_from(buffers),
            st.sampled_from(buffers),
        ),
        max_size=14,
    )


any_event = st.builds(
    lambda d, s, b, a: EventType(
        "meet",
        "Meet",
        timedelta(minutes=d),
        step=None if s is None else timedelta(minutes=s),
        buffer_before=timedelta(minutes=b),
        buffer_after=timedelta(minutes=a),
        pages=PAGES,
    ),
    st.sampled_from([15, 30, 45, 60]),
    st.sampled_from([None, 10, 15, 20]),
    st.integers(0, 20),
    st.integers(0, 20),
)
grid_event = st.builds(
    lambda d, b, a: EventType(
        "meet",
        "Meet",
        timedelta(minutes=d),
        step=timedelta(minutes=30),
        buffer_before=timedelta(minutes=b),
        buffer_after=timedelta(minutes=a),
        pages=PAGES,
    ),
    st.sampled_from([30, 60, 90]),
    st.sampled_from([0, 30]),
    st.sampled_from([0, 30]),
)
MASTERS = [
    static("single", "meet"),
    dynamic("pooled", "meet", SeatRef(pool="trio")),
    dynamic("panel", "meet", SeatRef(page="a"), SeatRef(page="b")),
    dynamic("mixed", "meet", SeatRef(pool="trio"), SeatRef(pool="duo")),
]


def build(kind, bookings, trio=PAGES):
    pools = [pool("trio", *trio), pool("duo", "a", "b")]
    return schedule(PEOPLE, [kind], MASTERS, pools, bookings)


def offered(target, master, **kwargs):
    return offered_slots(target, master, "meet", START, END, "UTC", NOW, **kwargs)


def overlaps_padding(slot, item: Occupancy, kind: EventType) -> bool:
    start = item.start - item.buffer_before - kind.buffer_after
    end = item.end + item.buffer_after + kind.buffer_before
    return slot.start < end and start < slot.end


@FAST
@given(any_event, occupancy(5, 24, (0, 5, 10, 15)))
def test_an_offered_slot_never_overlaps_the_padded_busy_time_of_a_page_it_needs(kind, bookings):
    target = build(kind, bookings)
    for slot in offered(target, "panel"):
        assert not any(overlaps_padding(slot, item, kind) for item in bookings if item.page in "ab")
    for slot in offered(target, "single"):
        needed = assign(target, "single", "meet", slot.start, "UTC", NOW).owner
        assert not any(
            overlaps_padding(slot, item, kind) for item in bookings if item.page == needed
        )


@FAST
@given(any_event, occupancy(5, 24, (0, 5, 10)))
def test_every_offered_panel_slot_has_distinct_free_pages_for_all_seats(kind, bookings):
    target = build(kind, bookings)
    for slot in offered(target, "mixed"):
        pages = [
            seat.page for seat in assign(target, "mixed", "meet", slot.start, "UTC", NOW).seats
        ]
        assert len(set(pages)) == len(pages) == 2
        assert all(page_is_free(target, p, "meet", slot.start) for p in pages)


@FAST
@given(grid_event, occupancy(30, 6, (0, 30)))
def test_pooled_slots_are_the_union_of_each_members_slots_on_the_same_grid(kind, bookings):
    target = build(kind, bookings)
    alone = set()
    for member in PAGES:
        solo = EventType(**{**{n: getattr(kind, n) for n in kind.__slots__}, "pages": (member,)})
        alone |= set(offered(schedule(PEOPLE, [solo], MASTERS, (), bookings), "single"))
    assert set(offered(target, "pooled")) == alone


@FAST
@given(grid_event, occupancy(30, 6, (0, 30)), occupancy(30, 6, (0, 30)).filter(bool))
def test_adding_a_booking_never_adds_a_slot(kind, bookings, more):
    before, after = build(kind, bookings), build(kind, [*bookings, more[0]])
    for master in ("pooled", "panel", "mixed"):
        assert set(offered(after, master)) <= set(offered(before, master))


@FAST
@given(grid_event, occupancy(30, 6, (0, 30)), st.sampled_from(PAGES))
def test_removing_a_member_never_adds_a_slot(kind, bookings, leaver):
    whole = build(kind, bookings)
    smaller = build(kind, bookings, trio=tuple(p for p in PAGES if p != leaver))
    for master in ("pooled", "mixed"):
        assert set(offered(smaller, master)) <= set(offered(whole, master))


def test_an_inactive_member_offers_nothing_a_removed_one_would_not():
    members = (PoolMember("a", joined=0), PoolMember("b", active=False, joined=1))
    kind = EventType("meet", "Meet", timedelta(minutes=30), pages=PAGES)
    inactive = schedule(
        PEOPLE, [kind], MASTERS, [pool("trio", members=members), pool("duo", "a", "b")]
    )
    assert offered(inactive, "pooled") == offered(build(kind, [], trio=("a",)), "pooled")


# Round robin in panels: a turn goes to the first member of the line who can be
# booked with every other seat within the lookahead. The oracle below checks each member
# with the engine's plain offering of fixed pages and pooled seats (property-tested above),
# not with the round-robin code: a variant master page puts the member on a fixed seat,
# the turns given before on theirs, and leaves the later round-robin seats open to the
# whole line.
LINE = ("a", "b", "c", "d")
ROOMS = ("x", "y")
SHIFTS = ["09:00-17:00", "10:00-16:00", "09:00-12:00", "13:00-17:00", "18:00-22:00"]
TURN_MASTERS = {
    "with-room": (SeatRef(pool="line"), SeatRef(pool="rooms")),
    "pair": (SeatRef(pool="rooms"), SeatRef(pool="line"), SeatRef(pool="line")),
}
TURN_NOW = at("2026-05-31T12:00Z")  # a Sunday: the window is Monday 1 June on
TURN_EVENT = EventType("meet", "Meet", timedelta(minutes=60), max_days_ahead=3, pages=PAGES)


@st.composite
def turn_worlds(draw):
    shifts = draw(st.lists(st.sampled_from(SHIFTS), min_size=4, max_size=4))
    people = [
        page(name, hours=weekly(shift, days="mon-fri"))
        for name, shift in zip(LINE, shifts, strict=True)
    ]
    rooms = [
        replace(room(name), hours=weekly(hours))
        for name, hours in zip(
            ROOMS, draw(st.permutations(["08:00-12:00", "12:00-18:00"])), strict=True
        )
    ]
    order = draw(st.permutations(LINE))
    lookahead = draw(st.sampled_from([None, timedelta(hours=30), timedelta(days=2)]))
    bookings = draw(
        st.lists(
            st.builds(
                lambda p, s, n: Occupancy(
                    p, DAY + timedelta(hours=s), DAY + timedelta(hours=s + n)
                ),
                st.sampled_from(LINE + ROOMS),
                st.integers(0, 60),
                st.integers(1, 24),
            ),
            max_size=8,
        )
    )
    members = tuple(PoolMember(name, joined=i) for i, name in enumerate(order))
    pools = [
        pool("line", method=Method.ROUND_ROBIN, members=members, lookahead=lookahead),
        pool("rooms", *ROOMS),
        pool("open", members=members),
    ]
    masters = [dynamic(name, "meet", *refs) for name, refs in TURN_MASTERS.items()]
    return schedule([*people, *rooms], [TURN_EVENT], masters, pools, bookings), lookahead


def bookable_with(world, refs, until):
    variant = with_config(world, master_pages={"variant": dynamic("variant", "meet", *refs)})
    found = offered_slots(
        variant, "variant", "meet", TURN_NOW, until + timedelta(hours=1), "UTC", TURN_NOW
    )
    return [slot for slot in found if slot.start < until]


def expected_turns(world, lookahead, master):
    """Return {seat index: member} by the round-robin rule, or None when some seat has nobody."""
    refs = list(TURN_MASTERS[master])
    until = TURN_NOW + min(lookahead or timedelta(days=3), timedelta(days=3))
    line = round_robin_line(world.pools["line"], (), "UTC", TURN_NOW)
    turns: dict[int, str] = {}
    for index, ref in enumerate(refs):
        if ref.pool != "line":
            continue
        for member in line:
            trial = [
                SeatRef(page=turns[i])
                if i in turns
                else SeatRef(page=member)
                if i == index
                else SeatRef(pool="open")
                if r.pool == "line"
                else r
                for i, r in enumerate(refs)
            ]
            if bookable_with(world, trial, until):
                turns[index] = member
                break
        else:
            return None
    return turns


def turn_violations(world, lookahead, master):
    """Return what breaks the round-robin properties on one master page (empty: none)."""
    turns = expected_turns(world, lookahead, master)
    slots = offered_slots(world, master, "meet", START, END, "UTC", TURN_NOW)
    if turns is None:
        return [f"{master}: a seat has nobody who can be booked, yet {len(slots)} offered"] * bool(
            slots
        )
    problems = []
    for slot in slots:
        seats = assign(world, master, "meet", slot.start, "UTC", TURN_NOW).seats
        pages = [seat.page for seat in seats]
        if len(set(pages)) != len(pages):
            problems.append(f"{master} {slot.start}: pages repeat {pages}")
        if not all(page_is_free(world, p, "meet", slot.start) for p in pages):
            problems.append(f"{master} {slot.start}: a page is not free {pages}")
        taken = {index: pages[index] for index in turns}
        if taken != turns:
            problems.append(f"{master} {slot.start}: turns {taken}, the line says {turns}")
    fixed = [
        SeatRef(page=turns[i]) if i in turns else ref for i, ref in enumerate(TURN_MASTERS[master])
    ]
    variant = with_config(world, master_pages={"variant": dynamic("variant", "meet", *fixed)})
    if slots != offered_slots(variant, "variant", "meet", START, END, "UTC", TURN_NOW):
        problems.append(f"{master}: offers other times than its turns' members")
    return problems


@settings(max_examples=40, deadline=None)
@given(turn_worlds())
def test_round_robin_turns_go_to_the_first_members_who_can_be_booked_with_every_seat(drawn):
    world, lookahead = drawn
    for master in TURN_MASTERS:
        assert turn_violations(world, lookahead, master) == []


def alone_turns(schedule_, kind, seats, tz, now, member):
    """The old engine: a member keeps the turn when it has a slot of its own, alone."""
    horizon = now + timedelta(days=kind.max_days_ahead) + kind.duration
    given = list(seats)
    for index, seat in enumerate(seats):
        if seat.pool is None or schedule_.pools[seat.pool].method is not Method.ROUND_ROBIN:
            continue
        given[index] = Seat((), seat.pool)
        for member_page in seat.pages:
            alone = SlotSearch(schedule_, kind, (Seat((member_page,)),), now, horizon, tz, now)
            if next(alone.slots(), None) is not None:
                given[index] = Seat((member_page,), seat.pool)
                break
    return tuple(given)


def test_the_round_robin_properties_catch_an_engine_that_checks_members_alone(monkeypatch):
    monkeypatch.setattr("engine.seats._take_turns", alone_turns)
    for master in TURN_MASTERS:
        broken = find(
            turn_worlds(),
            lambda drawn, master=master: bool(turn_violations(*drawn, master)),
            settings=settings(max_examples=300, deadline=None, database=None),
        )
        assert turn_violations(*broken, master)


@FAST
@given(
    any_event,
    occupancy(5, 24, (0, 5, 10)),
    st.sampled_from(["pooled", "mixed", "panel", "single"]),
    st.lists(st.sampled_from(PAGES), min_size=2, max_size=2, unique=True),
)
def test_a_refill_keeps_every_free_held_page_and_gives_distinct_free_pages(
    kind, bookings, master, held_pages
):
    target = build(kind, bookings)
    seats = {"pooled": ("trio",), "mixed": ("trio", "duo"), "panel": (None, None)}
    held = [
        SeatAssignment(page, pool_id)
        for page, pool_id in zip(
            ("a", "b") if master == "panel" else held_pages,
            seats.get(master, (None,)),
            strict=False,
        )
    ]
    for slot in offered(target, master)[:12]:
        try:
            moved = refill(target, master, "meet", slot.start, "UTC", NOW, held)
        except SlotUnavailable:
            # At an offered time only kept pages can stand in the way: a held page that is
            # free keeps its seat even when another seat then has no distinct page left.
            assert master == "mixed"
            assert not all(page_is_free(target, h.page, "meet", slot.start) for h in held)
            continue
        pages = [seat.page for seat in moved.seats]
        assert len(pages) == len(set(pages)) == len(held)
        assert all(page_is_free(target, p, "meet", slot.start) for p in pages)
        for before, after in zip(held, moved.seats, strict=True):
            if page_is_free(target, before.page, "meet", slot.start):
                assert after == before


# A pool seat takes the first member, in the pool's order of preference, who is free and
# leaves the other seats fillable; the engine stops at that member. The oracle checks every
# member eagerly, in the order ``preference_order`` gives, with ``page_is_free``.
CROWD = tuple(f"p{i}" for i in range(6))
CROWD_HOURS = ["09:00-17:00", "10:00-16:00", "09:00-12:00", "13:00-17:00"]
CROWD_MASTERS = {"alone": ("crowd",), "with-pair": ("crowd", "pair")}


@st.composite
def ranked_worlds(draw):
    people = [
        page(name, hours=weekly(draw(st.sampled_from(CROWD_HOURS)), days="mon-fri"))
        for name in CROWD
    ]
    names = draw(st.permutations(CROWD))[: draw(st.integers(1, len(CROWD)))]
    members = tuple(
        PoolMember(
            name,
            priority=draw(st.sampled_from(list(Priority))),
            active=index == 0 or draw(st.booleans()),
            joined=draw(st.integers(0, 2)),
        )
        for index, name in enumerate(names)
    )
    method = draw(st.sampled_from([Method.POOLED, Method.POOLED_PRIORITY]))
    ledger = draw(
        st.lists(
            st.builds(
                lambda p, k, m: LedgerEntry("crowd", p, k, NOW - timedelta(minutes=m)),
                st.sampled_from(names),
                st.sampled_from([LedgerKind.RECEIVED, LedgerKind.REMOVED]),
                st.integers(0, 3 * 24 * 60),
            ),
            max_size=12,
        )
    )
    bookings = draw(
        st.lists(
            st.builds(
                lambda p, s, n: Occupancy(
                    p, DAY + timedelta(minutes=30 * s), DAY + timedelta(minutes=30 * (s + n))
                ),
                st.sampled_from(CROWD),
                st.integers(0, 4 * 24),
                st.integers(1, 8),
            ),
            max_size=14,
        )
    )
    kind = EventType("meet", "Meet", timedelta(minutes=30), pages=CROWD)
    pools = [pool("crowd", method=method, members=members), pool("pair", "p0", "p1")]
    masters = [
        dynamic(name, "meet", *(SeatRef(pool=p) for p in refs))
        for name, refs in CROWD_MASTERS.items()
    ]
    return schedule(people, [kind], masters, pools, bookings, ledger=ledger)


def eager_choice(world, master, start):
    """Every member checked, then the first in preference order who leaves the rest fillable."""
    orders = [
        preference_order(world.pools[p], world.ledger.get(p, ()), "UTC", NOW)
        for p in CROWD_MASTERS[master]
    ]
    free = {p: page_is_free(world, p, "meet", start) for order in orders for p in order}
    chosen: list[str] = []
    for index, order in enumerate(orders):
        rest = orders[index + 1 :]
        candidates = [
            p
            for p in order
            if free[p]
            and p not in chosen
            and all(any(free[q] and q not in {*chosen, p} for q in later) for later in rest)
        ]
        chosen.append(candidates[0])
    return chosen


@FAST
@given(ranked_worlds())
def test_a_pool_seat_takes_the_first_free_member_in_preference_order(world):
    for master in CROWD_MASTERS:
        for slot in offered_slots(world, master, "meet", START, END, "UTC", NOW)[:12]:
            seats = assign(world, master, "meet", slot.start, "UTC", NOW).seats
            assert [seat.page for seat in seats] == eager_choice(world, master, slot.start)
