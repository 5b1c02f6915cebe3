"""The candidate grid and the seat check of offering, shared by offering and assignment.

A request is a tuple of ``Seat`` values, each listing the pages that may fill it (most
preferred first). ``SlotSearch`` computes every page's free windows once, builds
``C = ⋂ seats (⋃ pages F_E(p))`` by merging and intersecting normal forms, walks the grid
of each window of ``C`` and keeps a candidate when the seats can be filled by distinct
pages that are each free for the whole meeting:

* when no page can fill two seats (the usual case: a person plus a pool of rooms), a
  candidate is offered iff each seat has one page whose window holds it, answered by
  bisecting all of the seat's windows at once (``Windows``, or the schedule's
  ``KnownCover`` of the seat's pages);
* otherwise each seat lists at most ``len(seats)`` valid pages (a seat with that many
  choices can always be filled last) and ``engine.matching`` looks for distinct pages.

Choices made here: a window that the range cuts restarts the grid at the range
start (``C`` is clipped to the range first); the grid steps in absolute time, so it keeps
its alignment across a DST change only when the change is a multiple of the alignment.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain, islice

from engine.availability import FreeTime
from engine.errors import BadInput
from engine.intervals import Interval, Windows, clip, intersect, merge, to_utc
from engine.matching import match
from engine.model import EventType, Schedule
from engine.zones import align_up, zone

_ALIGNMENTS = (60, 30, 20, 15, 10, 5)


@dataclass(frozen=True, slots=True)
class Slot:
    """An offered meeting time ``[start, end)`` in UTC."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Seat:
    """One place of a meeting to fill: the pages that may take it, most preferred first.

    ``pool`` names the pool the pages came from, for the distribution ledger.
    """

    pages: tuple[str, ...]
    pool: str | None = None


def alignment(step: timedelta) -> timedelta:
    """Return the largest of 60, 30, 20, 15, 10 and 5 minutes dividing ``step``, else 1 minute."""
    for minutes in _ALIGNMENTS:
        if step % timedelta(minutes=minutes) == timedelta(0):
            return timedelta(minutes=minutes)
    return timedelta(minutes=1)


class SlotSearch:
    """Offered slots of one event type for some seats over one range."""

    def __init__(
        self,
        schedule: Schedule,
        event_type: EventType,
        seats: Sequence[Seat],
        start: datetime,
        end: datetime,
        tz: str,
        now: datetime,
        *,
        free: FreeTime | None = None,
    ) -> None:
        """Prepare the search of ``[start, end)`` as seen at ``now`` by a requester in ``tz``.

        ``free`` reuses free windows computed from ``now`` over a longer span (searches that
        differ only in their seats): slots then run to that span's end, so the caller stops
        at its own.

        Raises:
            BadInput: the event type's duration or step is not positive, or ``tz`` is unknown.
        """
        if event_type.duration <= timedelta(0) or event_type.slot_step <= timedelta(0):
            raise BadInput(f"event type '{event_type.id}' needs a positive duration and step")
        now = to_utc(now)
        self.event_type = event_type
        self.seats = tuple(seats)
        self._tz = zone(tz)
        self._horizon = now + timedelta(days=event_type.max_days_ahead)
        # Windows may be clipped to where a candidate can be: from the notice on (a window's
        # first start is the later of its start and now + notice) up to the last start's
        # meeting end.
        self.free = free or FreeTime(
            schedule,
            event_type,
            max(to_utc(start), now + event_type.min_notice),
            min(to_utc(end), self._horizon + event_type.duration),
        )
        pages = [page for seat in self.seats for page in set(seat.pages)]
        self._disjoint = len(pages) == len(set(pages))

    def slots(self) -> Iterator[Slot]:
        """Yield the offered slots in order, lazily."""
        if not self.seats:
            return
        duration, step = self.event_type.duration, self.event_type.slot_step
        unit = alignment(step)
        found = [self._cover(seat) for seat in self.seats]
        covers = [cover for cover, _ in found]
        combined = found[0][1]
        for _, union in found[1:]:
            combined = intersect(combined, union)
        for window in combined:
            start = align_up(window.start, self._tz, unit)
            while start < self._horizon and start + duration <= window.end:
                end = start + duration
                if (
                    all(cover.holds(start, end) for cover in covers)
                    if self._disjoint
                    else self.fill(start) is not None
                ):
                    yield Slot(start, end)
                start += step

    def _cover(self, seat: Seat) -> tuple[Windows, list[Interval]]:
        """Return every window of the seat's pages, indexed, and their union.

        Taken from ``Schedule.covers`` when it holds these pages over the search's span:
        a window reaching past the span holds the same meetings inside it as one clipped.
        """
        free = self.free
        known = free.schedule.covers.get(frozenset(seat.pages))
        if (
            known is not None
            and free.ignore_booking is None
            and known.event_type == self.event_type.id
            and known.start <= free.start
            and free.end <= known.end
        ):
            return known.windows, clip(known.combined, free.start, free.end)
        cover = Windows.of(chain.from_iterable(free.of(page).intervals for page in seat.pages))
        return cover, merge(cover.intervals)

    def offers(self, start: datetime) -> bool:
        """Tell whether ``start`` is one of the offered slots."""
        start = to_utc(start)
        for slot in self.slots():
            if slot.start >= start:
                return slot.start == start
        return False

    def valid_pages(self, seat: Seat, start: datetime, limit: int | None = None) -> list[str]:
        """Return the pages of ``seat`` free for the meeting at ``start``, in seat order.

        Args:
            seat: the seat whose pages to check.
            start: the meeting's start.
            limit: stop after this many pages.
        """
        return list(islice(self.free_pages(seat, start), limit))

    def free_pages(self, seat: Seat, start: datetime) -> Iterator[str]:
        """Yield the pages of ``seat`` free for the meeting at ``start``, in seat order, lazily.

        A page's free windows are computed (or taken from those kept) only when reached.
        """
        end = start + self.event_type.duration
        return (page for page in seat.pages if self.free.of(page).holds(start, end))

    def fill(self, start: datetime, chosen: Sequence[str] = ()) -> list[str] | None:
        """Return distinct valid pages for the seats after ``chosen``, or None if impossible.

        Args:
            start: the meeting's start.
            chosen: pages already given to the first seats, which no later seat may take.
        """
        rest = self.seats[len(chosen) :]
        taken = set(chosen)
        options = [
            [
                page
                for page in self.valid_pages(seat, start, len(rest) + len(taken))
                if page not in taken
            ]
            for seat in rest
        ]
        return match(options)
