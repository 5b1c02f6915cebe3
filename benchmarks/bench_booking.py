"""Benchmark ``services.booking.book`` on SQLite and PostgreSQL.

Run ``python benchmarks/bench_booking.py [--quick] [--no-postgres] [--profile]``. Each run
makes its own databases: a SQLite file in a temporary directory and a fresh schema on the
PostgreSQL server of env ``ROUNDTABLE_TEST_PG`` (default 127.0.0.1:5432, db ``test``),
dropped at the end.

1. Throughput: 8 client threads released together, each booking its own distinct free
   starts, so nobody loses a slot but the writers still meet on the database and its locks.
   ``shared pool``: every client books master page ``team`` (a pooled pool of 8, whose
   booking locks all 8 pages); ``own pages``: client i books only master page ``page-i``.
   Target: >= 100 bookings/s on PostgreSQL. On PostgreSQL the same 8 clients are also
   spread over 2 app processes sharing the database (4 threads each, released together):
   the way past one process, since one process's Python runs one thread at a time.
2. Latency: one client booking one after the other on the pooled pool of 200 members in 5
   zones with 40,000 bookings over 30 days (``datasets.big_pool``). Target: p95 < 100 ms
   on SQLite. ``--profile`` (or a missed target) profiles a few of those calls with cProfile
   and prints where the time goes.

Before each measurement the process drops the seeding's garbage and freezes what is left
(``settle``), as ``roundtable serve`` freezes its heap once started: without it, the
collector's full passes over everything imported make the slowest bookings twice as slow.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import math
import multiprocessing
import os
import pstats
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from benchmarks.datasets import (  # noqa: E402
    Scenario,
    big_pool,
    install,
    many_pages,
    seed_bookings,
    small_pool,
)
from engine.errors import RoundtableError  # noqa: E402
from services.booking import BookingRequest, Customer, book  # noqa: E402
from services.context import CommandLine  # noqa: E402
from services.slots import offered_slots  # noqa: E402
from storage.db import database_url, make_engine, upgrade  # noqa: E402
from tests.conftest import _postgres_engine  # noqa: E402

CLIENTS = 8
APP_PROCESSES = 2  # the multi-process throughput run: CLIENTS / APP_PROCESSES threads each
HALF_HOUR = timedelta(minutes=30)
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
THROUGHPUT_TARGET = 100.0  # bookings/s on PostgreSQL
P95_TARGET_MS = 100.0  # one booking on SQLite, 200 members and 40,000 bookings


# --- databases --------------------------------------------------------------------------


@contextmanager
def sqlite_database() -> Iterator[Engine]:
    """Yield an engine on a fresh, migrated SQLite file that is deleted afterwards."""
    with tempfile.TemporaryDirectory(prefix="rt-bench-") as directory:
        engine = make_engine(f"sqlite:///{directory}/bench.db")
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def postgres_admin() -> Engine | None:
    """Connect to the benchmark's PostgreSQL server, or return None when it is unreachable."""
    url = database_url(os.environ.get("ROUNDTABLE_TEST_PG") or DEFAULT_PG)
    admin = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public"))
    except OperationalError as error:
        print(f"PostgreSQL not reachable ({error.orig}); its rows are left out\n")
        admin.dispose()
        return None
    return admin


# --- measuring --------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class Run:
    booked: int = 0
    refused: int = 0
    failed: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] | None = None
    cpu_seconds: float = 0.0  # this process's CPU (all threads); PostgreSQL's own is extra

    @property
    def per_second(self) -> float:
        return self.booked / self.seconds if self.seconds else 0.0


def booking(scenario: Scenario, master: str, start: datetime, who: str) -> BookingRequest:
    return BookingRequest(
        scenario.workspace_id,
        master,
        scenario.event_type,
        start,
        Customer(slack_user=f"U{who}"),
    )


def settle() -> None:
    """Leave what lives on out of the garbage collector's full passes, as a server does.

    ``roundtable serve`` freezes its start-up heap (``cli/serve.py``); the benchmark first
    drops its seeding's garbage, then freezes what is left, before each measurement.
    """
    gc.collect()
    gc.freeze()


