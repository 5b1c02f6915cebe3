"""Availability of one booking page for one event type.

``FreeTime`` computes the free windows ``F_E(p)`` of any number of pages over one span,
once per page: the weekly hours are expanded per distinct (zone, hours, overrides) and
shared between pages that have the same, and a page's busy time costs
O(b log b) in its own bookings.

Choices made here:

* ``max_per_day`` / ``max_per_week`` count every booking occupying the page (as owner or
  participant) on the local date, or in the local Monday–Sunday week, of its start. A day
  or week that reached the limit loses all of its hours.
* A booking named by ``ignore_booking`` (the one being reassigned) neither blocks time nor
  counts towards the limits, so a booking never stands in its own way.
* Free windows the schedule already holds for a page (``Schedule.free``, computed by this
  class before, for the same event type over a span holding this one) are clipped, not
  computed again; never for a question that ignores a booking.
* Validity is about the page only: minimum notice, the horizon and the slot grid
  belong to offering and are checked by ``engine.search``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from engine.intervals import Interval, Windows, clip, merge, subtract, to_utc
from engine.model import MINUTES_PER_DAY, EventType, LocalRange, Occupancy, Page, Schedule
from engine.zones import local_to_utc, zone

_HoursKey = tuple[
    str, tuple[tuple[LocalRange, ...], ...], tuple[tuple[date, tuple[LocalRange, ...]], ...]
]


class FreeTime:
    """The free windows ``F_E(p)`` of pages over ``[start, end)``, each computed once."""

    def __init__(
        self,
        schedule: Schedule,
        event_type: EventType,
        start: datetime,
        end: datetime,
        *,
        ignore_booking: str | None = None,
    ) -> None:
        self.schedule = schedule
        self.event_type = event_type
        self.start = to_utc(start)
        self.end = to_utc(end)
        self.ignore_booking = ignore_booking
        self._windows: dict[str, Windows] = {}
        self._hours: dict[_HoursKey, list[Interval]] = {}

    def of(self, page_id: str) -> Windows:
        """Return the free windows of ``page_id``.

        Raises:
            NotFound: no such page.
        """
        windows = self._windows.get(page_id)
        if windows is None:
            windows = Windows.normal(self._compute(self.schedule.page(page_id)))
            self._windows[page_id] = windows
        return windows

    def _compute(self, page: Page) -> list[Interval]:
        # A limit of zero closes every day, also those without bookings to count.
        if not self.start < self.end or 0 in (page.max_per_day, page.max_per_week):
            return []
        known = self.schedule.free.get(page.id)
        if known is not None:
            if (
                self.ignore_booking is not None
                or known.event_type != self.event_type.id
                or not known.start <= self.start < self.end <= known.end
            ):
                # The page's bookings were left out of the schedule: never guess.
                raise ValueError(f"the known free time of page '{page.id}' does not cover this")
            return clip(known.windows, self.start, self.end)
        tz = zone(page.timezone)
        bookings = [
            booking
            for booking in self.schedule.occupancy.get(page.id, ())
            if self.ignore_booking is None or booking.booking_id != self.ignore_booking
        ]
        blocked = self._busy(page.id, bookings) + _full_days(page, tz, bookings)
        free = subtract(self._hours_of(page, tz), merge(blocked))
        return clip(free, self.start, self.end)

    def _hours_of(self, page: Page, tz: ZoneInfo) -> list[Interval]:
        first = self.start.astimezone(tz).date()
        last = self.end.astimezone(tz).date()
        overrides = tuple(
            sorted((day, ranges) for day, ranges in page.overrides.items() if first <= day <= last)
        )
        key = (page.timezone, page.hours, overrides)
        hours = self._hours.get(key)
        if hours is None:
            hours = _expand_hours(page, tz, first, last)
            self._hours[key] = hours
        return hours

    def _busy(self, page_id: str, bookings: list[Occupancy]) -> list[Interval]:
        """Return the padded busy time of ``page_id`` that reaches into the span."""
        before, after = self.event_type.buffer_before, self.event_type.buffer_after
        spans = [
            (
                to_utc(booking.start) - booking.buffer_before - after,
                to_utc(booking.end) + booking.buffer_after + before,
            )
            for booking in bookings
        ]
        spans.extend(
            (to_utc(block.start) - after, to_utc(block.end) + before)
            for block in self.schedule.busy.get(page_id, ())
        )
        return [
            Interval(start, end)
            for start, end in spans
            if start < self.end and end > self.start and start < end
        ]


def _expand_hours(page: Page, tz: ZoneInfo, first: date, last: date) -> list[Interval]:
    """Return the page's hours on local dates ``first`` … ``last`` as UTC intervals."""
    hours: list[Interval] = []
    day = first
    while day <= last:
        for local in page.overrides.get(day, page.hours[day.weekday()]):
            start = local_to_utc(day, local.start, tz)
            end = local_to_utc(day, local.end, tz)
            # A range inside a spring-forward gap moves wholly past it and may vanish.
            if start < end:
                hours.append(Interval(start, end))
        day += timedelta(days=1)
    return merge(hours)


def _full_days(page: Page, tz: ZoneInfo, bookings: list[Occupancy]) -> list[Interval]:
    """Return the local days and weeks in which the page reached its booking limits."""
    if page.max_per_day is None and page.max_per_week is None:
        return []
    per_day = Counter(to_utc(booking.start).astimezone(tz).date() for booking in bookings)
    per_week: Counter[date] = Counter()
    for day, count in per_day.items():
        per_week[day - timedelta(days=day.weekday())] += count
    full = [
        (day, 1)
        for day, count in per_day.items()
        if page.max_per_day is not None and count >= page.max_per_day
    ]
    full.extend(
        (monday, 7)
        for monday, count in per_week.items()
        if page.max_per_week is not None and count >= page.max_per_week
    )
    return [
        Interval(local_to_utc(day, 0, tz), local_to_utc(day, days * MINUTES_PER_DAY, tz))
        for day, days in full
    ]


def page_is_free(
    schedule: Schedule,
    page: str,
    event_type: str,
    start: datetime,
    *,
    ignore_booking: str | None = None,
) -> bool:
    """Tell whether ``[start, start + duration)`` is valid for ``page``.

    Notice, horizon and the slot grid are not checked: this answers "is the page free",
    e.g. for a reassignment target.

    Args:
        schedule: the loaded configuration, bookings and busy blocks.
        page: the booking page's id.
        event_type: the event type's id.
        start: the meeting's start (timezone-aware).
        ignore_booking: a booking id that neither blocks nor counts towards limits.

    Raises:
        NotFound: no such page or event type.
    """
    kind = schedule.event_type(event_type)
    start = to_utc(start)
    end = start + kind.duration
    return (
        FreeTime(schedule, kind, start, end, ignore_booking=ignore_booking)
        .of(page)
        .holds(start, end)
    )
