"""The values of a configuration file: ids, zones, durations, hours, locations.

Each ``Annotated`` type here is one kind of value a key of the file holds, with the check
pydantic runs on it (``services.config_schema`` declares which key holds which). Hours are
written as in the file: a day key (``mon``, or a range ``mon-fri`` that may wrap past Sunday:
``fri-mon`` is Friday to Monday; ``mon-mon`` is refused, write ``mon``) and wall-clock ranges
``09:00-17:00``; ``range_text`` writes a range back that way.

A reference (``PageRef``, ``EventTypeRef``, ``PoolRef``) must name an id its section declares:
``survey_ids`` collects those ids from the raw data first (and reports the duplicates), and
validation gets the ``Survey`` as its context.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    PlainValidator,
    ValidationInfo,
)

from engine.bounds import (
    LONGEST_MEETING,
    LONGEST_WAIT,
    MAX_COUNT,
    MAX_DAYS_AHEAD,
    check_day,
    check_instant,
    check_text,
)
from engine.durations import parse_duration
from engine.model import MINUTES_PER_DAY, LocalRange
from services import slack_ids
from services.config_problems import Problem, refuse, shown
from services.sections import Section

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_LOCATION = 500
"""The longest location (text or URL) a page or an event type may have, in characters."""

_RANGE = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")


def _matching(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if pattern.fullmatch(value) is None:
            raise ValueError(f"'{value}' is not {what}")
        return value

    return check


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _timezone(name: str) -> str:
    if name not in _zones():
        raise ValueError(f"unknown time zone '{name}' (use an IANA name like Europe/London)")
    return name


def _duration(longest: timedelta) -> Callable[[object], timedelta]:
    def parse(value: object) -> timedelta:
        return parse_duration(str(value), longest=longest)

    return parse


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be more than 0m")
    return value


def _time(hours: str, minutes: str) -> int | None:
    if int(hours) > 24 or int(minutes) > 59 or (int(hours) == 24 and int(minutes) > 0):
        return None
    return int(hours) * 60 + int(minutes)


def _local_range(value: object) -> LocalRange:
    match = _RANGE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{shown(value)} is not a range like 09:00-17:00")
    start, end = _time(*match.group(1, 2)), _time(*match.group(3, 4))
    if start is None or end is None or start == MINUTES_PER_DAY:
        raise ValueError(f"'{value}' is not a range of times from 00:00 to 24:00")
    if end < start:
        raise ValueError(
            f"'{value}' crosses midnight; write two ranges: "
            f"'{clock_text(start)}-24:00' and '00:00-{clock_text(end)}'"
        )
    if end == start:
        raise ValueError(f"'{value}' is empty")
    return LocalRange(start, end)


def _days(key: str) -> tuple[int, ...]:
    """Weekdays (Monday 0) of an hours key: ``mon``, or a range ``mon-fri`` that may wrap."""
    first, dash, last = key.partition("-")
    if first not in DAYS or (dash and last not in DAYS):
        raise ValueError(f"'{key}' is not a day (mon … sun) or a range of days like mon-fri")
    if not dash:
        return (DAYS.index(first),)
    start, end = DAYS.index(first), DAYS.index(last)
    if start == end:
        raise ValueError(f"'{key}' starts and ends on the same day; write '{first}'")
    return tuple((start + offset) % 7 for offset in range((end - start) % 7 + 1))


def _day_key(key: str) -> str:
    _days(key)
    return key


def check_location(value: str) -> str:
    """Return a location (text or URL) without surrounding blanks.

    Raises:
        ValueError: it is empty, longer than ``MAX_LOCATION`` or not one line.
    """
    text = value.strip()
    if not text:
        raise ValueError("must not be empty (leave it out for no location)")
    if len(text) > MAX_LOCATION:
        raise ValueError(f"is {len(text)} characters long; at most {MAX_LOCATION}")
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in text):
        raise ValueError("must be one line of text or a URL")
    return text


ConfigId = Annotated[
    str,
    AfterValidator(_matching(ID_PATTERN, "an id (a-z, 0-9, '-' and '_', starting a-z or 0-9)")),
]
Name = Annotated[str, Field(min_length=1), AfterValidator(check_text)]
TeamId = Annotated[str, AfterValidator(slack_ids.TEAM.check)]
UserId = Annotated[str, AfterValidator(slack_ids.USER.check)]
ChannelId = Annotated[str, AfterValidator(slack_ids.CHANNEL.check)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
Wait = Annotated[timedelta, BeforeValidator(_duration(LONGEST_WAIT))]
Duration = Annotated[timedelta, BeforeValidator(_duration(LONGEST_MEETING))]
PositiveDuration = Annotated[Duration, AfterValidator(_positive)]
PositiveWait = Annotated[Wait, AfterValidator(_positive)]
Count = Annotated[int, Field(gt=0, le=MAX_COUNT)]
Horizon = Annotated[int, Field(gt=0, le=MAX_DAYS_AHEAD)]
Instant = Annotated[AwareDatetime, AfterValidator(check_instant)]
Day = Annotated[date, AfterValidator(check_day)]
TimeRange = Annotated[LocalRange, PlainValidator(_local_range)]
DayKey = Annotated[str, AfterValidator(_day_key)]
Location = Annotated[str, AfterValidator(check_location)]


def clock_text(minutes: int) -> str:
    """Write minutes after midnight as the file does: ``09:00``, ``24:00``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def range_text(value: LocalRange) -> str:
    """Write a wall-clock range as the file does: ``09:00-17:00``."""
    return f"{clock_text(value.start)}-{clock_text(value.end)}"


