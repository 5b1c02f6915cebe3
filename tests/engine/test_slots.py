from __future__ import annotations

from datetime import date

import pytest

from engine.errors import BadInput, NotFound
from engine.model import MasterMode, Method, SeatRef
from engine.rules import offered_slots
from engine.search import Slot
from tests.engine.factories import (
    at,
    booking,
    clock,
    day_range,
    dynamic,
    event,
    one_page,
    page,
    pool,
    ranges,
    room,
    schedule,
    selection,
    stamps,
    static,
    weekly,
)

MONDAY = "2026-06-01"
EARLY = at("2026-05-25T00:00Z")


def slots_on(target, day=MONDAY, tz="UTC", now=EARLY, days=1, master="desk", pick=None):
    start, end = day_range(day, tz, days)
    return offered_slots(target, master, "meet", start, end, tz, now, pick)


def test_back_to_back_bookings_leave_the_times_around_them():
    schedule_ = one_page(
        page("alice", hours=weekly("09:00-12:00")),
        event(30),
        bookings=[
            booking("alice", "2026-06-01T10:00Z", "2026-06-01T10:30Z"),
            booking("alice", "2026-06-01T10:30Z", "2026-06-01T11:00Z"),
        ],
    )
    assert clock(slots_on(schedule_)) == ["09:00", "09:30", "11:00", "11:30"]


def test_slots_are_utc_intervals_of_the_event_types_duration():
    schedule_ = one_page(page("alice", hours=weekly("09:00-10:00")), event(30))
    assert slots_on(schedule_) == [
        Slot(at("2026-06-01T09:00Z"), at("2026-06-01T09:30Z")),
        Slot(at("2026-06-01T09:30Z"), at("2026-06-01T10:00Z")),
    ]


def test_the_grid_restarts_at_the_start_of_each_window():
    schedule_ = one_page(
        page("alice", hours=weekly("04:00-08:00")),
        event(45),
        bookings=[booking("alice", "2026-06-01T04:00Z", "2026-06-01T04:15Z")],
    )
    assert clock(slots_on(schedule_)) == ["04:15", "05:00", "05:45", "06:30", "07:15"]


def test_minimum_notice_pushes_the_first_slot_to_the_next_aligned_time():
    schedule_ = one_page(page("alice"), event(30, notice=120))
    now = at("2026-06-01T08:10Z")
    assert (
        clock(slots_on(schedule_, now=now))
        == [f"{h:02}:{m:02}" for h in range(10, 17) for m in (0, 30)][1:]
    )


def test_buffers_of_both_meetings_add_up():
    schedule_ = one_page(
        page("alice", hours=weekly("09:00-13:00")),
        event(30, before=15, after=10),
        bookings=[booking("alice", "2026-06-01T10:00Z", "2026-06-01T11:00Z", before=5, after=15)],
    )
    # Blocked 09:45 (10:00 - 5 - 10) to 11:30 (11:00 + 15 + 15).
    assert clock(slots_on(schedule_)) == ["09:00", "11:30", "12:00", "12:30"]


def test_a_date_override_offers_only_its_hours():
    target = page("alice", overrides={date(2026, 6, 1): ranges("13:00-15:00")})
    assert clock(slots_on(one_page(target, event(60)))) == ["13:00", "14:00"]


def test_an_empty_override_is_a_day_off():
    target = page("alice", hours=weekly("09:00-11:00"), overrides={date(2026, 6, 1): ()})
    assert stamps(slots_on(one_page(target, event(60)), days=2)) == [
        "2026-06-02 09:00",
        "2026-06-02 10:00",
    ]


def test_the_daily_limit_counts_bookings_on_the_pages_local_date():
    # 16:00Z on 1 June is 2 June 01:00 in Tokyo but 1 June in Los Angeles and in UTC, so
    # only the page's own calendar puts the booking on 2 June and closes that day.
    target = page("tokyo", "Asia/Tokyo", weekly("20:00-23:00"), max_per_day=1)
    schedule_ = one_page(
        target, event(60), bookings=[booking("tokyo", "2026-06-01T16:00Z", "2026-06-01T16:30Z")]
    )
    found = offered_slots(
        schedule_,
        "desk",
        "meet",
        at("2026-06-01T00:00Z"),
        at("2026-06-03T00:00Z"),
        "America/Los_Angeles",
        EARLY,
    )
    assert stamps(found) == ["2026-06-01 11:00", "2026-06-01 12:00", "2026-06-01 13:00"]


