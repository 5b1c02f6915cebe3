"""Everything the engine needs for one question, in a fixed number of queries.

``ScheduleRepository.load`` runs at most 5 statements whatever the number of pages, members
or bookings when the configuration is cached (``storage.config_cache``): the workspace's
version and longest booking buffer, then occupancy, busy blocks, time off and the ledger. A
cache miss adds the workspace row, the 10 of ``storage.config_read`` and a second look at
the version. It is ``ConfigRepository.configuration`` followed by ``fill`` (the last 4), so a
caller can read the configuration, ask the engine which pages a question involves
(``engine.seats.involved_pages``) and load only their bookings.

Time off (whole local dates of a page) becomes busy blocks from the page's local midnight to
the midnight after its last day, in the page's zone as it is when read, so a page that
changes zone keeps its days off.

Occupancy and busy blocks (Schedule's contract) are read for the pages asked about
(``pages``, default every page) over the asked range ``[since, until)``; for the pages in
``ahead`` (default all of ``pages``) the span also holds ``now`` and the booking horizon
(the longest ``max_days_ahead`` plus the longest duration). A page with a per-day or
per-week limit gets the whole local Monday–Sunday weeks, in its zone, holding its span, so
its counts are whole. Every span is then widened each side by the longest buffer of any
stored booking plus the longest buffer of the live event types: a booking's busy time
reaches beyond it by its own buffers and the asking event type's. Bookings keep the
buffers they were made with, so the first term cannot come from the event types (whose
buffers may have shrunk since): it is ``workspaces.max_booking_buffer_min``, which
``BookingRepository.add`` raises in the booking's own transaction when the new booking's
longest buffer exceeds it, and which never shrinks. Likewise ``max_booking_minutes``
bounds a booking's length, so a booking's start is bounded from below as well as above and
the (page, start) index reads only the widened span, not the page's whole earlier history.
The raise is a conditional UPDATE run only when a value this transaction read is smaller,
so the common booking writes nothing there and bookings do not queue on the workspace row.
Both are read after the transaction's page locks: every booking of a locked page committed
before, its buffers and length included.

Ledger, of the pools asked about (``pools``, default every pool; none asked, no query), as
counts the database makes: per pool, member and kind, how many entries there are from the
start of the reporting cycle holding ``min(since, now)`` up to ``now`` (in the workspace
zone, ``engine.distribution.cycle_bounds``; ``continuous`` pools never reset), as one
``LedgerEntry`` with that ``count`` at the latest of them (the cycle holding ``now`` counted
apart), and each member's latest ``received`` entry when it is older than that; in time
order. A busy pool's ledger grows by one entry a booking, but a question reads one row per
member and kind. Entries come without their booking (``LedgerEntry.booking_id`` is None):
the engine only counts them.

Last received (``Schedule.last_received``), only for the (master page, event type) asked
about as ``idle``: each owner page's latest booking of that event type on that master page
made at or before ``now``, cancelled or not (receiving it is what counts), grouped from
``ix_bookings_last_received``.

Ids and instants are read as the driver gives them and parsed as little as possible
(``storage.reading``): parsing tens of thousands of UUIDs to print them again was a sixth of a
booking's time, and SQLAlchemy's two Python-level processors per instant as much again.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    func,
    null,
    or_,
    union_all,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from engine.distribution import cycle_bounds
from engine.model import BusyBlock, LedgerEntry, LedgerKind, Occupancy, Schedule
from engine.zones import local_to_utc, zone
from storage.config import ConfigRepository, Configuration
from storage.reading import Reading
from storage.tables import (
    BookingRow,
    BusyBlockRow,
    LedgerRow,
    PageRow,
    ParticipantRow,
    PoolMemberRow,
    TimeOffRow,
)

T = TypeVar("T")
_Span = tuple[datetime, datetime]


def _by_key(pairs: Iterable[tuple[str, T]]) -> dict[str, tuple[T, ...]]:
    grouped: defaultdict[str, list[T]] = defaultdict(list)
    for key, value in pairs:
        grouped[key].append(value)
    return {key: tuple(values) for key, values in grouped.items()}


class ScheduleRepository:
    """Loads a workspace's ``Schedule`` in bulk."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._reading = Reading(postgres=session.get_bind().dialect.name == "postgresql")

    def load(
        self,
        workspace_id: str,
        since: datetime,
        until: datetime,
        *,
        now: datetime,
        pages: Collection[str] | None = None,
        ahead: Collection[str] | None = None,
        pools: Collection[str] | None = None,
    ) -> Schedule:
        """Return the schedule of a workspace for questions about ``[since, until)``.

        ``pages`` (default every page) limits the occupancy and busy blocks to those pages;
        ``ahead`` (default all of ``pages``) are the pages whose bookings up to the booking
        horizon from ``now`` are needed too; ``pools`` (default every pool) limits the ledger
        to those pools.

        Raises:
            NotFound: the workspace has no configuration.
        """
        stored = ConfigRepository(self._session).configuration(workspace_id)
        return self.fill(stored, since, until, now=now, pages=pages, ahead=ahead, pools=pools)

    def fill(
        self,
        stored: Configuration,
        since: datetime,
        until: datetime,
        *,
        now: datetime,
        pages: Collection[str] | None = None,
        ahead: Collection[str] | None = None,
        pools: Collection[str] | None = None,
        booking_ids: bool = True,
        idle: tuple[str, str] | None = None,
        without: str | None = None,
    ) -> Schedule:
        """Complete a stored configuration with the bookings, busy blocks and ledger (see ``load``).

        ``pools`` (default every pool) limits the ledger to those pools. ``idle`` names a
        (master page, event type) whose pages' last receipts to read. Without
        ``booking_ids`` the occupancy leaves out which booking each one is
        (``Occupancy.booking_id`` is None): only a reassignment, which ignores its own
        booking, needs them, and dashing tens of thousands of ids costs a booking's time.
        ``without`` names a booking left out of the occupancy (one being moved), in the
        query itself, so no id needs reading.
        """
        ws, keys = stored.workspace_pk, stored.keys
        wanted = stored.config.pages.keys() if pages is None else pages
        spans = _spans(stored, since, until, now, wanted, wanted if ahead is None else ahead)
        return Schedule(
            stored.config,
            occupancy=self._occupancy(
                ws,
                spans,
                stored.bookings.length,
                keys.page_pks,
                booking_ids=booking_ids,
                without=without,
            ),
            busy=self._busy(ws, spans, stored),
            ledger=self._ledger(ws, stored, min(since, now), now, pools),
            last_received={} if idle is None else {idle: self._last_received(stored, idle, now)},
        )

    def _last_received(
        self, stored: Configuration, idle: tuple[str, str], now: datetime
    ) -> dict[str, datetime]:
        pks = stored.keys.pks
        master, event_type = pks["master_pages"].get(idle[0]), pks["event_types"].get(idle[1])
        if master is None or event_type is None:
            return {}
        read = self._reading
        rows = self._rows(
            sa_select(
                read.raw_id(col(BookingRow.owner_page_id)),
                read.instant(func.max(col(BookingRow.created_at))),
            )
            .where(
                col(BookingRow.workspace_id) == stored.workspace_pk,
                col(BookingRow.master_page_id) == master,
                col(BookingRow.event_type_id) == event_type,
                col(BookingRow.created_at) <= now,
            )
            .group_by(col(BookingRow.owner_page_id))
        )
        keys, parse = read.keys(stored.keys.page_pks), read.parse
        return {keys[pk]: parse(at) for pk, at in rows if pk in keys}

    def _occupancy(
        self,
        ws: uuid.UUID,
        spans: dict[_Span, list[uuid.UUID]],
        longest: timedelta,
        page_pks: Mapping[str, uuid.UUID],
        *,
        booking_ids: bool,
        without: str | None = None,
    ) -> dict[str, tuple[Occupancy, ...]]:
        if not spans:
            return {}
        # booking_id is in the covering index too: leaving one out keeps the scan index-only.
        left_out = [] if without is None else [col(ParticipantRow.booking_id) != uuid.UUID(without)]
        read = self._reading
        # Every column is in ix_booking_participants_page_start, so the database reads that
        # index alone; the pages are named from the configuration, not by a join.
        rows = self._rows(
            sa_select(
                read.raw_id(col(ParticipantRow.page_id)),
                read.instant(col(ParticipantRow.start_at)),
                read.instant(col(ParticipantRow.end_at)),
                col(ParticipantRow.buffer_before_min),
                col(ParticipantRow.buffer_after_min),
                read.text_id(col(ParticipantRow.booking_id)) if booking_ids else null(),
            ).where(
                col(ParticipantRow.workspace_id) == ws,
                col(ParticipantRow.confirmed).is_(True),
                _within(ParticipantRow, spans, longest),
                *left_out,
            )
        )
        keys = read.keys(page_pks)
        parse = read.parse
        # Buffers repeat (a few event types); one timedelta per distinct minute count.
        minutes: dict[int, timedelta] = {}
        found: defaultdict[str, list[Occupancy]] = defaultdict(list)
        for pk, start, end, before, after, booking_id in rows:
            if (pad_before := minutes.get(before)) is None:
                pad_before = minutes[before] = timedelta(minutes=before)
            if (pad_after := minutes.get(after)) is None:
                pad_after = minutes[after] = timedelta(minutes=after)
            page = keys[pk]
            found[page].append(
                Occupancy(page, parse(start), parse(end), pad_before, pad_after, booking_id)
            )
        return {page: tuple(bookings) for page, bookings in found.items()}

    def _busy(
        self, ws: uuid.UUID, spans: dict[_Span, list[uuid.UUID]], stored: Configuration
    ) -> dict[str, tuple[BusyBlock, ...]]:
        """External busy blocks, and time off as blocks of whole local days in the page's zone."""
        if not spans:
            return {}
        read = self._reading
        rows = self._rows(
            sa_select(
                read.raw_id(col(BusyBlockRow.page_id)),
                read.instant(col(BusyBlockRow.start_at)),
                read.instant(col(BusyBlockRow.end_at)),
            ).where(col(BusyBlockRow.workspace_id) == ws, _within(BusyBlockRow, spans))
        )
        keys, parse = read.keys(stored.keys.page_pks), read.parse
        blocks = [BusyBlock(keys[pk], parse(start), parse(end)) for pk, start, end in rows]
        # A local date lies within a day of its UTC date in every zone (offsets < 24 hours).
        days = self._rows(
            sa_select(
                read.raw_id(col(TimeOffRow.page_id)),
                col(TimeOffRow.first_day),
                col(TimeOffRow.last_day),
            ).where(
                col(TimeOffRow.workspace_id) == ws,
                or_(
                    *(
                        and_(
                            col(TimeOffRow.page_id).in_(pks),
                            col(TimeOffRow.last_day) >= (low - timedelta(days=1)).date(),
                            col(TimeOffRow.first_day) <= (high + timedelta(days=1)).date(),
                        )
                        for (low, high), pks in spans.items()
                    )
                ),
            )
        )
        pages = stored.config.pages
        for pk, first, last in days:
            page = keys[pk]
            tz = zone(pages[page].timezone)
            blocks.append(BusyBlock(page, local_to_utc(first, 0, tz), local_to_utc(last, 1440, tz)))
        return _by_key((block.page, block) for block in blocks)

    def _ledger(
        self,
        ws: uuid.UUID,
        stored: Configuration,
        earliest: datetime,
        now: datetime,
        wanted: Collection[str] | None,
    ) -> dict[str, tuple[LedgerEntry, ...]]:
        pool_keys = {
            pk: key for pk, key in stored.keys.pool_keys.items() if wanted is None or key in wanted
        }
        if not pool_keys:
            return {}
        tz = stored.config.workspace.timezone
        # Pools by the starts of their cycles holding ``earliest`` and ``now`` (None:
        # continuous, never resets).
        by_start: defaultdict[tuple[datetime | None, datetime | None], list[uuid.UUID]]
        by_start = defaultdict(list)
        for pk, key in pool_keys.items():
            cycle = stored.config.pools[key].cycle
            starts = (cycle_bounds(cycle, tz, earliest)[0], cycle_bounds(cycle, tz, now)[0])
            by_start[starts].append(pk)
        kinds = {kind.value: kind for kind in LedgerKind}
        received = LedgerKind.RECEIVED.value
        read = self._reading
        page = col(PageRow.key)
        kind = col(LedgerRow.kind)
        at = col(LedgerRow.at)

        def counted(
            pks: list[uuid.UUID], since: datetime | None, current: datetime | None
        ) -> Select[*tuple[Any, ...]]:
            # Each (pool, member, kind) of a cycle counted by the database from
            # ix_ledger_latest alone: one row where a busy pool has thousands of entries; the
            # cycle holding ``now`` apart from an earlier one. Entries after ``now`` do not
            # count yet. Members are named after counting (archived pages keep history).
            cycles = [] if current is None else [at >= current]
            group = [col(LedgerRow.pool_id), col(LedgerRow.page_id), kind, *cycles]
            counts = (
                sa_select(*group[:3], func.max(at).label("at"), func.count().label("count"))
                .where(
                    col(LedgerRow.pool_id).in_(pks),
                    at <= now,
                    *([] if since is None else [at >= since]),
                )
                .group_by(*group)
                .subquery()
            )
            return sa_select(
                read.raw_id(counts.c.pool_id),
                page,
                counts.c.kind,
                read.instant(counts.c.at),
                counts.c.count,
            ).join(PageRow, col(PageRow.id) == counts.c.page_id)

        # Each member's latest receipt, for those whose latest is older than the cycle: one
        # probe of ix_ledger_latest a member, however long the pool's history (max() read
        # from the index's end), kept in Python when it is before the cycle's start.
        newest = (
            sa_select(func.max(at))
            .where(
                col(LedgerRow.pool_id) == PoolMemberRow.pool_id,
                col(LedgerRow.page_id) == PoolMemberRow.page_id,
                col(LedgerRow.kind) == received,
            )
            .scalar_subquery()
        )
        branches = []
        cycle_starts: dict[object, datetime] = {}  # by the pool's raw id
        for (since, current), pks in by_start.items():
            branches.append(counted(pks, since, current))
            if since is not None:
                cycle_starts.update((read.raw(pk), since) for pk in pks)
        rows: list[Any] = list(self._rows(union_all(*branches)))  # type: ignore[arg-type]
        parse = read.parse
        # Only members with no receipt since their pool's cycle began can have their latest
        # one before it: in a busy pool, none, and the probes are skipped.
        received_since = {
            (pool_id, member) for pool_id, member, kind, *_ in rows if kind == received
        }
        for pk, key in pool_keys.items():
            pool = stored.config.pools[key]
            if all(
                (read.raw(pk), member.page) in received_since
                for member in (*pool.members, *pool.former)
            ):
                cycle_starts.pop(read.raw(pk), None)
        if cycle_starts:
            members = (
                sa_select(read.raw_id(col(PoolMemberRow.pool_id)), page, read.instant(newest))
                .join(PageRow, col(PageRow.id) == PoolMemberRow.page_id)
                .where(
                    col(PoolMemberRow.workspace_id) == ws,
                    col(PoolMemberRow.pool_id).in_(
                        [pk for pk in pool_keys if read.raw(pk) in cycle_starts]
                    ),
                )
            )
            for pool_id, member, last in self._rows(members):
                if last is not None and parse(last) < cycle_starts[pool_id]:
                    rows.append((pool_id, member, received, last, 1))
        pools = read.keys({key: pk for pk, key in pool_keys.items()})
        found = sorted(
            (
                LedgerEntry(pools[pool], page, kinds[kind], parse(at), count=count)
                for pool, page, kind, at, count in rows
            ),
            key=attrgetter("at"),
        )
        return _by_key((entry.pool, entry) for entry in found)

    def _rows(self, statement: Select[*tuple[Any, ...]]) -> Sequence[Row[*tuple[Any, ...]]]:
        """Run a bulk read on the session's connection and fetch every row at once.

        Plain columns, not ORM entities: building tens of thousands of row objects costs
        seconds, while the engine needs a few values a row.
        """
        return self._session.connection().execute(statement).all()


