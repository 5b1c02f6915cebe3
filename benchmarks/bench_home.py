"""Benchmark the App Home of an admin as the number of pools grows.

Run ``python benchmarks/bench_home.py [--pools 1 50 200]``. Each run builds a SQLite file
holding ``datasets.big_pool`` (200 members in 5 zones, 40,000 bookings over 30 days, every
booking received through the pool ``sales``) plus pools ``p1`` … of 10 members each, and
times what the Home costs before Slack is called: ``services.admin.home_overview`` for an
admin, who sees every pool's report (the distribution of each pool in its current cycle),
and ``bot.blocks.home.build_home`` (the first page of pools, within Slack's 100 blocks). Best
of 3 after one warm-up call, with the spread (best and worst); then every page of pools is
built, following "Next pools", and the most blocks a page has is printed.
Target: < 1 s with 200 pools, and no page over 100 blocks.
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

from slack_sdk.models.blocks import ActionsBlock, ButtonElement  # noqa: E402
from slack_sdk.models.views import View  # noqa: E402

from benchmarks.datasets import NOW, _pool, big_pool, install, seed_bookings  # noqa: E402
from bot import ids  # noqa: E402
from bot.blocks.common import MAX_VIEW_BLOCKS  # noqa: E402
from bot.blocks.home import build_home  # noqa: E402
from engine.model import Method, by_id  # noqa: E402
from services.admin import home_overview  # noqa: E402
from services.context import CommandLine  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402

TARGET_SECONDS = 1.0
BOOKINGS = 40_000


def measure(pools: int) -> tuple[float, float, int, int, int]:
    """Best and worst of 3 seconds of the admin's Home with ``pools`` pools; its reports, its
    pages of pools and the most blocks of a page."""
    scenario = big_pool(200)
    pages = list(scenario.config.pages)
    extra = tuple(
        _pool(f"p{n}", Method.POOLED, [pages[(n * 10 + i) % len(pages)] for i in range(10)])
        for n in range(1, pools)
    )
    scenario = replace(
        scenario, config=replace(scenario.config, pools={**scenario.config.pools, **by_id(extra)})
    )
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/home.db")
        upgrade(engine)
        install(engine, scenario)
        seed_bookings(engine, scenario, BOOKINGS)
        admin = CommandLine()
        home_overview(engine, scenario.workspace_id, actor=admin, now=NOW)  # warm-up
        times = []
        for _ in range(3):
            began = time.perf_counter()
            overview = home_overview(engine, scenario.workspace_id, actor=admin, now=NOW)
            build_home(overview, tz="Europe/London")
            times.append(time.perf_counter() - began)
        engine.dispose()
    pages, most, first = 0, 0, 0
    while first is not None:
        view = build_home(overview, tz="Europe/London", pools_from=first)
        pages, most = pages + 1, max(most, len(view.blocks))
        first = _next_pools(view)
    return min(times), max(times), len(overview.reports), pages, most


def _next_pools(view: View) -> int | None:
    for block in view.blocks or ():
        if isinstance(block, ActionsBlock) and block.block_id == ids.HOME_POOLS:
            for element in block.elements:
                if isinstance(element, ButtonElement) and str(element.action_id).endswith("next"):
                    return int(str(element.value))
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", type=int, nargs="+", default=[1, 50, 200])
    args = parser.parse_args()
    print(f"App Home of an admin: 200 members, {BOOKINGS:,} bookings, SQLite\n")
    print(
        f"{'pools':>5}  {'reports':>7}  {'pages':>5}  {'most blocks':>11}  "
        f"{'best ms':>8}  {'worst ms':>8}  target"
    )
    for pools in args.pools:
        best, worst, reports, pages, most = measure(pools)
        verdict = "blocks " + ("ok" if most <= MAX_VIEW_BLOCKS else "MISSED")
        if pools >= 200:
            verdict += f"; < {TARGET_SECONDS * 1000:.0f} ms " + (
                "ok" if best < TARGET_SECONDS else "MISSED"
            )
        print(
            f"{pools:>5}  {reports:>7}  {pages:>5}  {most:>11}  {best * 1000:>8.0f}  "
            f"{worst * 1000:>8.0f}  {verdict}"
        )


if __name__ == "__main__":
    main()
