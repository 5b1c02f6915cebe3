"""Pages' free windows kept between questions, in each process, checked against the database.

Offering slots and booking both need every involved page's free windows ``F_E(p)``; in a
pool of 2,000 members with 400,000 bookings, reading the bookings and computing the windows
again for every question took seconds. ``load`` keeps each page's windows for an event type
(``engine.model.KnownFree``) and reads the bookings of, and computes, only the pages whose
windows it does not hold for the question's span, or whose stamp changed.

Why it is safe across processes: every change to a page's bookings, busy blocks or time
off gives the page a new random stamp in the changing transaction, by database triggers
(``storage.page_changes``, migration 0013), so no writer can forget it. A question reads
the stamps first, then the bookings of the pages it computes, in its own transaction: an
entry is used only at the stamp it was computed at, and a change committed between the two
reads makes the entry stale, never wrong. Entries are keyed by the configuration version
too (hours, zones, limits and buffers are configuration), and a transaction that saved a
configuration neither reads nor fills the cache (``storage.config_cache``).

The cache is bounded by the number of windows it holds (``BUDGET``), least recently used
first out: 500,000 windows are about 150 MB; and by the groups of pages' windows together
it keeps (those of ``COVERS`` sets of up to 4,096 pages; a group keeps only the windows
that reach further than those before it, a few a day).
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Collection, Hashable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import chain

from engine.availability import FreeTime
from engine.intervals import Windows, clip, merge
from engine.model import EventType, KnownCover, KnownFree, Schedule
from storage.config import Configuration
from storage.config_cache import Lru, configuration_key
from storage.page_changes import page_stamps
from storage.uow import UnitOfWork

BUDGET = 500_000
"""Windows kept in all (a 30-day question of 2,000 busy members holds about 480,000)."""

COVERS = 8
"""Sets of pages whose groups of windows are kept (a few master pages' questions at a time)."""

GROUP = 64
"""Pages whose windows together are kept as one (``_covers``)."""

_Span = tuple[datetime, datetime]
Fill = Callable[[Collection[str], Collection[str], datetime], Schedule]
"""Reads the bookings of some pages up to an instant (of the second ones, up to the horizon)."""


def load(
    uow: UnitOfWork,
    configuration: Configuration,
    kind: EventType,
    since: datetime,
    until: datetime,
    *,
    now: datetime,
    pages: Collection[str],
    ahead: Collection[str],
    fill: Fill,
) -> Schedule:
    """Return the schedule ``fill`` reads, with every page of ``pages`` in ``Schedule.free``.

    ``pages`` need their windows over ``[since, until)``, those of ``ahead`` from ``now`` up
    to the booking horizon too (as ``ScheduleRepository.fill`` reads them). ``fill`` is
    asked only for the pages whose windows are not kept, up to the UTC midnight after the
    span and a day more (within the horizon), so that what it computes holds for the rest
    of the day's questions and for bookings of the span's last day. The pages'
    windows together are kept too (``Schedule.covers``), for a seat they fill.
    """
    key = configuration_key(uow.session, configuration.workspace_pk)
    if key is None:
        return fill(pages, ahead, until)
    stamps = page_stamps(uow.session, configuration.workspace_pk)  # before the bookings
    pks = configuration.keys.page_pks
    reach = now + timedelta(days=kind.max_days_ahead) + kind.duration  # the last meeting's end
    # A day past what is asked, but not past the horizon: a booking's view reaches a day
    # past its start, so a booking on the last day asked stays inside the windows the
    # month's question computed (else it would compute, and keep, every page again).
    last = _midnight_after(min(until + timedelta(days=1), max(until, reach)))
    horizon = _midnight_after(reach)
    known: dict[str, KnownFree] = {}
    missing: defaultdict[_Span, list[str]] = defaultdict(list)
    for page in pages:
        low, high = (min(since, now), max(last, horizon)) if page in ahead else (since, last)
        pk = pks.get(page)
        hit = None if pk is None else _CACHE.get((key, pk, kind.id))
        if hit is not None and pk is not None and hit[0] == stamps.get(pk, 0):
            found = hit[1]
            if found.start <= low and high <= found.end:
                known[page] = found
                continue
        missing[(low, high)].append(page)
    wanted = [page for group in missing.values() for page in group]
    wanted_ahead = [page for page in wanted if page in ahead]
    schedule = fill(wanted, wanted_ahead, max(last, horizon) if wanted_ahead else last)
    for (low, high), group in missing.items():
        free = FreeTime(schedule, kind, low, high)
        for page in group:
            windows = KnownFree(kind.id, low, high, tuple(free.of(page).intervals))
            known[page] = windows
            pk = pks.get(page)
            if pk is not None:
                _CACHE.keep((key, pk, kind.id), (stamps.get(pk, 0), windows))
    covers = _covers(key, kind, known, pks, stamps, since, last)
    return replace(schedule, free=known, covers=covers)


def _covers(
    key: Hashable,
    kind: EventType,
    known: dict[str, KnownFree],
    pks: Mapping[str, uuid.UUID],
    stamps: Mapping[uuid.UUID, int],
    since: datetime,
    last: datetime,
) -> dict[frozenset[str], KnownCover]:
    """Return the windows of all of ``known``'s pages together over ``[since, last)``.

    The sort of every page's windows is what a question about thousands of pages cost most,
    so the pages are taken in groups of ``GROUP`` (in id order), each group's windows
    together are kept while none of its pages' stamps changes, and the whole is built from
    the groups' (``Windows.together``: a few windows a day each). A booking then costs its
    page's group again, not all 2,000 pages.
    """
    if len(known) < 2 or any(page not in pks for page in known):
        return {}
    pages = frozenset(known)
    low = max(since, *(found.start for found in known.values()))
    high = min(last, *(found.end for found in known.values()))
    if not low < high:
        return {}
    ordered = sorted(pages)
    groups = []
    for first in range(0, len(ordered), GROUP):
        members = ordered[first : first + GROUP]
        where = (key, kind.id, frozenset(members))
        signature = tuple(stamps.get(pks[page], 0) for page in members)
        hit = _GROUPS.get(where)
        # Kept for a span holding this one (a day's question after the month's): a window
        # reaching past the span holds the same meetings inside it as one clipped.
        if hit is not None and hit[0] == signature and hit[1] <= low and high <= hit[2]:
            groups.append(hit[3])
            continue
        group = Windows.of(
            chain.from_iterable(clip(known[page].windows, low, high) for page in members)
        )
        if hit is None or hit[0] != signature or hit[2] - hit[1] <= high - low:
            _GROUPS.put(where, (signature, low, high, group))  # else the longer one stays
        groups.append(group)
    windows = Windows.together(groups)
    return {pages: KnownCover(kind.id, low, high, windows, tuple(merge(windows.intervals)))}


def _length(found: KnownFree) -> timedelta:
    return found.end - found.start


def _midnight_after(moment: datetime) -> datetime:
    """Return the first UTC midnight after ``moment``."""
    day = moment.astimezone(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class _Budgeted:
    """A mapping shared by threads that keeps at most ``budget`` windows in all (LRU)."""

    def __init__(self, budget: int) -> None:
        self._budget = budget
        self._used = 0
        self._entries: OrderedDict[Hashable, tuple[int, KnownFree]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[int, KnownFree] | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def keep(self, key: Hashable, value: tuple[int, KnownFree]) -> None:
        """Keep ``value``, unless what is kept is as fresh and spans longer (a month's
        windows stay when a question about a few days past them computes those days)."""
        with self._lock:
            old = self._entries.get(key)
            if old is not None and old[0] == value[0] and _length(old[1]) > _length(value[1]):
                return
            if old is not None:
                del self._entries[key]
                self._used -= len(old[1].windows) + 1
            self._entries[key] = value
            self._used += len(value[1].windows) + 1
            while self._used > self._budget and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._used -= len(dropped[1].windows) + 1


_CACHE = _Budgeted(BUDGET)
_GROUPS = Lru(COVERS * 64)  # the groups of COVERS sets of up to 4,096 pages
