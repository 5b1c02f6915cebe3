"""Half-open UTC intervals and their algebra.

A *set* of intervals is a list of ``Interval`` in normal form: sorted by start, pairwise
disjoint and not touching (``[1, 2)`` and ``[2, 3)`` are one interval ``[1, 3)``).
``merge`` brings any collection into normal form with one sort; ``intersect`` and
``subtract`` take normal forms and walk both in one pass over their sorted bounds, as
odoo's ``Intervals`` does, so each costs O(n + m). Results reuse the input objects where an
interval comes through unchanged, which keeps the slot search from allocating.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from operator import attrgetter


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    """The instants from ``start`` (included) to ``end`` (excluded), timezone-aware."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        # A tzinfo check, not utcoffset(): intervals are made by the ten thousand per request.
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError(f"interval bounds must be timezone-aware: {self.start}, {self.end}")
        if not self.start < self.end:
            raise ValueError(f"interval must start before it ends: {self.start} >= {self.end}")


_START = attrgetter("start")
_END = attrgetter("end")


def to_utc(moment: datetime) -> datetime:
    """Return ``moment`` in UTC.

    Raises:
        ValueError: ``moment`` is naive, so the instant it means is unknown.
    """
    if moment.tzinfo is UTC:
        return moment
    if moment.utcoffset() is None:
        raise ValueError(f"{moment} has no time zone")
    return moment.astimezone(UTC)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Return the union of ``intervals`` in normal form."""
    merged: list[Interval] = []
    head: Interval | None = None
    reach = datetime.min.replace(tzinfo=UTC)
    for interval in sorted(intervals, key=_START):
        if head is not None and interval.start <= reach:
            reach = max(reach, interval.end)
            continue
        if head is not None:
            merged.append(_extend(head, reach))
        head, reach = interval, interval.end
    if head is not None:
        merged.append(_extend(head, reach))
    return merged


def _extend(head: Interval, end: datetime) -> Interval:
    """Return ``head`` stretched to ``end``, reusing it when nothing changes."""
    return head if head.end == end else Interval(head.start, end)


def intersect(left: Sequence[Interval], right: Sequence[Interval]) -> list[Interval]:
    """Return the instants in both normal-form sets."""
    common: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        a, b = left[i], right[j]
        start, end = max(a.start, b.start), min(a.end, b.end)
        if start < end:
            if start == a.start and end == a.end:
                common.append(a)
            elif start == b.start and end == b.end:
                common.append(b)
            else:
                common.append(Interval(start, end))
        if a.end < b.end:
            i += 1
        else:
            j += 1
    return common


def subtract(base: Sequence[Interval], holes: Sequence[Interval]) -> list[Interval]:
    """Return the instants of normal-form ``base`` that are not in normal-form ``holes``."""
    rest: list[Interval] = []
    j = 0
    for interval in base:
        # Holes ending before this interval also end before every later one.
        while j < len(holes) and holes[j].end <= interval.start:
            j += 1
        cursor = interval.start
        k = j
        while k < len(holes) and holes[k].start < interval.end:
            if cursor < holes[k].start:
                rest.append(Interval(cursor, holes[k].start))
            cursor = max(cursor, holes[k].end)
            k += 1
        if cursor == interval.start:
            rest.append(interval)
        elif cursor < interval.end:
            rest.append(Interval(cursor, interval.end))
    return rest


def clip(intervals: Sequence[Interval], start: datetime, end: datetime) -> list[Interval]:
    """Return the part of normal-form ``intervals`` inside ``[start, end)``.

    Bisects for the intervals that reach into the range and trims only the two at its
    edges, so clipping a long set to most of itself allocates almost nothing.
    """
    first = bisect_right(intervals, start, key=_END)
    last = bisect_left(intervals, end, key=_START)
    inside = list(intervals[first:last])
    if inside and inside[0].start < start:
        inside[0] = Interval(start, inside[0].end)
    if inside and inside[-1].end > end:
        inside[-1] = Interval(inside[-1].start, end)
    return inside


@dataclass(frozen=True, slots=True)
class Windows:
    """Windows sorted by start, indexed to tell by bisection whether one holds a meeting.

    Only what ``holds`` and the union need is kept: a window that ends no later than one
    starting at or before it holds no meeting that one does not, and adds nothing to the
    union, so ``of`` leaves it out. What is left (each window reaching further than every
    one before it) is small however many pages' windows went in: the windows of 2,000
    members who keep similar hours come down to a few a day.
    """

    intervals: tuple[Interval, ...]
    starts: tuple[datetime, ...]
    reach: tuple[datetime, ...]

    @classmethod
    def of(cls, intervals: Iterable[Interval]) -> Windows:
        """Index ``intervals``, which may overlap (the windows of several pages)."""
        kept: list[Interval] = []
        reach = datetime.min.replace(tzinfo=UTC)
        for interval in sorted(intervals, key=_START):
            if interval.end > reach:
                kept.append(interval)
                reach = interval.end
        # Each kept window's end is the furthest of those starting at or before it.
        return cls.normal(kept)

    @classmethod
    def together(cls, parts: Iterable[Windows]) -> Windows:
        """Index the windows of several indexes at once (``of`` their windows together)."""
        return cls.of(chain.from_iterable(part.intervals for part in parts))

    @classmethod
    def normal(cls, intervals: Sequence[Interval]) -> Windows:
        """Index windows sorted by start whose ends increase strictly, as a normal-form set's
        do (one page's windows): no sort, each reach its own end."""
        ordered = tuple(intervals)
        return cls(ordered, tuple(map(_START, ordered)), tuple(map(_END, ordered)))

    def holds(self, start: datetime, end: datetime) -> bool:
        """Tell whether ``[start, end)`` lies inside one of the windows."""
        i = bisect_right(self.starts, start) - 1
        return i >= 0 and self.reach[i] >= end