def timed_book(engine: Engine, request: BookingRequest, now: datetime) -> tuple[str, float]:
    """Book; return ``booked``, the refusal's code or ``failed: …``, and the milliseconds."""
    began = time.perf_counter()
    try:
        book(engine, request, actor=CommandLine(), now=now)
        outcome = "booked"
    except RoundtableError as refused:
        outcome = refused.code
    except Exception as error:
        outcome = f"failed: {type(error).__name__}: {error}"
    return outcome, (time.perf_counter() - began) * 1000


def clients_booking(
    engine: Engine,
    scenario: Scenario,
    plan: Callable[[int], list[BookingRequest]],
    clients: int,
) -> Run:
    """Run ``clients`` threads, each booking ``plan(client)`` in order, released together."""
    barrier = threading.Barrier(clients + 1)
    outcomes: list[tuple[str, float]] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        requests = plan(index)
        barrier.wait()
        mine = [timed_book(engine, request, scenario.now) for request in requests]
        with lock:
            outcomes.extend(mine)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(client, i) for i in range(clients)]
        barrier.wait()
        began, used = time.perf_counter(), time.process_time()
        for future in futures:
            future.result()
        seconds = time.perf_counter() - began
        cpu = time.process_time() - used
    failures = [o for o, _ in outcomes if o.startswith("failed")]
    for failure in sorted(set(failures))[:3]:
        print(f"    ! {failure}")
    return Run(
        booked=sum(o == "booked" for o, _ in outcomes),
        refused=sum(o not in ("booked",) and not o.startswith("failed") for o, _ in outcomes),
        failed=len(failures),
        seconds=seconds,
        latencies_ms=[ms for _, ms in outcomes],
        cpu_seconds=cpu,
    )


def throughput(engine: Engine, shared: bool, per_client: int) -> Run:
    """Book ``per_client`` distinct free starts from each of 8 clients."""
    scenario = small_pool(CLIENTS) if shared else many_pages(CLIENTS)
    install(engine, scenario)
    first = scenario.now + timedelta(hours=1)
    # Warm up (imports, caches, connections) far from the measured starts.
    warm = booking(scenario, scenario.master_page, first + timedelta(days=25), "w")
    timed_book(engine, warm, scenario.now)
    settle()
    return clients_booking(engine, scenario, _plan(scenario, shared, per_client, first), CLIENTS)


def _process_clients(
    url: str,
    shared: bool,
    per_client: int,
    clients: range,
    barrier: Any,
    results: Any,
) -> None:
    """One app process of ``processes_booking``: its own engine, one thread a client."""
    scenario = small_pool(CLIENTS) if shared else many_pages(CLIENTS)
    engine = make_engine(url)
    first = scenario.now + timedelta(hours=1)
    # Warm up this process (imports, caches, connections) far from the measured starts.
    warm = first + timedelta(days=25, hours=clients.start)
    timed_book(
        engine, booking(scenario, scenario.master_page, warm, f"w{clients.start}"), scenario.now
    )
    plan = _plan(scenario, shared, per_client, first)
    outcomes: list[tuple[str, float]] = []
    lock = threading.Lock()
    settle()

    def client(index: int) -> None:
        mine = [timed_book(engine, request, scenario.now) for request in plan(index)]
        with lock:
            outcomes.extend(mine)

    barrier.wait()
    began, used = time.time(), time.process_time()
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        list(pool.map(client, clients))
    results.put((outcomes, began, time.time(), time.process_time() - used))
    engine.dispose()


