from __future__ import annotations

from datetime import date

import pytest

from engine.availability import FreeTime, page_is_free
from engine.errors import NotFound
from engine.intervals import Interval
from tests.engine.factories import (
    at,
    booking,
    busy,
    day_range,
    event,
    one_page,
    page,
    ranges,
    weekly,
)

MONDAY = "2026-06-01"


def free_windows(schedule, page_id, kind, start, end):
    return list(FreeTime(schedule, kind, start, end).of(page_id).intervals)


def windows(schedule, page_id="alice", day=MONDAY, tz="UTC", days=1):
    start, end = day_range(day, tz, days)
    return [
        (w.start.isoformat(), w.end.isoformat())
        for w in free_windows(schedule, page_id, schedule.event_types["meet"], start, end)
    ]


def test_free_windows_are_the_hours_minus_the_padded_bookings():
    kind = event(30, before=5, after=10)
    schedule = one_page(
        page("alice", hours=weekly("09:00-12:00")),
        kind,
        bookings=[booking("alice", "2026-06-01T10:00Z", "2026-06-01T10:30Z", before=5, after=15)],
    )
    # Blocked: 10:00 - 5 (its before) - 10 (our after) to 10:30 + 15 (its after) + 5 (our before).
    assert windows(schedule) == [
        ("2026-06-01T09:00:00+00:00", "2026-06-01T09:45:00+00:00"),
        ("2026-06-01T10:50:00+00:00", "2026-06-01T12:00:00+00:00"),
    ]


def test_an_external_busy_block_is_padded_by_the_event_types_buffers_only():
    schedule = one_page(
        page("alice", hours=weekly("09:00-12:00")),
        event(30, before=5, after=10),
        blocks=[busy("alice", "2026-06-01T10:00Z", "2026-06-01T10:30Z")],
    )
    assert windows(schedule) == [
        ("2026-06-01T09:00:00+00:00", "2026-06-01T09:50:00+00:00"),
        ("2026-06-01T10:35:00+00:00", "2026-06-01T12:00:00+00:00"),
    ]


def test_hours_ending_at_24_00_run_to_the_next_local_midnight():
    # Europe/London switches to BST on 2026-03-29 at 01:00 GMT; the Saturday before is GMT.
    schedule = one_page(page("alice", "Europe/London", weekly("22:00-24:00")), event(60))
    assert windows(schedule, day="2026-03-28", tz="Europe/London") == [
        ("2026-03-28T22:00:00+00:00", "2026-03-29T00:00:00+00:00"),
    ]


def test_a_spring_forward_gap_moves_the_start_forward_by_the_gap():
    # America/New_York: 2026-03-08 02:00 EST jumps to 03:00 EDT.
    schedule = one_page(page("alice", "America/New_York", weekly("02:30-04:00")), event(30))
    assert windows(schedule, day="2026-03-08", tz="America/New_York") == [
        ("2026-03-08T07:30:00+00:00", "2026-03-08T08:00:00+00:00"),
    ]


def test_a_range_inside_a_spring_forward_gap_moves_forward_whole():
    # America/New_York: 2026-03-08 02:00-03:00 local does not exist.
    schedule = one_page(page("alice", "America/New_York", weekly("02:15-02:45")), event(15))
    assert windows(schedule, day="2026-03-08", tz="America/New_York") == [
        ("2026-03-08T07:15:00+00:00", "2026-03-08T07:45:00+00:00"),
    ]


def test_a_range_whose_start_moves_past_its_end_in_the_gap_vanishes():
    # America/New_York: 2026-03-08 02:30 becomes 03:30 EDT, after the range's 03:00 end.
    schedule = one_page(page("alice", "America/New_York", weekly("02:30-03:00")), event(15))
    assert windows(schedule, day="2026-03-08", tz="America/New_York") == []


def test_a_repeated_local_time_means_its_first_occurrence():
    # America/New_York: 2026-11-01 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
    schedule = one_page(page("alice", "America/New_York", weekly("00:00-01:30")), event(30))
    assert windows(schedule, day="2026-11-01", tz="America/New_York") == [
        ("2026-11-01T04:00:00+00:00", "2026-11-01T05:30:00+00:00"),
    ]


def test_a_date_override_replaces_that_days_hours():
    target = page(
        "alice", hours=weekly("09:00-17:00"), overrides={date(2026, 6, 1): ranges("13:00-14:00")}
    )
    assert windows(one_page(target, event(60))) == [
        ("2026-06-01T13:00:00+00:00", "2026-06-01T14:00:00+00:00"),
    ]


def test_the_booking_being_moved_does_not_block_itself():
    schedule = one_page(
        page("alice"),
        event(60),
        bookings=[booking("alice", "2026-06-01T10:00Z", "2026-06-01T11:00Z", booking_id="b1")],
    )
    assert not page_is_free(schedule, "alice", "meet", at("2026-06-01T10:00Z"))
    assert page_is_free(schedule, "alice", "meet", at("2026-06-01T10:00Z"), ignore_booking="b1")


def test_the_booking_being_moved_does_not_count_towards_the_daily_limit():
    schedule = one_page(
        page("alice", max_per_day=1),
        event(60),
        bookings=[booking("alice", "2026-06-01T10:00Z", "2026-06-01T11:00Z", booking_id="b1")],
    )
    assert not page_is_free(schedule, "alice", "meet", at("2026-06-01T14:00Z"))
    assert page_is_free(schedule, "alice", "meet", at("2026-06-01T14:00Z"), ignore_booking="b1")


def test_a_page_is_not_free_outside_its_hours():
    schedule = one_page(page("alice"), event(60))
    assert not page_is_free(schedule, "alice", "meet", at("2026-06-01T16:30Z"))


def test_an_unknown_page_is_not_found():
    schedule = one_page(page("alice"), event(60))
    with pytest.raises(NotFound):
        free_windows(
            schedule,
            "bob",
            schedule.event_types["meet"],
            at("2026-06-01T00:00Z"),
            at("2026-06-02T00:00Z"),
        )


def test_free_windows_are_clipped_to_the_span():
    schedule = one_page(page("alice"), event(60))
    assert free_windows(
        schedule,
        "alice",
        schedule.event_types["meet"],
        at("2026-06-01T10:00Z"),
        at("2026-06-01T11:00Z"),
    ) == [Interval(at("2026-06-01T10:00Z"), at("2026-06-01T11:00Z"))]


def test_a_daily_limit_of_zero_closes_every_day():
    assert windows(one_page(page("alice", max_per_day=0), event(60)), days=3) == []
