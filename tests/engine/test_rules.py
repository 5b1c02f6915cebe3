from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from engine.errors import BadInput, NotFound, SlotUnavailable
from engine.model import Method, PoolMember, Priority, SeatRef, StaticMethod
from engine.rules import Assignment, SeatAssignment, assign, free_pages, offered_slots
from engine.seats import Involved, involved_pages, needs_headcount
from tests.engine.factories import (
    at,
    booking,
    dynamic,
    event,
    one_page,
    page,
    pool,
    received,
    room,
    schedule,
    selection,
    static,
    weekly,
    with_config,
)

NOW = at("2026-05-25T00:00Z")
NINE = at("2026-06-01T09:00Z")


def test_assigning_a_single_page_gives_it_the_booking():
    result = assign(one_page(page("alice"), event(60)), "desk", "meet", NINE, "UTC", NOW)
    assert result == Assignment((SeatAssignment("alice"),))
    assert result.owner == "alice"
    assert result.participants == ()


def test_a_start_that_is_not_offered_is_unavailable():
    with pytest.raises(SlotUnavailable):
        assign(
            one_page(page("alice"), event(60)), "desk", "meet", at("2026-06-01T09:30Z"), "UTC", NOW
        )


def test_a_start_inside_the_minimum_notice_is_unavailable():
    with pytest.raises(SlotUnavailable):
        assign(
            one_page(page("alice"), event(60, notice=120)),
            "desk",
            "meet",
            NINE,
            "UTC",
            at("2026-06-01T08:00Z"),
        )


def test_a_slot_ending_after_the_requesters_midnight_can_be_booked():
    target = page("alice", hours=weekly("00:00-24:00"))
    now = at("2026-06-01T23:10Z")
    late = at("2026-06-01T23:30Z")
    result = assign(one_page(target, event(60, step=30)), "desk", "meet", late, "UTC", now)
    assert result.owner == "alice"


def test_a_round_robin_seat_skips_the_next_member_when_they_are_on_leave():
    leave = {date(2026, 5, 25) + timedelta(days=n): () for n in range(10)}
    people = [page("alice", overrides=leave), page("bob")]
    schedule_ = schedule(
        people,
        [event(60, horizon=7)],
        [dynamic("rr", "meet", SeatRef(pool="sales"))],
        [pool("sales", "alice", "bob", method=Method.ROUND_ROBIN)],
    )
    # Alice is first in line (joined first) but is off for the whole 7-day horizon.
    result = assign(schedule_, "rr", "meet", NINE, "UTC", at("2026-05-28T00:00Z"))
    assert result == Assignment((SeatAssignment("bob", "sales"),))


def test_a_round_robin_seat_gives_the_booking_to_the_member_with_the_lowest_score():
    schedule_ = schedule(
        [page("alice"), page("bob")],
        [event(60)],
        [dynamic("rr", "meet", SeatRef(pool="sales"))],
        [pool("sales", "alice", "bob", method=Method.ROUND_ROBIN)],
        ledger=[received("sales", "alice", "2026-05-20T10:00Z")],
    )
    assert assign(schedule_, "rr", "meet", NINE, "UTC", NOW).owner == "bob"


def test_a_round_robin_seat_with_nobody_available_offers_nothing():
    schedule_ = schedule(
        [page("alice", hours=weekly())],
        [event(60)],
        [dynamic("rr", "meet", SeatRef(pool="sales"))],
        [pool("sales", "alice", method=Method.ROUND_ROBIN)],
    )
    with pytest.raises(SlotUnavailable):
        assign(schedule_, "rr", "meet", NINE, "UTC", NOW)


def test_a_person_plus_a_pool_of_rooms_gets_a_free_room_automatically():
    rooms = [room(f"r{i}") for i in range(1, 5)]
    schedule_ = schedule(
        [page("alice"), *rooms],
        [event(60)],
        [dynamic("meet-room", "meet", SeatRef(page="alice"), SeatRef(pool="rooms"))],
        [pool("rooms", *(r.id for r in rooms))],
        [
            booking("r1", "2026-06-01T09:00Z", "2026-06-01T10:00Z"),
            booking("r2", "2026-06-01T08:30Z", "2026-06-01T09:30Z"),
        ],
    )
    result = assign(schedule_, "meet-room", "meet", NINE, "UTC", NOW)
    assert result == Assignment((SeatAssignment("alice"), SeatAssignment("r3", "rooms")))
    assert result.participants == ("r3",)