def _spans(
    stored: Configuration,
    since: datetime,
    until: datetime,
    now: datetime,
    pages: Collection[str],
    ahead: Collection[str],
) -> dict[_Span, list[uuid.UUID]]:
    """Group the primary keys of ``pages`` by the span of time their bookings are needed in."""
    config = stored.config
    kinds = config.event_types.values()
    horizon = max((timedelta(days=k.max_days_ahead) + k.duration for k in kinds), default=None)
    buffers = (max(k.buffer_before, k.buffer_after) for k in kinds)
    reach = stored.bookings.buffer + max(buffers, default=timedelta(0))
    spans: defaultdict[_Span, list[uuid.UUID]] = defaultdict(list)
    for key in pages:
        page, pk = config.pages.get(key), stored.keys.page_pks.get(key)
        if page is None or pk is None:
            continue
        low, high = since, until
        if key in ahead and horizon is not None:
            low, high = min(low, now), max(high, now + horizon)
        if page.max_per_day is not None or page.max_per_week is not None:
            low, high = _weeks(low, high, zone(page.timezone))
        spans[(low - reach, high + reach)].append(pk)
    return dict(spans)


def _weeks(low: datetime, high: datetime, tz: ZoneInfo) -> _Span:
    """Return the local Monday–Sunday weeks in ``tz`` that hold ``[low, high]``."""
    first = low.astimezone(tz).date()
    last = high.astimezone(tz).date()
    monday = first - timedelta(days=first.weekday())
    after = last + timedelta(days=7 - last.weekday())
    return local_to_utc(monday, 0, tz), local_to_utc(after, 0, tz)


def _within(
    table: type[ParticipantRow] | type[BusyBlockRow],
    spans: dict[_Span, list[uuid.UUID]],
    longest: timedelta | None = None,
) -> ColumnElement[bool]:
    """Rows of the pages of each span that overlap it (one OR branch per distinct span).

    With ``longest``, the length no row exceeds, the start is bounded from below too, so the
    (page, start) index reads only the span instead of every earlier row of the page.
    """
    return or_(
        *(
            and_(
                col(table.page_id).in_(pks),
                col(table.start_at) < high,
                col(table.end_at) > low,
                *(() if longest is None else (col(table.start_at) >= low - longest,)),
            )
            for (low, high), pks in spans.items()
        )
    )