def processes_booking(engine: Engine, shared: bool, per_client: int, processes: int) -> Run:
    """Like ``throughput``, with the 8 clients spread over ``processes`` app processes."""
    scenario = small_pool(CLIENTS) if shared else many_pages(CLIENTS)
    install(engine, scenario)
    url = engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    results = context.Queue()
    share = CLIENTS // processes
    workers = [
        context.Process(
            target=_process_clients,
            args=(url, shared, per_client, range(i * share, (i + 1) * share), barrier, results),
        )
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    parts = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    outcomes = [outcome for part in parts for outcome in part[0]]
    failures = [o for o, _ in outcomes if o.startswith("failed")]
    for failure in sorted(set(failures))[:3]:
        print(f"    ! {failure}")
    return Run(
        booked=sum(o == "booked" for o, _ in outcomes),
        refused=sum(o != "booked" and not o.startswith("failed") for o, _ in outcomes),
        failed=len(failures),
        seconds=max(p[2] for p in parts) - min(p[1] for p in parts),
        latencies_ms=[ms for _, ms in outcomes],
        cpu_seconds=sum(p[3] for p in parts),
    )


def _plan(
    scenario: Scenario, shared: bool, per_client: int, first: datetime
) -> Callable[[int], list[BookingRequest]]:
    """Return each client's requests: distinct free starts, so nobody loses a slot."""

    def plan(client: int) -> list[BookingRequest]:
        if shared:
            starts = [first + HALF_HOUR * (k * CLIENTS + client) for k in range(per_client)]
            return [booking(scenario, "team", s, f"{client}-{k}") for k, s in enumerate(starts)]
        starts = [first + HALF_HOUR * k for k in range(per_client)]
        master = f"page-{client}"
        return [booking(scenario, master, s, f"{client}-{k}") for k, s in enumerate(starts)]

    return plan


def big_dataset(engine: Engine, members: int, bookings: int, days: int) -> tuple[Scenario, float]:
    scenario = big_pool(members, days=days)
    began = time.perf_counter()
    install(engine, scenario)
    seed_bookings(engine, scenario, bookings, days=days)
    return scenario, time.perf_counter() - began


def month_of_slots(engine: Engine, scenario: Scenario) -> tuple[float, list[datetime]]:
    """Ask the scenario's 30-day slots question; return its milliseconds and the starts."""
    began = time.perf_counter()
    slots = offered_slots(
        engine,
        scenario.workspace_id,
        scenario.master_page,
        scenario.event_type,
        scenario.now.date(),
        (scenario.now + timedelta(days=29)).date(),
        tz=None,
        now=scenario.now,
        actor=CommandLine(),
    )
    return (time.perf_counter() - began) * 1000, [slot.start for slot in slots]


def free_starts(
    engine: Engine, scenario: Scenario, count: int, seed: int
) -> tuple[list[datetime], float]:
    """Return ``count`` random offered starts, and the milliseconds the slots query took."""
    ms, starts = month_of_slots(engine, scenario)
    return random.Random(seed).sample(starts, count), ms


def latency(engine: Engine, scenario: Scenario, starts: list[datetime]) -> Run:
    """Book ``starts`` one after the other; every call is timed."""
    used = time.process_time()
    results = [
        timed_book(engine, booking(scenario, scenario.master_page, start, f"L{i}"), scenario.now)
        for i, start in enumerate(starts)
    ]
    failures = [o for o, _ in results if o.startswith("failed")]
    for failure in sorted(set(failures))[:3]:
        print(f"    ! {failure}")
    return Run(
        booked=sum(o == "booked" for o, _ in results),
        refused=sum(o != "booked" and not o.startswith("failed") for o, _ in results),
        failed=len(failures),
        seconds=sum(ms for _, ms in results) / 1000,
        latencies_ms=[ms for _, ms in results],
        cpu_seconds=time.process_time() - used,
    )


def profile(engine: Engine, scenario: Scenario, starts: list[datetime], top: int = 18) -> None:
    """Profile booking ``starts`` and print where the time goes, by cumulative share."""
    profiler = cProfile.Profile()
    profiler.enable()
    for i, start in enumerate(starts):
        timed_book(engine, booking(scenario, scenario.master_page, start, f"P{i}"), scenario.now)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = max(
        (cum for (file, _, name), (_, _, _, cum, _) in stats.stats.items() if name == "book"),
        default=stats.total_tt,
    )
    rows = []
    for (file, _line, name), (_, calls, own, cum, _) in stats.stats.items():
        where = Path(file)
        if str(ROOT) in file and ".venv" not in file:
            label = f"{where.relative_to(ROOT)}:{name}"
        elif "sqlalchemy" in file or "sqlmodel" in file or "uuid" in file or file.startswith("{"):
            label = f"{'/'.join(where.parts[-2:])}:{name}" if where.parts else name
        else:
            continue
        rows.append((cum, own, calls, label))
    print(f"\n  where the time of {len(starts)} book calls goes ({total * 1000:.0f} ms in all):")
    print(f"  {'cum %':>6} {'self %':>6} {'calls':>8}  function")
    for cum, own, calls, label in sorted(rows, reverse=True)[:top]:
        print(f"  {100 * cum / total:6.1f} {100 * own / total:6.1f} {calls:8d}  {label}")
    print(f"\n  {'self %':>6} {'calls':>8}  heaviest functions by own time")
    for _cum, own, calls, label in sorted(rows, key=lambda r: r[1], reverse=True)[:10]:
        print(f"  {100 * own / total:6.1f} {calls:8d}  {label}")


# --- report -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer bookings per measurement")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--profile", action="store_true", help="always profile the latency")
    args = parser.parse_args()
    per_client = 10 if args.quick else 40
    calls = 6 if args.quick else 25
    members, bookings, days = 200, 40_000, 30

    admin = None if args.no_postgres else postgres_admin()
    databases: list[tuple[str, Callable[[], object]]] = [("sqlite", sqlite_database)]
    if admin is not None:
        databases.append(("postgresql", lambda: _postgres_engine(admin)))

    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
        "cpu ms/bk is this process's CPU per booking (PostgreSQL's server CPU not included)\n"
    )
    print(f"1. Throughput: {CLIENTS} clients, {per_client} distinct free starts each\n")
    header = (
        f"{'database':<11} {'workload':<12} {'booked':>6} {'refused':>7} {'failed':>6} "
        f"{'seconds':>7} {'bookings/s':>10} {'p50 ms':>7} {'p95 ms':>7} {'cpu ms/bk':>9}  target"
    )
    print(header)
    print("-" * len(header))
    modes = [(name, database, 1) for name, database in databases]
    if admin is not None:
        modes.append(("postgresql", databases[-1][1], APP_PROCESSES))
    for name, database, processes in modes:
        for shared in (True, False):
            with database() as engine:  # type: ignore[attr-defined]
                if processes == 1:
                    run = throughput(engine, shared, per_client)
                else:
                    run = processes_booking(engine, shared, per_client, processes)
            lat = run.latencies_ms or [0.0]
            verdict = ""
            if name == "postgresql":
                ok = run.per_second >= THROUGHPUT_TARGET
                verdict = f">= {THROUGHPUT_TARGET:g}/s {'ok' if ok else 'MISSED'}"
            shown = name if processes == 1 else f"pg {processes} proc"
            print(
                f"{shown:<11} {'shared pool' if shared else 'own pages':<12} {run.booked:>6} "
                f"{run.refused:>7} {run.failed:>6} {run.seconds:>7.2f} {run.per_second:>10.1f} "
                f"{percentile(lat, 0.5):>7.0f} {percentile(lat, 0.95):>7.0f} "
                f"{1000 * run.cpu_seconds / max(1, len(lat)):>9.0f}  {verdict}"
            )

    print(
        f"\n2. Latency of one booking: pooled pool of {members} members in 5 zones, "
        f"{bookings:,} bookings over {days} days, {calls} sequential calls\n"
    )
    header = (
        f"{'database':<11} {'seed s':>6} {'slots ms':>8} {'booked':>6} {'refused':>7} "
        f"{'failed':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'cpu ms/bk':>9}  target"
    )
    print(header)
    print("-" * len(header))
    for name, database in databases:
        with database() as engine:  # type: ignore[attr-defined]
            scenario, seeded = big_dataset(engine, members, bookings, days)
            starts, slots_ms = free_starts(engine, scenario, calls + 4, seed=7)
            timed_book(engine, booking(scenario, "book", starts[-1], "warm"), scenario.now)
            settle()
            run = latency(engine, scenario, starts[:calls])
            lat = run.latencies_ms or [0.0]
            p95 = percentile(lat, 0.95)
            verdict = ""
            if name == "sqlite":
                verdict = f"p95 < {P95_TARGET_MS:g} ms {'ok' if p95 < P95_TARGET_MS else 'MISSED'}"
            print(
                f"{name:<11} {seeded:>6.1f} {slots_ms:>8.0f} {run.booked:>6} {run.refused:>7} "
                f"{run.failed:>6} {percentile(lat, 0.5):>7.0f} {p95:>7.0f} {max(lat):>7.0f} "
                f"{1000 * run.cpu_seconds / max(1, len(lat)):>9.0f}  {verdict}"
            )
            if args.profile or p95 >= P95_TARGET_MS:
                print(f"  profiling 3 more calls on {name}:", end="")
                profile(engine, scenario, starts[calls : calls + 3])
                print()
    if admin is not None:
        admin.dispose()


if __name__ == "__main__":
    main()
