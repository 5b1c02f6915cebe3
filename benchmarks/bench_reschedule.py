"""Benchmark ``services.booking_changes.reschedule`` on SQLite and PostgreSQL.

Run ``python benchmarks/bench_reschedule.py [--quick] [--no-postgres]``. On the pooled pool
of 200 members in 5 zones with 40,000 bookings over 30 days (``datasets.big_pool``, as
``bench_booking.py``'s latency), one client books some free starts (not timed), then moves
each of them, one after the other, to another free start: every ``reschedule`` call is
timed. Target: p95 < 100 ms on SQLite, as for ``book``. Databases and the heap are prepared
as in ``bench_booking.py`` (a temporary SQLite file, a fresh PostgreSQL schema, ``settle``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_booking import (  # noqa: E402
    big_dataset,
    booking,
    free_starts,
    percentile,
    postgres_admin,
    settle,
    sqlite_database,
)
from engine.errors import RoundtableError  # noqa: E402
from services.booking import book  # noqa: E402
from services.booking_changes import reschedule  # noqa: E402
from services.context import CommandLine  # noqa: E402
from tests.conftest import _postgres_engine  # noqa: E402

P95_TARGET_MS = 100.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    calls = 8 if args.quick else 25
    members, bookings, days = 200, 40_000, 30

    admin = None if args.no_postgres else postgres_admin()
    databases: list[tuple[str, Callable[[], object]]] = [("sqlite", sqlite_database)]
    if admin is not None:
        databases.append(("postgresql", lambda: _postgres_engine(admin)))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print(
        f"Latency of one reschedule: pooled pool of {members} members in 5 zones, "
        f"{bookings:,} bookings over {days} days, {calls} sequential calls\n"
    )
    header = (
        f"{'database':<11} {'seed s':>6} {'moved':>6} {'refused':>7} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'max ms':>7} {'cpu ms':>7}  target"
    )
    print(header)
    print("-" * len(header))
    for name, database in databases:
        with database() as engine:  # type: ignore[attr-defined]
            scenario, seeded = big_dataset(engine, members, bookings, days)
            starts, _ = free_starts(engine, scenario, 2 * calls + 2, seed=11)
            made = [
                book(
                    engine,
                    booking(scenario, scenario.master_page, start, f"R{i}"),
                    actor=CommandLine(),
                    now=scenario.now,
                )
                for i, start in enumerate(starts[: calls + 1])
            ]
            targets = starts[calls + 1 :]
            # One warm-up move, as the latency of book is measured after one booking.
            reschedule(
                engine,
                scenario.workspace_id,
                made[-1].id,
                start=targets[-1],
                actor=CommandLine(),
                now=scenario.now,
            )
            settle()
            latencies: list[float] = []
            refused = 0
            used = time.process_time()
            for moving, target in zip(made[:calls], targets[:calls], strict=True):
                began = time.perf_counter()
                try:
                    reschedule(
                        engine,
                        scenario.workspace_id,
                        moving.id,
                        start=target,
                        actor=CommandLine(),
                        now=scenario.now,
                    )
                except RoundtableError:
                    refused += 1
                latencies.append((time.perf_counter() - began) * 1000)
            cpu = (time.process_time() - used) * 1000 / len(latencies)
            p95 = percentile(latencies, 0.95)
            verdict = ""
            if name == "sqlite":
                verdict = f"p95 < {P95_TARGET_MS:g} ms {'ok' if p95 < P95_TARGET_MS else 'MISSED'}"
            print(
                f"{name:<11} {seeded:>6.1f} {len(latencies) - refused:>6} {refused:>7} "
                f"{percentile(latencies, 0.5):>7.0f} {p95:>7.0f} {max(latencies):>7.0f} "
                f"{cpu:>7.0f}  {verdict}"
            )
    if admin is not None:
        admin.dispose()


if __name__ == "__main__":
    main()
