"""Durations as files write them and as people read them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.durations import format_duration, length_text, parse_duration


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(15, "15 min"), (45, "45 min"), (60, "1 h"), (90, "1 h 30 min"), (120, "2 h"), (0, "0 min")],
)
def test_a_length_reads_as_people_say_it(minutes: int, text: str) -> None:
    assert length_text(timedelta(minutes=minutes)) == text


@given(st.integers(min_value=0, max_value=7 * 24 * 60))
def test_a_written_duration_reads_back_the_same(minutes: int) -> None:
    value = timedelta(minutes=minutes)
    assert parse_duration(format_duration(value)) == value