def test_a_seat_leaves_alone_a_page_that_a_later_seat_needs():
    # Alice is preferred by the pool (never received), but the second seat can only be Alice.
    schedule_ = schedule(
        [page("alice"), page("bob")],
        [event(60)],
        [dynamic("panel", "meet", SeatRef(pool="duo"), SeatRef(page="alice"))],
        [pool("duo", "alice", "bob")],
        ledger=[received("duo", "bob", "2026-05-20T10:00Z")],
    )
    assert assign(schedule_, "panel", "meet", NINE, "UTC", NOW).seats == (
        SeatAssignment("bob", "duo"),
        SeatAssignment("alice"),
    )


def test_pooled_priority_gives_the_booking_to_the_highest_priority_free_member():
    members = [
        PoolMember("alice", Priority.LOW, joined=0),
        PoolMember("bob", Priority.HIGHEST, joined=1),
    ]
    schedule_ = schedule(
        [page("alice"), page("bob")],
        [event(60)],
        [dynamic("vip", "meet", SeatRef(pool="duo"))],
        [pool("duo", method=Method.POOLED_PRIORITY, members=members)],
    )
    assert assign(schedule_, "vip", "meet", NINE, "UTC", NOW).owner == "bob"


def test_an_inactive_member_gets_nothing_new():
    members = [PoolMember("alice", active=False, joined=0), PoolMember("bob", joined=1)]
    schedule_ = schedule(
        [page("alice"), page("bob", hours=weekly("12:00-13:00"))],
        [event(60)],
        [dynamic("desk", "meet", SeatRef(pool="duo"))],
        [pool("duo", members=members)],
    )
    with pytest.raises(SlotUnavailable):
        assign(schedule_, "desk", "meet", NINE, "UTC", NOW)
    assert assign(schedule_, "desk", "meet", at("2026-06-01T12:00Z"), "UTC", NOW).owner == "bob"


def idle_desk(last: dict[str, str], *, pages=("alice", "bob", "carol")):
    found = schedule(
        [page("alice"), page("bob"), page("carol")],
        [event(60, pages=pages), event(60, pages=pages, event_id="other")],
        [static("desk", "meet", "other"), static("front", "meet")],
    )
    stamps = {name: at(when) for name, when in last.items()}
    return replace(found, last_received={("desk", "meet"): stamps})


def test_static_pooled_gives_the_booking_to_the_longest_idle_free_page():
    found = idle_desk(
        {
            "alice": "2026-05-20T10:00Z",
            "bob": "2026-05-10T10:00Z",
            "carol": "2026-05-22T10:00Z",
        }
    )
    assert assign(found, "desk", "meet", NINE, "UTC", NOW).owner == "bob"


def test_static_pooled_prefers_a_page_that_never_received_one_then_the_listed_order():
    found = idle_desk({"alice": "2026-05-20T10:00Z"}, pages=("alice", "carol", "bob"))
    assert assign(found, "desk", "meet", NINE, "UTC", NOW).owner == "carol"


def test_static_pooled_idle_time_is_per_master_page_and_event_type():
    found = idle_desk({"alice": "2026-05-20T10:00Z", "bob": "2026-05-10T10:00Z"})
    # Another event type on the same master page, or another master page: nobody received
    # one there, so the listed order decides.
    assert assign(found, "desk", "other", NINE, "UTC", NOW).owner == "alice"
    assert assign(found, "front", "meet", NINE, "UTC", NOW).owner == "alice"


def test_static_pooled_skips_the_longest_idle_page_when_it_is_busy():
    found = idle_desk({"alice": "2026-05-20T10:00Z", "carol": "2026-05-22T10:00Z"})
    found = replace(
        found, occupancy={"bob": (booking("bob", "2026-06-01T08:00Z", "2026-06-01T12:00Z"),)}
    )
    assert assign(found, "desk", "meet", NINE, "UTC", NOW).owner == "alice"


def test_static_pooled_priority_prefers_the_first_listed_free_page():
    schedule_ = schedule(
        [page("alice"), page("bob")],
        [event(60, pages=("bob", "alice"))],
        [static("desk", "meet", method=StaticMethod.POOLED_PRIORITY)],
        bookings=[booking("alice", "2026-06-02T09:00Z", "2026-06-02T10:00Z")],
    )
    assert assign(schedule_, "desk", "meet", NINE, "UTC", NOW).owner == "bob"


