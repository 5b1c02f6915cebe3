"""How the Slack surfaces write times, and the words for the setup's values."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.blocks.common import (
    METHOD_LABELS,
    STATIC_METHOD_LABELS,
    date_token,
    format_day,
    format_moment,
)
from engine.model import Method, StaticMethod
from services.sections import Section


def test_a_moment_is_written_in_the_readers_zone() -> None:
    moment = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)

    assert format_moment(moment, "Europe/London") == "3 Mar 23:30"
    assert format_moment(moment, "Asia/Tokyo") == "4 Mar 08:30"


def test_a_date_token_carries_the_instant_and_the_fallback() -> None:
    moment = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)

    assert date_token(moment, "Tue 1 Dec 14:00") == (
        f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|Tue 1 Dec 14:00>"
    )


def test_a_day_reads_with_its_weekday() -> None:
    assert format_day(date(2026, 3, 3)) == "Tue 3 Mar 2026"


def test_static_methods_read_like_the_pool_methods_they_share() -> None:
    assert STATIC_METHOD_LABELS[StaticMethod.POOLED] == METHOD_LABELS[Method.POOLED]
    assert set(STATIC_METHOD_LABELS) == set(StaticMethod)
    assert set(METHOD_LABELS) == set(Method)


def test_each_section_has_its_noun_and_heading() -> None:
    assert [(part.noun, part.heading) for part in Section] == [
        ("booking page", "Booking pages"),
        ("event type", "Event types"),
        ("pool", "Pools"),
        ("master page", "Master pages"),
    ]