def overlaps(ranges: Iterable[LocalRange]) -> list[str]:
    problems: list[str] = []
    furthest: LocalRange | None = None
    for item in sorted(ranges):
        if furthest is not None and item.start < furthest.end:
            problems.append(f"'{range_text(furthest)}' overlaps '{range_text(item)}'")
        if furthest is None or item.end > furthest.end:
            furthest = item
    return problems


def week_of(hours: Mapping[str, list[LocalRange]]) -> tuple[tuple[LocalRange, ...], ...]:
    """Turn an hours map into seven days of ranges, Monday first.

    Raises:
        Problems: a day appears under two keys, or a key's ranges overlap.
    """
    week: list[tuple[LocalRange, ...]] = [()] * 7
    owner: dict[int, str] = {}
    problems: list[Problem] = []
    for key, ranges in hours.items():
        repeated: dict[str, list[str]] = {}
        for day in _days(key):
            if day in owner:
                repeated.setdefault(owner[day], []).append(DAYS[day])
                continue
            owner[day] = key
            week[day] = tuple(sorted(ranges))
        problems += [
            Problem((key,), f"{', '.join(days)} already listed under '{other}'")
            for other, days in repeated.items()
        ]
        problems += [Problem((key,), overlap) for overlap in overlaps(ranges)]
    refuse(problems)
    return tuple(week)


# --- references ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Survey:
    """What the lenient first pass learnt: the ids each section declares."""

    ids: Mapping[str, frozenset[str]]
    event_types_with_pages: frozenset[str]


def survey_of(info: ValidationInfo) -> Survey:
    survey = info.context
    assert isinstance(survey, Survey), "validate with the survey as context"
    return survey


def _reference(section: str) -> AfterValidator:
    def check(value: str, info: ValidationInfo) -> str:
        if value not in survey_of(info).ids[section]:
            raise ValueError(f"unknown {Section(section).noun} '{value}'")
        return value

    return AfterValidator(check)


PageRef = Annotated[str, _reference("booking_pages")]
EventTypeRef = Annotated[str, _reference("event_types")]
PoolRef = Annotated[str, _reference("pools")]


def survey_ids(raw: object) -> tuple[Survey, list[Problem]]:
    """Collect each section's ids from the raw file, and report the duplicates."""
    ids: dict[str, frozenset[str]] = {}
    with_pages: set[str] = set()
    problems: list[Problem] = []
    sections = raw if isinstance(raw, dict) else {}
    for section in [part.value for part in Section]:
        items = sections.get(section)
        first: dict[str, int] = {}
        for index, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            item_id = item["id"]
            if item_id in first:
                problems.append(
                    Problem(
                        (section, index, "id"),
                        f"duplicate id '{item_id}', first used by {section}[{first[item_id]}]",
                    )
                )
                continue
            first[item_id] = index
            if section == "event_types" and item.get("pages"):
                with_pages.add(item_id)
        ids[section] = frozenset(first)
    return Survey(ids, frozenset(with_pages)), problems