def find_by_time():
    people = [
        page("alice", hours=weekly("09:00-10:00")),
        page("bob", hours=weekly("09:15-11:00")),
        page("carol"),
    ]
    return schedule(
        people,
        [event(30, pages=("alice", "bob", "carol"))],
        [static("finder", "meet", method=StaticMethod.FIND_MEMBER_BY_TIME)],
        bookings=[booking("carol", "2026-06-01T09:00Z", "2026-06-01T12:00Z")],
    )


def test_find_member_by_time_lists_the_pages_free_at_the_chosen_time():
    assert free_pages(find_by_time(), "finder", "meet", at("2026-06-01T09:30Z"), "UTC", NOW) == [
        "alice",
        "bob",
    ]


def test_find_member_by_time_books_the_picked_page_even_off_its_own_grid():
    # Bob's own window starts 09:15, but the customer picked 09:30 from the union.
    result = assign(
        find_by_time(), "finder", "meet", at("2026-06-01T09:30Z"), "UTC", NOW, pick="bob"
    )
    assert result.owner == "bob"


def test_find_member_by_time_refuses_a_picked_page_that_is_busy_then():
    with pytest.raises(SlotUnavailable):
        assign(find_by_time(), "finder", "meet", at("2026-06-01T09:30Z"), "UTC", NOW, pick="carol")


def test_find_member_by_time_needs_a_pick_when_several_pages_are_free():
    with pytest.raises(BadInput, match="pick"):
        assign(find_by_time(), "finder", "meet", at("2026-06-01T09:30Z"), "UTC", NOW)


def test_find_member_by_time_skips_the_pick_when_one_page_is_free():
    assert (
        assign(find_by_time(), "finder", "meet", at("2026-06-01T10:00Z"), "UTC", NOW).owner == "bob"
    )


def test_find_member_by_time_refuses_a_pick_outside_the_event_types_pages():
    with pytest.raises(BadInput, match="not a page"):
        assign(find_by_time(), "finder", "meet", at("2026-06-01T09:30Z"), "UTC", NOW, pick="dave")


def test_pages_first_books_the_picked_page():
    schedule_ = schedule(
        [page("alice"), page("bob")],
        [event(60, pages=("alice", "bob"))],
        [selection("people", "meet")],
    )
    assert assign(schedule_, "people", "meet", NINE, "UTC", NOW, pick="bob").owner == "bob"


def test_pages_first_needs_a_pick_when_the_event_type_has_several_pages():
    schedule_ = schedule(
        [page("alice"), page("bob")],
        [event(60, pages=("alice", "bob"))],
        [selection("people", "meet")],
    )
    with pytest.raises(BadInput, match="pick"):
        assign(schedule_, "people", "meet", NINE, "UTC", NOW)


def test_pages_first_skips_the_pick_when_the_event_type_has_one_page():
    schedule_ = schedule(
        [page("alice")], [event(60, pages=("alice",))], [selection("people", "meet")]
    )
    assert assign(schedule_, "people", "meet", NINE, "UTC", NOW).owner == "alice"


def test_a_dynamic_master_page_refuses_a_pick():
    schedule_ = schedule(
        [page("alice")], [event(60)], [dynamic("d", "meet", SeatRef(page="alice"))]
    )
    with pytest.raises(BadInput, match="no pick"):
        assign(schedule_, "d", "meet", NINE, "UTC", NOW, pick="alice")


def test_a_rule_naming_an_unknown_pool_is_not_found():
    schedule_ = schedule(
        [page("alice")], [event(60)], [dynamic("d", "meet", SeatRef(pool="ghosts"))]
    )
    with pytest.raises(NotFound, match="ghosts"):
        assign(schedule_, "d", "meet", NINE, "UTC", NOW)


def test_a_pool_in_both_primary_and_additional_seats_is_bad_input():
    schedule_ = schedule(
        [page("alice"), page("bob")],
        [event(60)],
        [dynamic("d", "meet", SeatRef(pool="duo"), SeatRef(pool="duo"))],
        [pool("duo", "alice", "bob")],
    )
    with pytest.raises(BadInput, match="both primary and additional"):
        assign(schedule_, "d", "meet", NINE, "UTC", NOW)


