"""Seeded data for the benchmarks and the concurrency tests.

A ``Scenario`` is a whole workspace configuration (``engine.model.WorkspaceConfig``) plus
the master page and event type its questions are about and the instant they are asked at.
``install`` saves one through the unit of work; ``seed_bookings`` bulk-inserts confirmed
bookings (with their participants and ledger entries) straight into the storage tables with
SQLAlchemy core, so 40,000 bookings take seconds, not minutes.

    scenario = big_pool(members=200, zones=5, days=30)
    install(engine, scenario)
    seed_bookings(engine, scenario, 40_000)

Everything is derived from a seed: the same arguments give the same data.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select, text, update
from sqlmodel import col

from engine.model import (
    DynamicRule,
    EventType,
    LocalRange,
    MasterMode,
    MasterPage,
    Method,
    Page,
    PageKind,
    Pool,
    PoolMember,
    SeatRef,
    Workspace,
    WorkspaceConfig,
    by_id,
)
from storage.tables import (
    BookingRow,
    EventTypeRow,
    LedgerRow,
    MasterPageRow,
    PageChangeRow,
    PageRow,
    ParticipantRow,
    PoolRow,
    WorkspaceRow,
)
from storage.uow import UnitOfWork

NOW = datetime(2026, 3, 2, 6, tzinfo=UTC)
"""Monday 2 March 2026, 06:00 UTC: the instant every scenario is asked at."""

WORKSPACE = "T0BENCH"
ZONES = ("America/New_York", "Europe/London", "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo")
QUARTER = timedelta(minutes=15)
_CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class Scenario:
    """A workspace configuration and the question its users ask."""

    config: WorkspaceConfig
    master_page: str
    event_type: str
    now: datetime = NOW

    @property
    def workspace_id(self) -> str:
        return self.config.workspace.id

    @property
    def kind(self) -> EventType:
        return self.config.event_type(self.event_type)

    def members(self, pool: str) -> tuple[str, ...]:
        """Return the page ids of a pool's members."""
        return tuple(member.page for member in self.config.pool(pool).members)


def week(*ranges: tuple[int, int], weekend: bool = False) -> tuple[tuple[LocalRange, ...], ...]:
    """Return weekly hours: the same ``(start_hour, end_hour)`` ranges every (week)day."""
    day = tuple(LocalRange(start * 60, end * 60) for start, end in ranges)
    return (day,) * 7 if weekend else (day,) * 5 + ((), ())


ALL_DAY = week((0, 24), weekend=True)


def _member(page_id: str, tz: str, hours: tuple[tuple[LocalRange, ...], ...]) -> Page:
    return Page(
        page_id,
        PageKind.MEMBER,
        page_id.upper(),
        tz,
        hours=hours,
        slack_user=f"U{page_id.upper()}",
    )


def _dynamic(master: str, event_type: str, primary: SeatRef, *extra: SeatRef) -> MasterPage:
    rule = DynamicRule(event_type, primary, tuple(extra))
    return MasterPage(master, master.title(), MasterMode.DYNAMIC, rules=(rule,))


def _pool(pool_id: str, method: Method, pages: Sequence[str]) -> Pool:
    members = tuple(PoolMember(page, joined=i) for i, page in enumerate(pages))
    return Pool(pool_id, pool_id.title(), method, members=members)


def single_page(*, workspace: str = WORKSPACE, max_per_day: int | None = None) -> Scenario:
    """One member open around the clock in UTC, booked through master page ``solo``.

    Event type ``call``: 30 minutes on a 30-minute grid, no notice, 30 days ahead.
    """
    page = _member("solo", "UTC", ALL_DAY)
    if max_per_day is not None:
        page = replace(page, max_per_day=max_per_day)
    call = EventType("call", "Call", timedelta(minutes=30), max_days_ahead=30)
    config = WorkspaceConfig(
        workspace=Workspace(workspace, "UTC"),
        pages=by_id((page,)),
        event_types=by_id((call,)),
        master_pages=by_id((_dynamic("solo", "call", SeatRef(page="solo")),)),
    )
    return Scenario(config, "solo", "call")


def small_pool(
    members: int = 5, *, method: Method = Method.POOLED, workspace: str = WORKSPACE
) -> Scenario:
    """A pool of ``members`` people open around the clock, behind master page ``team``.

    Event type ``call`` as in ``single_page``; the pool ``team`` distributes by ``method``.
    """
    pages = tuple(_member(f"m{i}", "UTC", ALL_DAY) for i in range(members))
    call = EventType("call", "Call", timedelta(minutes=30), max_days_ahead=30)
    config = WorkspaceConfig(
        workspace=Workspace(workspace, "UTC"),
        pages=by_id(pages),
        event_types=by_id((call,)),
        pools=by_id((_pool("team", method, [p.id for p in pages]),)),
        master_pages=by_id((_dynamic("team", "call", SeatRef(pool="team")),)),
    )
    return Scenario(config, "team", "call")


