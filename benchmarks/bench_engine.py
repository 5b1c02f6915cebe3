"""Benchmark the scheduling engine on three seeded workloads and their doublings.

Run ``python benchmarks/bench_engine.py``. Prints, per workload, the best wall time of a
few runs, the peak memory of one run under tracemalloc, and the growth factor when one
dimension (pages, bookings or days) doubles. Targets: (a) one page with 2,000 free windows
< 30 ms; (b) a pooled pool of 200 members in 5 zones with 40,000 bookings over 30 days
< 250 ms and < 200 MB; (c) a panel of a 50-person pool, a 30-room pool and one fixed page
with 10,000 bookings over 14 days < 250 ms; (d) the same panel with a round-robin pool of
people whose first 10 members in line can never meet a room (each loses its turn) < 250 ms.
"""

from __future__ import annotations

import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.availability import FreeTime
from engine.model import (
    DynamicRule,
    EventType,
    LocalRange,
    MasterMode,
    MasterPage,
    Method,
    Occupancy,
    Page,
    PageKind,
    Pool,
    PoolMember,
    Schedule,
    SeatRef,
    StaticMethod,
    Workspace,
    WorkspaceConfig,
    by_id,
)
from engine.rules import offered_slots

NOW = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
ZONES = ("America/New_York", "Europe/London", "Europe/Berlin", "Asia/Kolkata", "Asia/Tokyo")
QUARTER = timedelta(minutes=15)
RUNS = 5


@dataclass(frozen=True)
class Case:
    schedule: Schedule
    master_page: str
    days: int
    tz: str
    pages: int
    bookings: int


def office_hours(
    *ranges: tuple[int, int], weekend: bool = False
) -> tuple[tuple[LocalRange, ...], ...]:
    day = tuple(LocalRange(start * 60, end * 60) for start, end in ranges)
    return (day,) * 7 if weekend else (day,) * 5 + ((), ())


def book(
    rng: random.Random, pages: list[Page], count: int, days: int
) -> dict[str, tuple[Occupancy, ...]]:
    """Spread ``count`` quarter-hour bookings over the pages' local weekdays 08:00–18:00."""
    taken: dict[str, set[int]] = {page.id: set() for page in pages}
    quarters = days * 96
    made: dict[str, list[Occupancy]] = {page.id: [] for page in pages}
    made_count = 0
    while made_count < count:
        page = rng.choice(pages)
        quarter = rng.randrange(quarters)
        local = (NOW + quarter * QUARTER).astimezone(ZoneInfo(page.timezone))
        if quarter in taken[page.id] or local.weekday() >= 5 or not 8 <= local.hour < 18:
            continue
        made_count += 1
        taken[page.id].add(quarter)
        start = NOW + quarter * QUARTER
        booking = Occupancy(
            page.id, start, start + QUARTER, booking_id=f"b{count}-{len(made[page.id])}-{page.id}"
        )
        made[page.id].append(booking)
    return {page: tuple(items) for page, items in made.items()}


def schedule_of(
    pages: list[Page], kind: EventType, pools: list[Pool], master: MasterPage, occupancy
) -> Schedule:
    return Schedule(
        WorkspaceConfig(
            Workspace("T1", "Europe/London"),
            pages=by_id(pages),
            event_types=by_id([kind]),
            pools=by_id(pools),
            master_pages=by_id([master]),
        ),
        occupancy=occupancy,
    )


def single_page(windows: int, days: int) -> Case:
    """(a) One page open around the clock, split by ``windows`` short bookings."""
    rng = random.Random(1)
    page = Page(
        "solo", PageKind.MEMBER, "Solo", "Europe/Berlin", hours=office_hours((0, 24), weekend=True)
    )
    kind = EventType("call", "Call", QUARTER, max_days_ahead=days + 1, pages=("solo",))
    master = MasterPage(
        "desk", "Desk", MasterMode.STATIC, event_types=("call",), method=StaticMethod.POOLED
    )
    # Bookings on even quarters never touch, so each one opens a new free window.
    quarters = rng.sample(range(0, days * 96, 2), windows)
    occupancy = tuple(
        Occupancy("solo", NOW + q * QUARTER, NOW + (q + 1) * QUARTER, booking_id=f"b{q}")
        for q in sorted(quarters)
    )
    return Case(
        schedule_of([page], kind, [], master, {"solo": occupancy}), "desk", days, "UTC", 1, windows
    )


def pooled(members: int, bookings: int, days: int) -> Case:
    """(b) A pooled pool of members in five zones with office hours and many bookings."""
    rng = random.Random(2)
    pages = [
        Page(
            f"m{i}",
            PageKind.MEMBER,
            f"M{i}",
            ZONES[i % len(ZONES)],
            hours=office_hours((9, 12), (13, 17)),
        )
        for i in range(members)
    ]
    kind = EventType(
        "demo",
        "Demo",
        timedelta(minutes=30),
        buffer_after=timedelta(minutes=10),
        max_days_ahead=days + 1,
    )
    pool = Pool(
        "sales",
        "Sales",
        Method.POOLED,
        members=tuple(PoolMember(p.id, joined=i) for i, p in enumerate(pages)),
    )
    master = MasterPage(
        "book", "Book", MasterMode.DYNAMIC, rules=(DynamicRule("demo", SeatRef(pool="sales")),)
    )
    occupancy = book(rng, pages, bookings, days)
    return Case(
        schedule_of(pages, kind, [pool], master, occupancy),
        "book",
        days,
        "America/Chicago",
        members,
        bookings,
    )