def test_free_pages_refuses_a_start_that_is_not_offered():
    with pytest.raises(SlotUnavailable):
        free_pages(find_by_time(), "finder", "meet", at("2026-06-01T08:00Z"), "UTC", NOW)


def test_a_question_involves_its_seats_pages_and_needs_the_horizon_of_round_robin_members():
    people = [page(p, hours=weekly("09:00-17:00")) for p in ("ann", "ben", "cat", "dan")]
    rooms = [room("r1"), room("r2")]
    kind = event(pages=("ann", "ben"))
    line = pool("line", "ann", "ben", method=Method.ROUND_ROBIN)
    idle = PoolMember("cat", active=False)
    spaces = pool("spaces", "r1", "r2", "cat", members=[PoolMember("r1"), PoolMember("r2"), idle])
    masters = [
        dynamic("panel", "meet", SeatRef(pool="line"), SeatRef(pool="spaces"), SeatRef("dan")),
        static("desk", "meet"),
        static("prio", "meet", method=StaticMethod.POOLED_PRIORITY),
        selection("choose", "meet"),
    ]
    found = schedule([*people, *rooms], [kind], masters, [line, spaces])

    panel = involved_pages(found, "panel", "meet")
    assert panel.pages == {"ann", "ben", "r1", "r2", "dan"}, "inactive members take no seat"
    assert panel.ahead == panel.pages, "a turn is checked with every seat up to the horizon"
    assert panel.pools == {"line", "spaces"}, "the pools whose ledgers decide"
    assert involved_pages(found, "desk", "meet") == Involved(
        frozenset({"ann", "ben"}), idle=True
    ), "static pooled ranks its pages by when they last received one"
    assert involved_pages(found, "prio", "meet") == Involved(frozenset({"ann", "ben"}))
    assert involved_pages(found, "choose", "meet", pick="ben") == Involved(frozenset({"ben"}))


def sales_and_rooms(*, lookahead=None, flexible=False, ledger=(), rooms_capacity=(None, None)):
    """Ann (first in line) works only when the rooms are closed; Ben and Cat overlap them."""
    people = [
        page("ann", hours=weekly("18:00-22:00")),
        page("ben", hours=weekly("09:00-12:00")),
        page("cat", hours=weekly("13:00-17:00")),
    ]
    halls = [
        replace(room("r1"), capacity=rooms_capacity[0]),
        replace(room("r2"), capacity=rooms_capacity[1]),
    ]
    line = pool(
        "sales",
        "ann",
        "ben",
        "cat",
        method=Method.ROUND_ROBIN,
        lookahead=lookahead,
        flexible=flexible,
    )
    masters = [
        dynamic("demo", "meet", SeatRef(pool="sales"), SeatRef(pool="rooms")),
        dynamic("duo", "meet", SeatRef(page="ben"), SeatRef(pool="sales"), SeatRef(pool="sales")),
    ]
    return schedule(
        [*people, *halls],
        [event(60, horizon=14)],
        masters,
        [line, pool("rooms", "r1", "r2")],
        ledger=ledger,
    )


def test_a_round_robin_member_who_never_meets_a_free_room_loses_the_turn():
    # Alone Ann has evening slots, so looking at her alone would keep her turn and the page
    # would offer nothing; with a room she has none, so Ben takes it.
    found = sales_and_rooms()
    assert offered_slots(found, "demo", "meet", NINE, NINE + timedelta(hours=3), "UTC", NOW)
    result = assign(found, "demo", "meet", NINE, "UTC", NOW)
    assert result.seats == (SeatAssignment("ben", "sales"), SeatAssignment("r1", "rooms"))


def test_a_round_robin_member_who_can_meet_a_room_keeps_the_turn_even_when_not_free_now():
    found = sales_and_rooms(ledger=[received("sales", "ben", "2026-05-20T10:00Z")])
    # Ann is skipped; Cat (never received) is next; Ben received one: last.
    with pytest.raises(SlotUnavailable):
        assign(found, "demo", "meet", NINE, "UTC", NOW)
    assert assign(found, "demo", "meet", at("2026-06-01T13:00Z"), "UTC", NOW).owner == "cat"