def many_pages(count: int = 8, *, workspace: str = WORKSPACE) -> Scenario:
    """``count`` people open around the clock, each alone behind master page ``page-<i>``.

    Event type ``call`` as in ``single_page``. Bookings of different pages share nothing
    but the database: the best case for concurrent writers.
    """
    pages = tuple(_member(f"p{i}", "UTC", ALL_DAY) for i in range(count))
    call = EventType("call", "Call", timedelta(minutes=30), max_days_ahead=30)
    config = WorkspaceConfig(
        workspace=Workspace(workspace, "UTC"),
        pages=by_id(pages),
        event_types=by_id((call,)),
        master_pages=by_id(
            tuple(
                _dynamic(f"page-{i}", "call", SeatRef(page=page.id)) for i, page in enumerate(pages)
            )
        ),
    )
    return Scenario(config, "page-0", "call")


def crossing_pages(*, workspace: str = WORKSPACE) -> Scenario:
    """Five people reachable through four master pages whose page sets overlap.

    ``left`` is the pooled pool {p0, p1, p2}; ``right`` the pooled-with-priority pool
    {p1, p2, p3}; ``panel`` needs p3 plus one of ``left``; ``solo`` is p2 alone. Event type
    ``meet`` lasts 30 minutes on a 15-minute step with 5 minutes of buffer after, so
    bookings on one page can overlap partly, not only coincide.
    """
    pages = tuple(_member(f"p{i}", "UTC", ALL_DAY) for i in range(5))
    meet = EventType(
        "meet",
        "Meet",
        timedelta(minutes=30),
        step=QUARTER,
        buffer_after=timedelta(minutes=5),
        max_days_ahead=30,
    )
    config = WorkspaceConfig(
        workspace=Workspace(workspace, "UTC"),
        pages=by_id(pages),
        event_types=by_id((meet,)),
        pools=by_id(
            (
                _pool("left", Method.POOLED, ["p0", "p1", "p2"]),
                _pool("right", Method.POOLED_PRIORITY, ["p1", "p2", "p3"]),
            )
        ),
        master_pages=by_id(
            (
                _dynamic("left", "meet", SeatRef(pool="left")),
                _dynamic("right", "meet", SeatRef(pool="right")),
                _dynamic("panel", "meet", SeatRef(page="p3"), SeatRef(pool="left")),
                _dynamic("solo", "meet", SeatRef(page="p2")),
            )
        ),
    )
    return Scenario(config, "left", "meet")


CROSSING_MASTER_PAGES = ("left", "right", "panel", "solo")


def big_pool(
    members: int = 200, *, zones: int = 5, days: int = 30, workspace: str = WORKSPACE
) -> Scenario:
    """A pooled-availability pool of ``members`` people spread over ``zones`` time zones.

    Each member works 09:00–12:00 and 13:00–17:00 local time on weekdays. Master page
    ``book`` offers event type ``demo`` (30 minutes, 10 minutes of buffer after, bookable
    ``days`` + 1 days ahead) with the pool ``sales`` as its primary. This is workload (b) of
    ``benchmarks/bench_engine.py``, stored in a database.
    """
    pages = tuple(
        _member(f"m{i}", ZONES[i % zones], week((9, 12), (13, 17))) for i in range(members)
    )
    demo = EventType(
        "demo",
        "Demo",
        timedelta(minutes=30),
        buffer_after=timedelta(minutes=10),
        max_days_ahead=days + 1,
    )
    config = WorkspaceConfig(
        workspace=Workspace(workspace, "America/Chicago"),
        pages=by_id(pages),
        event_types=by_id((demo,)),
        pools=by_id((_pool("sales", Method.POOLED, [p.id for p in pages]),)),
        master_pages=by_id((_dynamic("book", "demo", SeatRef(pool="sales")),)),
    )
    return Scenario(config, "book", "demo")


def install(engine: Engine, scenario: Scenario) -> None:
    """Save the scenario's configuration (in one transaction)."""
    with UnitOfWork(engine) as uow:
        uow.config.save(scenario.config, now=NOW)
        uow.commit()


@dataclass(frozen=True, slots=True)
class _Seeded:
    page: str
    start: datetime


def _spread(
    scenario: Scenario, count: int, days: int, seed: int, first: datetime
) -> Iterator[_Seeded]:
    """Yield ``count`` distinct quarter hours of the pages from ``first`` on, local weekdays
    08:00–18:00."""
    rng = random.Random(seed)
    pages = tuple(scenario.config.pages.values())
    zones = {page.id: ZoneInfo(page.timezone) for page in pages}
    quarters = days * 96
    capacity = len(pages) * quarters * 5 * 40 // (7 * 96)
    if count > capacity * 0.9:
        raise ValueError(f"{count} bookings do not fit {len(pages)} pages over {days} days")
    taken: set[tuple[str, int]] = set()
    while len(taken) < count:
        page = rng.choice(pages)
        quarter = rng.randrange(quarters)
        if (page.id, quarter) in taken:
            continue
        start = first + quarter * QUARTER
        local = start.astimezone(zones[page.id])
        if local.weekday() >= 5 or not 8 <= local.hour < 18:
            continue
        taken.add((page.id, quarter))
        yield _Seeded(page.id, start)