def test_the_weekly_limit_counts_bookings_in_the_pages_local_monday_to_sunday_week():
    # 16:00Z on Sunday 7 June is Monday 8 June in Tokyo: the page's next week is full,
    # while in Los Angeles (the requester) it would still be the week of 1 June.
    target = page("tokyo", "Asia/Tokyo", weekly("20:00-23:00"), max_per_week=1)
    schedule_ = one_page(
        target, event(60), bookings=[booking("tokyo", "2026-06-07T16:00Z", "2026-06-07T16:30Z")]
    )
    found = offered_slots(
        schedule_,
        "desk",
        "meet",
        at("2026-06-06T00:00Z"),
        at("2026-06-10T00:00Z"),
        "America/Los_Angeles",
        EARLY,
    )
    assert stamps(found) == [f"2026-06-0{day} {hour}:00" for day in (6, 7) for hour in (11, 12, 13)]


def test_a_kolkata_requester_gets_starts_aligned_in_their_own_zone():
    schedule_ = one_page(page("alice", hours=weekly("09:00-17:00")), event(60))
    start, end = day_range(MONDAY)
    found = offered_slots(schedule_, "desk", "meet", start, end, "Asia/Kolkata", EARLY)
    # 09:00Z is 14:30 in Kolkata (+05:30): the first whole local hour is 15:00 = 09:30Z.
    assert clock(found) == ["09:30", "10:30", "11:30", "12:30", "13:30", "14:30", "15:30"]
    assert clock(found, "Asia/Kolkata")[0] == "15:00"


def test_new_york_hours_keep_their_local_time_across_both_dst_changes():
    # America/New_York: spring forward 2026-03-08 02:00 EST -> 03:00 EDT;
    # fall back 2026-11-01 02:00 EDT -> 01:00 EST.
    schedule_ = one_page(page("alice", "America/New_York", weekly("09:00-11:00")), event(60))
    spring = slots_on(
        schedule_, "2026-03-07", "America/New_York", days=3, now=at("2026-03-01T00:00Z")
    )
    assert stamps(spring) == [
        "2026-03-07 14:00", "2026-03-07 15:00",
        "2026-03-08 13:00", "2026-03-08 14:00",
        "2026-03-09 13:00", "2026-03-09 14:00",
    ]  # fmt: skip
    autumn = slots_on(
        schedule_, "2026-10-31", "America/New_York", days=2, now=at("2026-10-01T00:00Z")
    )
    assert stamps(autumn) == [
        "2026-10-31 13:00",
        "2026-10-31 14:00",
        "2026-11-01 14:00",
        "2026-11-01 15:00",
    ]
    assert set(clock(spring + autumn, "America/New_York")) == {"09:00", "10:00"}


def test_new_york_night_hours_across_the_missing_and_the_repeated_hour():
    # America/New_York: 2026-03-08 02:00-03:00 does not exist; 2026-11-01 01:00-02:00 happens twice.
    schedule_ = one_page(page("alice", "America/New_York", weekly("01:00-04:00")), event(60))
    spring = slots_on(schedule_, "2026-03-08", "America/New_York", now=at("2026-03-01T00:00Z"))
    # 01:00 EST = 06:00Z to 04:00 EDT = 08:00Z: two real hours.
    assert stamps(spring) == ["2026-03-08 06:00", "2026-03-08 07:00"]
    autumn = slots_on(schedule_, "2026-11-01", "America/New_York", now=at("2026-10-01T00:00Z"))
    # The first 01:00 (EDT) = 05:00Z to 04:00 EST = 09:00Z: four real hours.
    assert stamps(autumn) == [
        "2026-11-01 05:00",
        "2026-11-01 06:00",
        "2026-11-01 07:00",
        "2026-11-01 08:00",
    ]


