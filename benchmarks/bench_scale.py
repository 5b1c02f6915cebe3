"""Benchmark offering and booking at ten times the usual size, and how their time grows.

Run ``python benchmarks/bench_scale.py [--quick] [--no-postgres] [--history]``. For each
database (a SQLite file, and a fresh schema on the PostgreSQL server of env
``ROUNDTABLE_TEST_PG``, dropped at the end) and each size of ``datasets.big_pool`` with
bookings bulk-seeded over the next 30 days:

    200 members / 40,000 bookings   (the usual benchmarks' size)
    2,000 members / 40,000 bookings (members × 10)
    2,000 members / 400,000 bookings (members and bookings × 10)

it prints the seeding time and, in one process as ``roundtable serve`` would:

* ``first``: the 30-day pooled slots question (the README's ``roundtable slots`` question)
  asked for the first time (nothing kept: every page's bookings read and computed);
* ``again``: the same question asked again, best of 3 (the free windows kept by
  ``services.free_time``: only the stamps read);
* ``after``: the same question after another booking was made (one page recomputed);
* ``book``: 25 sequential ``book`` calls on random offered starts, p50 and p95.

Then the growth exponents: ``log(t2 / t1) / log(10)`` for members × 10 (bookings fixed) and
for bookings × 10 (members fixed); 1.0 is linear. ``--history`` adds 1,000,000 bookings in
the two years before ``now`` to the largest size, to show the past does not slow the next
30 days. Targets (2,000 members, 400,000 bookings): slots < 500 ms, ``book`` p95 < 150 ms.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine  # noqa: E402

from benchmarks.bench_booking import (  # noqa: E402
    booking,
    month_of_slots,
    percentile,
    postgres_admin,
    settle,
    sqlite_database,
    timed_book,
)
from benchmarks.datasets import big_pool, install, seed_bookings  # noqa: E402
from tests.conftest import _postgres_engine  # noqa: E402

SIZES = ((200, 40_000), (2_000, 40_000), (2_000, 400_000))
HISTORY = 1_000_000  # bookings in the two years before now (--history)
HISTORY_DAYS = 730
SLOTS_TARGET_MS = 500.0
BOOK_P95_TARGET_MS = 150.0


def measure(engine: Engine, members: int, bookings: int, calls: int, history: bool) -> dict:
    scenario = big_pool(members)
    began = time.perf_counter()
    install(engine, scenario)
    seed_bookings(engine, scenario, bookings)
    if history:
        seed_bookings(engine, scenario, HISTORY, days=HISTORY_DAYS, seed=3, history=True)
    seeded = time.perf_counter() - began
    settle()
    first, starts = month_of_slots(engine, scenario)
    again = min(month_of_slots(engine, scenario)[0] for _ in range(3))
    picked = random.Random(7).sample(starts, calls + 1)
    timed_book(engine, booking(scenario, scenario.master_page, picked[-1], "other"), scenario.now)
    after, _ = month_of_slots(engine, scenario)
    settle()
    made = [
        timed_book(engine, booking(scenario, scenario.master_page, start, f"L{i}"), scenario.now)
        for i, start in enumerate(picked[:calls])
    ]
    latencies = [ms for _, ms in made]
    return {
        "seed": seeded,
        "slots": len(starts),
        "first": first,
        "again": again,
        "after": after,
        "booked": sum(outcome == "booked" for outcome, _ in made),
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
    }


def exponent(small: float, large: float) -> float:
    return math.log(large / small) / math.log(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 bookings instead of 25")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--history", action="store_true", help="add 1,000,000 past bookings")
    args = parser.parse_args()
    calls = 8 if args.quick else 25

    admin = None if args.no_postgres else postgres_admin()
    databases: list[tuple[str, Callable[[], AbstractContextManager[Engine]]]] = [
        ("sqlite", sqlite_database)
    ]
    if admin is not None:
        databases.append(("postgresql", lambda: _postgres_engine(admin)))
    runs: list[tuple[int, int, bool]] = [(m, b, False) for m, b in SIZES]
    if args.history:
        runs.append((*SIZES[-1], True))

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    header = (
        f"{'database':<11} {'members':>7} {'bookings':>9} {'history':>9} {'seed s':>6} "
        f"{'slots':>5} {'first ms':>8} {'again ms':>8} {'after ms':>8} {'booked':>6} "
        f"{'p50 ms':>6} {'p95 ms':>6}  target"
    )
    print(header)
    print("-" * len(header))
    for name, database in databases:
        found: dict[tuple[int, int], dict] = {}
        for members, bookings, history in runs:
            with database() as engine:
                row = measure(engine, members, bookings, calls, history)
            if not history:
                found[(members, bookings)] = row
            verdict = ""
            if (members, bookings) == SIZES[-1]:
                ok = row["again"] < SLOTS_TARGET_MS and row["after"] < SLOTS_TARGET_MS
                ok_book = row["p95"] < BOOK_P95_TARGET_MS
                verdict = (
                    f"slots < {SLOTS_TARGET_MS:g} {'ok' if ok else 'MISSED'}, "
                    f"p95 < {BOOK_P95_TARGET_MS:g} {'ok' if ok_book else 'MISSED'}"
                )
            print(
                f"{name:<11} {members:>7} {bookings:>9} {HISTORY if history else 0:>9} "
                f"{row['seed']:>6.1f} {row['slots']:>5} {row['first']:>8.0f} "
                f"{row['again']:>8.0f} {row['after']:>8.0f} {row['booked']:>6} "
                f"{row['p50']:>6.0f} {row['p95']:>6.0f}  {verdict}",
                flush=True,
            )
        base, wide, full = (found[size] for size in SIZES)
        for label, small, large in (
            ("members x10", base, wide),
            ("bookings x10", wide, full),
        ):
            print(
                f"{name:<11} growth exponent, {label}: "
                + ", ".join(
                    f"{key} {exponent(small[key], large[key]):.2f}"
                    for key in ("first", "again", "after", "p50")
                ),
                flush=True,
            )
    if admin is not None:
        admin.dispose()


if __name__ == "__main__":
    main()
