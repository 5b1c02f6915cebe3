"""Benchmark the real ``roundtable slots`` command on a large pooled pool in SQLite.

Run ``python benchmarks/bench_slots_cli.py [--quick]``. Builds a SQLite file per workload in
a temporary directory (``datasets.big_pool`` plus bulk-seeded bookings), then times the
whole command in a subprocess, as a user would run it, start-up and loading included:

    roundtable --db sqlite:///… --now ISO --json slots --master-page book --event-type demo \\
        --from DATE --to DATE

Baseline: 200 members in 5 zones, 40,000 bookings, a 30-day range. Target: < 1 s. Then each
dimension doubles (members, bookings, days) to show how the time grows. ``roundtable --help``
is timed too: the floor that Python start-up and imports put under every command. Wall
time is the target; the command's CPU time (user + system) is printed too, since on a busy
machine the wall time mostly measures the other processes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.datasets import big_pool, install, seed_bookings  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402

ROUNDTABLE = str(Path(sys.executable).parent / "roundtable")
TARGET_S = 1.0


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall(command: list[str], runs: int) -> tuple[list[float], list[float], str]:
    """Run ``command`` ``runs`` times; return the wall and CPU times and the last output."""
    times = []
    cpu = []
    output = ""
    for _ in range(runs):
        began, used = time.perf_counter(), children_cpu()
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
        times.append(time.perf_counter() - began)
        cpu.append(children_cpu() - used)
        if done.returncode != 0:
            shown = " ".join(command)
            raise SystemExit(f"{shown} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        output = done.stdout
    return times, cpu, output


def workload(directory: Path, members: int, bookings: int, days: int, runs: int) -> dict:
    """Build one database and time the slots command over it."""
    path = directory / f"slots-{members}-{bookings}-{days}.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        scenario = big_pool(members, days=days)
        began = time.perf_counter()
        install(engine, scenario)
        seed_bookings(engine, scenario, bookings, days=days)
        seeded = time.perf_counter() - began
    finally:
        engine.dispose()
    first = scenario.now.date()
    last = (scenario.now + timedelta(days=days - 1)).date()
    command = [
        ROUNDTABLE,
        "--db",
        f"sqlite:///{path}",
        "--now",
        scenario.now.isoformat(),
        "--json",
        "slots",
        "--master-page",
        scenario.master_page,
        "--event-type",
        scenario.event_type,
        "--from",
        first.isoformat(),
        "--to",
        last.isoformat(),
    ]
    times, cpu, output = wall(command, runs)
    path.unlink()
    return {
        "members": members,
        "bookings": bookings,
        "days": days,
        "slots": len(json.loads(output)["slots"]),
        "seed": seeded,
        "best": min(times),
        "median": statistics.median(times),
        "cpu": min(cpu),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run per workload")
    args = parser.parse_args()
    runs = 1 if args.quick else 3

    floor, floor_cpu, _ = wall([ROUNDTABLE, "--help"], runs)
    print(
        f"`roundtable --help` (start-up and imports): best {min(floor):.2f} s wall, "
        f"{min(floor_cpu):.2f} s CPU; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores\n"
    )
    variants = [
        ("baseline", 200, 40_000, 30),
        ("2x members", 400, 40_000, 30),
        ("2x bookings", 200, 80_000, 30),
        ("2x days", 200, 40_000, 60),
    ]
    header = (
        f"{'variant':<12} {'members':>7} {'bookings':>8} {'days':>4} {'slots':>6} "
        f"{'seed s':>6} {'best s':>6} {'median s':>8} {'cpu s':>6} {'x base':>6}  target"
    )
    print(header)
    print("-" * len(header))
    base = None
    with tempfile.TemporaryDirectory(prefix="rt-slots-") as directory:
        for name, members, bookings, days in variants:
            row = workload(Path(directory), members, bookings, days, runs)
            base = base or row["best"]
            verdict = ""
            if name == "baseline":
                verdict = f"< {TARGET_S:g} s {'ok' if row['best'] < TARGET_S else 'MISSED'}"
            print(
                f"{name:<12} {row['members']:>7} {row['bookings']:>8} {row['days']:>4} "
                f"{row['slots']:>6} {row['seed']:>6.1f} {row['best']:>6.2f} "
                f"{row['median']:>8.2f} {row['cpu']:>6.2f} {row['best'] / base:>6.2f}  {verdict}",
                flush=True,
            )


if __name__ == "__main__":
    main()
