"""Benchmark the App Home of an admin as the number of pools grows.

Run ``python benchmarks/bench_home.py [--pools 1 50 200]``. Each run builds a SQLite file
holding ``datasets.big_pool`` (200 members in 5 zones, 40,000 bookings over 30 days, every
booking received through the pool ``sales``) plus pools ``p1`` … of 10 members each, and
times what the Home costs before Slack is called: ``services.admin.home_overview`` for an
admin, who sees every pool's report (the distribution of each pool in its current cycle),
and ``bot.blocks.home.build_home`` (the view, within Slack's 100 blocks). Best of 3 after one
warm-up call.
Target: < 1 s with 200 pools.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.datasets import NOW, _pool, big_pool, install, seed_bookings  # noqa: E402
from bot.blocks.home import build_home  # noqa: E402
from engine.model import Method  # noqa: E402
from services.admin import home_overview  # noqa: E402
from services.context import CommandLine  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402

TARGET_SECONDS = 1.0
BOOKINGS = 40_000


def measure(pools: int) -> tuple[float, int, int]:
    """Best of 3 seconds of the admin's Home with ``pools`` pools; its reports and blocks."""
    scenario = big_pool(200)
    pages = [page.id for page in scenario.config.pages]
    extra = tuple(
        _pool(f"p{n}", Method.POOLED, [pages[(n * 10 + i) % len(pages)] for i in range(10)])
        for n in range(1, pools)
    )
    scenario = replace(
        scenario, config=replace(scenario.config, pools=scenario.config.pools + extra)
    )
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/home.db")
        upgrade(engine)
        install(engine, scenario)
        seed_bookings(engine, scenario, BOOKINGS)
        admin = CommandLine()
        home_overview(engine, scenario.workspace_id, actor=admin, now=NOW)  # warm-up
        best = float("inf")
        reports = blocks = 0
        for _ in range(3):
            began = time.perf_counter()
            overview = home_overview(engine, scenario.workspace_id, actor=admin, now=NOW)
            view = build_home(overview, tz="Europe/London")
            best = min(best, time.perf_counter() - began)
            reports, blocks = len(overview.reports), len(view.blocks)
        engine.dispose()
    return best, reports, blocks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", type=int, nargs="+", default=[1, 50, 200])
    args = parser.parse_args()
    print(f"App Home of an admin: 200 members, {BOOKINGS:,} bookings, SQLite\n")
    print(f"{'pools':>5}  {'reports':>7}  {'blocks':>6}  {'best ms':>8}  target")
    for pools in args.pools:
        seconds, reports, blocks = measure(pools)
        verdict = ""
        if pools >= 200:
            verdict = f"< {TARGET_SECONDS * 1000:.0f} ms " + (
                "ok" if seconds < TARGET_SECONDS else "MISSED"
            )
        print(f"{pools:>5}  {reports:>7}  {blocks:>6}  {seconds * 1000:>8.0f}  {verdict}")


if __name__ == "__main__":
    main()