def test_london_night_hours_across_the_missing_and_the_repeated_hour():
    # Europe/London: 2026-03-29 01:00 GMT -> 02:00 BST; 2026-10-25 02:00 BST -> 01:00 GMT.
    schedule_ = one_page(page("alice", "Europe/London", weekly("01:00-03:00")), event(60))
    spring = slots_on(schedule_, "2026-03-29", "Europe/London", now=at("2026-03-01T00:00Z"))
    # 01:00 does not exist and moves to 02:00 BST = 01:00Z; 03:00 BST = 02:00Z.
    assert stamps(spring) == ["2026-03-29 01:00"]
    autumn = slots_on(schedule_, "2026-10-25", "Europe/London", now=at("2026-10-01T00:00Z"))
    # The first 01:00 (BST) = 00:00Z to 03:00 GMT = 03:00Z.
    assert stamps(autumn) == ["2026-10-25 00:00", "2026-10-25 01:00", "2026-10-25 02:00"]


def test_a_new_york_requester_sees_london_hours_shift_between_the_two_spring_changes():
    # US clocks change 2026-03-08, UK clocks 2026-03-29: for three weeks the gap is 4 hours.
    schedule_ = one_page(page("alice", "Europe/London", weekly("09:00-10:00")), event(60))
    now = at("2026-03-01T00:00Z")
    found = [
        clock(slots_on(schedule_, day, "America/New_York", now=now), "America/New_York")
        for day in ("2026-03-06", "2026-03-09", "2026-03-30")
    ]
    assert found == [["04:00"], ["05:00"], ["04:00"]]


def test_no_slot_starts_at_or_after_the_horizon():
    schedule_ = one_page(page("alice", hours=weekly("09:00-11:00")), event(60, horizon=2))
    now = at("2026-06-01T10:00Z")
    # The horizon ends at 2026-06-03 10:00Z: 10:00 that day is the first start past it.
    assert stamps(slots_on(schedule_, days=4, now=now)) == [
        "2026-06-01 10:00", "2026-06-02 09:00", "2026-06-02 10:00", "2026-06-03 09:00",
    ]  # fmt: skip


def test_a_panel_needs_every_page_free_at_once():
    kind = event(60)
    schedule_ = schedule(
        [page("a", hours=weekly("09:00-12:00")), page("b", hours=weekly("09:00-12:00"))],
        [kind],
        [dynamic("panel", "meet", SeatRef(page="a"), SeatRef(page="b"))],
        bookings=[
            booking("a", "2026-06-01T09:00Z", "2026-06-01T10:00Z"),
            booking("b", "2026-06-01T10:00Z", "2026-06-01T11:00Z"),
        ],
    )
    assert clock(slots_on(schedule_, master="panel")) == ["11:00"]


def test_a_pool_offers_the_union_where_a_panel_offers_the_intersection():
    bookings = [
        booking("a", "2026-06-01T09:00Z", "2026-06-01T10:00Z"),
        booking("b", "2026-06-01T10:00Z", "2026-06-01T11:00Z"),
    ]
    people = [page("a", hours=weekly("09:00-12:00")), page("b", hours=weekly("09:00-12:00"))]
    masters = [
        dynamic("panel", "meet", SeatRef(page="a"), SeatRef(page="b")),
        dynamic("either", "meet", SeatRef(pool="duo")),
    ]
    schedule_ = schedule(people, [event(60)], masters, [pool("duo", "a", "b")], bookings)
    assert clock(slots_on(schedule_, master="either")) == ["09:00", "10:00", "11:00"]
    assert clock(slots_on(schedule_, master="panel")) == ["11:00"]


def test_a_pool_never_stitches_two_members_partial_windows():
    people = [page("a", hours=weekly("09:00-09:30")), page("b", hours=weekly("09:30-10:00"))]
    schedule_ = schedule(
        people,
        [event(60)],
        [dynamic("either", "meet", SeatRef(pool="duo"))],
        [pool("duo", "a", "b")],
    )
    assert slots_on(schedule_, master="either") == []