def panel(
    people: int, rooms: int, bookings: int, days: int, *, stranded: int | None = None
) -> Case:
    """(c) A person from a pool, a room from a pool and one fixed lead, all at once.

    With ``stranded``, the people's pool is round robin and the first ``stranded`` members
    of its line work only in the evening, when every room is closed: each loses its turn.
    """
    rng = random.Random(3)
    humans = [
        Page(f"p{i}", PageKind.MEMBER, f"P{i}", ZONES[i % 2], hours=office_hours((8, 18)))
        for i in range(people)
    ]
    for i in range(stranded or 0):
        humans[i] = Page(
            f"p{i}", PageKind.MEMBER, f"P{i}", "Europe/London", hours=office_hours((20, 24))
        )
    halls = [
        Page(f"r{i}", PageKind.RESOURCE, f"R{i}", "Europe/London", hours=office_hours((7, 20)))
        for i in range(rooms)
    ]
    lead = Page("lead", PageKind.MEMBER, "Lead", "Europe/London", hours=office_hours((8, 19)))
    pages = [*humans, *halls, lead]
    kind = EventType(
        "panel", "Panel", timedelta(minutes=45), step=timedelta(minutes=15), max_days_ahead=days + 1
    )
    pools = [
        Pool(
            "people",
            "People",
            Method.POOLED if stranded is None else Method.ROUND_ROBIN,
            members=tuple(PoolMember(p.id, joined=i) for i, p in enumerate(humans)),
        ),
        Pool(
            "rooms",
            "Rooms",
            Method.POOLED,
            members=tuple(PoolMember(p.id, joined=i) for i, p in enumerate(halls)),
        ),
    ]
    rule = DynamicRule(
        "panel", SeatRef(pool="people"), (SeatRef(page="lead"), SeatRef(pool="rooms"))
    )
    master = MasterPage("interview", "Interview", MasterMode.DYNAMIC, rules=(rule,))
    occupancy = book(rng, pages, bookings, days)
    return Case(
        schedule_of(pages, kind, pools, master, occupancy),
        "interview",
        days,
        "Europe/London",
        len(pages),
        bookings,
    )


def run(case: Case) -> int:
    kind = next(iter(case.schedule.event_types))
    slots = offered_slots(
        case.schedule, case.master_page, kind, NOW, NOW + timedelta(days=case.days), case.tz, NOW
    )
    return len(slots)


def best_ms(action: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
    return min(times)


def peak_mb(action: Callable[[], object]) -> float:
    tracemalloc.start()
    action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    solo = single_page(2000, 90)
    span = NOW + timedelta(days=solo.days)
    free = FreeTime(solo.schedule, solo.schedule.event_types["call"], NOW, span)
    windows = len(free.of("solo").intervals)
    print(f"(a) the single page has {windows} free windows over {solo.days} days\n")
    workloads: list[tuple[str, float, list[tuple[str, Callable[[], Case]]]]] = [
        (
            "(a) one page, all slots",
            30,
            [
                ("baseline", lambda: single_page(2000, 90)),
                ("2x bookings", lambda: single_page(4000, 90)),
                ("2x days", lambda: single_page(2000, 180)),
            ],
        ),
        (
            "(b) pooled pool",
            250,
            [
                ("baseline", lambda: pooled(200, 40_000, 30)),
                ("2x members", lambda: pooled(400, 40_000, 30)),
                ("2x bookings", lambda: pooled(200, 80_000, 30)),
                ("2x days", lambda: pooled(200, 40_000, 60)),
            ],
        ),
        (
            "(c) panel",
            250,
            [
                ("baseline", lambda: panel(50, 30, 10_000, 14)),
                ("2x members", lambda: panel(100, 60, 10_000, 14)),
                ("2x bookings", lambda: panel(50, 30, 20_000, 14)),
                ("2x days", lambda: panel(50, 30, 10_000, 28)),
            ],
        ),
        (
            "(d) panel, round robin",
            250,
            [
                ("baseline", lambda: panel(50, 30, 10_000, 14, stranded=10)),
                ("2x stranded", lambda: panel(50, 30, 10_000, 14, stranded=20)),
                ("2x bookings", lambda: panel(50, 30, 20_000, 14, stranded=10)),
                ("2x days", lambda: panel(50, 30, 10_000, 28, stranded=10)),
            ],
        ),
    ]
    columns = (
        "workload",
        "variant",
        "pages",
        "bookings",
        "days",
        "slots",
        "best ms",
        "x base",
        "peak MB",
    )
    header = "{:<24} {:<12} {:>6} {:>9} {:>5} {:>6} {:>9} {:>7} {:>8}  target".format(*columns)
    print(header)
    print("-" * len(header))
    for title, target, variants in workloads:
        base = None
        for name, build in variants:
            case = build()
            slots = run(case)
            ms = best_ms(lambda case=case: run(case))
            mb = peak_mb(lambda case=case: run(case))
            base = base or ms
            verdict = (
                f"< {target:g} ms {'ok' if ms < target else 'MISSED'}" if name == "baseline" else ""
            )
            print(
                f"{title:<24} {name:<12} {case.pages:>6} {case.bookings:>9} {case.days:>5} "
                f"{slots:>6} {ms:>9.1f} {ms / base:>7.2f} {mb:>8.1f}  {verdict}"
            )
        print()


if __name__ == "__main__":
    main()
