from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.intervals import Interval, Windows, clip, intersect, merge, subtract, to_utc

BASE = datetime(2026, 6, 1, tzinfo=UTC)


def span(start: int, end: int) -> Interval:
    return Interval(BASE + timedelta(minutes=start), BASE + timedelta(minutes=end))


def minutes_of(intervals: list[Interval]) -> set[int]:
    return {
        minute
        for interval in intervals
        for minute in range(
            (interval.start - BASE) // timedelta(minutes=1),
            (interval.end - BASE) // timedelta(minutes=1),
        )
    }


def is_normal(intervals: list[Interval]) -> bool:
    return all(a.end < b.start for a, b in itertools.pairwise(intervals))


spans = st.lists(
    st.tuples(st.integers(0, 200), st.integers(1, 40)).map(lambda p: span(p[0], p[0] + p[1])),
    max_size=12,
)


def test_an_interval_must_start_before_it_ends():
    with pytest.raises(ValueError, match="start before"):
        span(10, 10)


def test_an_interval_needs_timezone_aware_bounds():
    with pytest.raises(ValueError, match="timezone-aware"):
        Interval(datetime(2026, 6, 1), datetime(2026, 6, 2))


def test_to_utc_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="no time zone"):
        to_utc(datetime(2026, 6, 1))


def test_touching_intervals_merge_into_one():
    assert merge([span(30, 60), span(0, 30)]) == [span(0, 60)]


def test_back_to_back_intervals_do_not_intersect():
    assert intersect([span(0, 30)], [span(30, 60)]) == []


def test_subtracting_holes_leaves_the_pieces_between_them():
    assert subtract([span(0, 100)], [span(10, 20), span(50, 60)]) == [
        span(0, 10),
        span(20, 50),
        span(60, 100),
    ]


def test_a_hole_spanning_several_intervals_removes_them_all():
    assert subtract([span(0, 10), span(20, 30), span(40, 50)], [span(5, 45)]) == [
        span(0, 5),
        span(45, 50),
    ]


def test_clipping_to_an_empty_range_gives_nothing():
    assert clip([span(0, 10)], BASE, BASE) == []


@settings(max_examples=150, deadline=None)
@given(spans, spans)
def test_the_algebra_agrees_with_sets_of_minutes(left, right):
    a, b = merge(left), merge(right)
    assert is_normal(a)
    assert minutes_of(a) == minutes_of(left)
    assert minutes_of(intersect(a, b)) == minutes_of(a) & minutes_of(b)
    assert minutes_of(subtract(a, b)) == minutes_of(a) - minutes_of(b)
    assert is_normal(intersect(a, b))
    assert is_normal(subtract(a, b))


@settings(max_examples=100, deadline=None)
@given(spans, st.integers(0, 240), st.integers(1, 120))
def test_clipping_keeps_exactly_the_minutes_inside_the_range(left, start, length):
    a = merge(left)
    window = span(start, start + length)
    assert clip(a, window.start, window.end) == intersect(a, [window])


@settings(max_examples=200, deadline=None)
@given(st.lists(spans, min_size=1, max_size=5), st.integers(0, 240), st.integers(1, 60))
def test_windows_of_many_pages_hold_a_meeting_exactly_when_one_window_does(pages, at, length):
    everything = [interval for page in pages for interval in page]
    meeting = span(at, at + length)
    index = Windows.of(everything)
    held = any(w.start <= meeting.start and meeting.end <= w.end for w in everything)
    assert index.holds(meeting.start, meeting.end) == held
    assert merge(index.intervals) == merge(everything)
    assert len(index.intervals) <= len(everything)
    # Indexed by parts (a page's windows each, say) and then together: the same index.
    assert Windows.together(Windows.of(page) for page in pages) == index


def test_windows_inside_a_longer_one_are_left_out_of_the_index():
    index = Windows.of([span(0, 100), span(10, 20), span(10, 100), span(50, 120), span(60, 70)])
    assert index.intervals == (span(0, 100), span(50, 120))
    assert index.holds(*_bounds(span(55, 120)))
    assert not index.holds(*_bounds(span(55, 121)))


def _bounds(interval: Interval) -> tuple[datetime, datetime]:
    return interval.start, interval.end