def seed_bookings(
    engine: Engine,
    scenario: Scenario,
    count: int,
    *,
    days: int = 30,
    seed: int = 2,
    history: bool = False,
) -> int:
    """Insert ``count`` confirmed quarter-hour bookings on the scenario's pool members.

    Bookings start at random quarter hours of ``[now, now + days)`` (with ``history``, of
    the ``days`` before ``now``), in each page's local weekday 08:00–18:00, never two on one
    page at once (so PostgreSQL's overlap constraint holds). Each is owned by its page,
    assigned through the first pool that holds the page, and has the ledger's ``received``
    entry at a random moment of the 20 days before the earlier of its start and ``now``.
    Returns how many were inserted.
    """
    rng = random.Random(seed + 1)
    workspace = scenario.workspace_id
    pool_of = {m.page: pool.id for pool in scenario.config.pools.values() for m in pool.members}
    with engine.begin() as conn:
        ws = conn.execute(select(WorkspaceRow.id).where(WorkspaceRow.team_id == workspace)).one()[0]

        def keys(table: type[PageRow | PoolRow | MasterPageRow | EventTypeRow]) -> dict:
            rows = conn.execute(select(table.key, table.id).where(table.workspace_id == ws))
            return dict(rows.tuples().all())

        pages, pools = keys(PageRow), keys(PoolRow)
        master = keys(MasterPageRow)[scenario.master_page]
        event_type = keys(EventTypeRow)[scenario.event_type]
        bookings: list[dict] = []
        participants: list[dict] = []
        ledger: list[dict] = []
        first = scenario.now - timedelta(days=days) if history else scenario.now
        for item in _spread(scenario, count, days, seed, first):
            booking_id = uuid.uuid4()
            given = min(item.start, scenario.now)
            created = given - timedelta(minutes=rng.randrange(20 * 24 * 60))
            pool = pool_of.get(item.page)
            end = item.start + QUARTER
            bookings.append(
                {
                    "id": booking_id,
                    "workspace_id": ws,
                    "master_page_id": master,
                    "event_type_id": event_type,
                    "owner_page_id": pages[item.page],
                    "start_at": item.start,
                    "end_at": end,
                    "status": "confirmed",
                    "buffer_before_min": 0,
                    "buffer_after_min": 0,
                    "customer_name": "Seeded customer",
                    "customer_email": "seeded@example.com",
                    "form_answers": {},
                    "created_at": created,
                }
            )
            participants.append(
                {
                    "id": uuid.uuid4(),
                    "workspace_id": ws,
                    "booking_id": booking_id,
                    "page_id": pages[item.page],
                    "seat": 0,
                    "pool_id": None if pool is None else pools[pool],
                    "role": "owner",
                    "start_at": item.start,
                    "end_at": end,
                    "confirmed": True,
                    "buffer_before_min": 0,
                    "buffer_after_min": 0,
                }
            )
            if pool is not None:
                ledger.append(
                    {
                        "id": uuid.uuid4(),
                        "workspace_id": ws,
                        "pool_id": pools[pool],
                        "page_id": pages[item.page],
                        "kind": "received",
                        "at": created,
                        "booking_id": booking_id,
                    }
                )
        for table, rows in (
            (BookingRow, bookings),
            (ParticipantRow, participants),
            (LedgerRow, ledger),
        ):
            for first in range(0, len(rows), _CHUNK):
                conn.execute(insert(table.__table__), rows[first : first + _CHUNK])  # type: ignore[attr-defined]
        # What BookingRepository.add keeps for every booking it stores: schedule loads bound
        # a booking's start by the longest stored booking (storage.schedule).
        length = QUARTER // timedelta(minutes=1)
        conn.execute(
            update(WorkspaceRow)
            .where(col(WorkspaceRow.id) == ws, col(WorkspaceRow.max_booking_minutes) < length)
            .values(max_booking_minutes=length)
        )
    if engine.dialect.name == "postgresql":
        # What autovacuum would do a minute later (it vacuums tables that only grew too,
        # since PostgreSQL 13): without statistics the planner takes the freshly filled
        # tables for empty ones and picks nested loops over them, and without the
        # visibility map an index-only scan reads every heap page it covers again.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in (BookingRow, ParticipantRow, LedgerRow, PageChangeRow):
                conn.execute(text(f"VACUUM ANALYZE {table.__tablename__}"))
    return len(bookings)