def test_a_person_plus_a_pool_of_four_rooms_needs_the_person_and_one_free_room():
    rooms = [room(f"r{i}") for i in range(1, 5)]
    bookings = [booking(f"r{i}", "2026-06-01T09:00Z", "2026-06-01T10:00Z") for i in range(1, 5)]
    bookings += [
        booking("r1", "2026-06-01T10:00Z", "2026-06-01T11:00Z"),
        booking("alice", "2026-06-01T11:00Z", "2026-06-01T12:00Z"),
    ]
    schedule_ = schedule(
        [page("alice", hours=weekly("09:00-13:00")), *rooms],
        [event(60)],
        [dynamic("meet-room", "meet", SeatRef(page="alice"), SeatRef(pool="rooms"))],
        [pool("rooms", *(r.id for r in rooms))],
        bookings,
    )
    assert clock(slots_on(schedule_, master="meet-room")) == ["10:00", "12:00"]


def test_a_page_in_two_seats_cannot_fill_both():
    people = [page("a"), page("b", hours=weekly("09:00-10:00"))]
    schedule_ = schedule(
        people,
        [event(60)],
        [dynamic("panel", "meet", SeatRef(page="a"), SeatRef(pool="duo"))],
        [pool("duo", "a", "b")],
    )
    # The pool seat can only use b, so only b's hour is offered.
    assert clock(slots_on(schedule_, master="panel")) == ["09:00"]


def test_pages_first_shows_only_the_picked_page_and_the_union_without_a_pick():
    people = [page("a", hours=weekly("09:00-10:00")), page("b", hours=weekly("10:00-11:00"))]
    schedule_ = schedule(people, [event(60, pages=("a", "b"))], [selection("people", "meet")])
    assert clock(slots_on(schedule_, master="people", pick="b")) == ["10:00"]
    assert clock(slots_on(schedule_, master="people")) == ["09:00", "10:00"]


def test_event_types_first_takes_a_pick_like_pages_first():
    people = [page("a", hours=weekly("09:00-10:00")), page("b", hours=weekly("10:00-11:00"))]
    master = selection("people", "meet", mode=MasterMode.EVENT_TYPES_FIRST)
    schedule_ = schedule(people, [event(60, pages=("a", "b"))], [master])
    assert clock(slots_on(schedule_, master="people", pick="a")) == ["09:00"]


def test_a_round_robin_seat_offers_only_the_next_member_in_line():
    people = [page("a", hours=weekly("09:00-10:00")), page("b", hours=weekly("10:00-11:00"))]
    schedule_ = schedule(
        people,
        [event(60)],
        [dynamic("rr", "meet", SeatRef(pool="duo"))],
        [pool("duo", "a", "b", method=Method.ROUND_ROBIN)],
    )
    assert clock(slots_on(schedule_, master="rr")) == ["09:00"]


def test_an_unknown_master_page_is_not_found():
    with pytest.raises(NotFound):
        slots_on(one_page(page("alice"), event(60)), master="nope")


def test_an_event_type_the_master_page_does_not_offer_is_bad_input():
    schedule_ = schedule(
        [page("alice")],
        [event(60, pages=("alice",)), event(30, event_id="other")],
        [static("desk", "other")],
    )
    with pytest.raises(BadInput, match="does not offer"):
        slots_on(schedule_)


def test_a_pick_outside_the_event_types_pages_is_bad_input():
    schedule_ = schedule(
        [page("a"), page("b")], [event(60, pages=("a",))], [selection("people", "meet")]
    )
    with pytest.raises(BadInput, match="not a page"):
        slots_on(schedule_, master="people", pick="b")


def test_a_pooled_static_page_takes_no_pick():
    with pytest.raises(BadInput, match="no pick"):
        slots_on(one_page(page("alice"), event(60)), pick="alice")


def test_an_unknown_requester_time_zone_is_bad_input():
    schedule_ = one_page(page("alice"), event(60))
    with pytest.raises(BadInput, match="time zone"):
        offered_slots(
            schedule_,
            "desk",
            "meet",
            at("2026-06-01T00:00Z"),
            at("2026-06-02T00:00Z"),
            "Mars/Base",
            EARLY,
        )