def test_two_seats_of_one_round_robin_pool_take_the_first_two_members_who_can_sit_together():
    # Ben holds the fixed seat, so the pool's two seats go to the first two others in line
    # who can be booked with him: Ann never overlaps Ben, Cat neither; nobody is left.
    found = sales_and_rooms()
    assert offered_slots(found, "duo", "meet", NOW, NOW + timedelta(days=14), "UTC", NOW) == []
    wider = with_config(
        found,
        pages={
            **found.pages,
            "cat": page("cat", hours=weekly("09:00-17:00")),
            "ann": page("ann", hours=weekly("10:00-12:00")),
        },
    )
    result = assign(wider, "duo", "meet", at("2026-06-01T10:00Z"), "UTC", NOW)
    assert [seat.page for seat in result.seats] == ["ben", "ann", "cat"]


def test_a_member_without_a_bookable_start_within_the_lookahead_loses_the_turn():
    leave = {date(2026, 5, 25) + timedelta(days=n): () for n in range(5)}
    people = [page("alice", overrides=leave), page("bob")]

    def line(lookahead):
        return schedule(
            people,
            [event(60, horizon=14)],
            [dynamic("rr", "meet", SeatRef(pool="sales"))],
            [pool("sales", "alice", "bob", method=Method.ROUND_ROBIN, lookahead=lookahead)],
        )

    # Alice is back on 30 May: within the 14-day horizon (the default), not within 3 days.
    late = at("2026-05-30T09:00Z")
    assert assign(line(None), "rr", "meet", late, "UTC", NOW).owner == "alice"
    assert assign(line(timedelta(days=3)), "rr", "meet", NINE, "UTC", NOW).owner == "bob"
    assert assign(line(timedelta(days=30)), "rr", "meet", late, "UTC", NOW).owner == "alice"


def test_a_flexible_pool_books_the_member_a_link_names():
    found = sales_and_rooms(flexible=True)
    named = assign(found, "demo", "meet", at("2026-06-01T14:00Z"), "UTC", NOW, member="cat")
    assert named.seats == (SeatAssignment("cat", "sales"), SeatAssignment("r1", "rooms"))
    with pytest.raises(SlotUnavailable):
        assign(found, "demo", "meet", NINE, "UTC", NOW, member="cat")


def test_a_named_member_is_ignored_by_a_pool_that_is_not_flexible():
    found = sales_and_rooms()
    assert assign(found, "demo", "meet", NINE, "UTC", NOW, member="cat").owner == "ben"


def test_rooms_below_the_number_of_attendees_take_no_seat():
    found = sales_and_rooms(rooms_capacity=(4, 10))
    assert assign(found, "demo", "meet", NINE, "UTC", NOW).participants == ("r1",)
    assert assign(found, "demo", "meet", NINE, "UTC", NOW, attendees=6).participants == ("r2",)
    with pytest.raises(SlotUnavailable):
        assign(found, "demo", "meet", NINE, "UTC", NOW, attendees=11)
    with pytest.raises(BadInput) as refused:
        assign(found, "demo", "meet", NINE, "UTC", NOW, attendees=0)
    assert refused.value.field == "attendees"


def test_a_small_room_is_no_candidate_of_a_static_page_or_a_pick_either():
    halls = [replace(room("r1"), capacity=2), replace(room("r2"), capacity=8)]
    found = schedule(
        halls,
        [event(60, pages=("r1", "r2"))],
        [static("desk", "meet"), selection("choose", "meet")],
    )
    assert assign(found, "desk", "meet", NINE, "UTC", NOW, attendees=3).owner == "r2"
    with pytest.raises(SlotUnavailable):
        assign(found, "choose", "meet", NINE, "UTC", NOW, pick="r1", attendees=3)


def test_a_rule_with_a_room_asks_for_the_headcount_and_one_without_does_not():
    found = sales_and_rooms()
    assert needs_headcount(found, "demo", "meet")
    assert not needs_headcount(
        with_config(found, master_pages={"solo": dynamic("solo", "meet", SeatRef(page="ben"))}),
        "solo",
        "meet",
    )


def test_a_start_in_the_past_is_refused_as_past():
    with pytest.raises(SlotUnavailable, match="is past"):
        assign(
            one_page(page("alice"), event(60)),
            "desk",
            "meet",
            NINE,
            "UTC",
            NINE + timedelta(minutes=1),
        )
