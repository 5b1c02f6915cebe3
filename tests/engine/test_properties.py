"""Properties of offering and assignment over random bookings.

Grid-sensitive properties (pooled = union, adding a booking or removing a member never
adds a slot) only hold when every window starts on the slot grid: the grid restarts at
each window start (§4.2), so a booking that trims a window's start can move the grid.
Their strategies therefore keep bookings, buffers and durations on a 30-minute grid.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.availability import page_is_free
from engine.errors import SlotUnavailable
from engine.model import EventType, Occupancy, PoolMember, SeatRef
from engine.rules import SeatAssignment, assign, refill
from engine.slots import offered_slots
from tests.engine.factories import at, dynamic, page, pool, schedule, static, weekly

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
