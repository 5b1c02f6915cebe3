"""The body of an app process in the multi-process tests (imported by ``spawn`` children).

``book_randomly`` opens its own engine on the shared database, waits at a cross-process
barrier, then books random starts on random master pages of ``crossing_pages`` from a few
threads until its time is up, and reports what its requests got.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from benchmarks.datasets import CROSSING_MASTER_PAGES, QUARTER, crossing_pages
from storage.db import make_engine
from tests.concurrency.harness import attempt, booker, request

STARTS = 32  # quarter hours of the eight hours after the scenario's now: a crowded day


def candidate_start(rng: random.Random, now: datetime) -> datetime:
    return now + QUARTER * rng.randrange(1, STARTS)


def book_randomly(
    url: str, process: int, threads: int, seconds: float, barrier: Any, results: Any
) -> None:
    """Book from ``threads`` threads for ``seconds``; report (process, tally, errors)."""
    scenario = crossing_pages()
    engine = make_engine(url)
    tally: Counter[str] = Counter()
    errors: list[str] = []
    try:
        with engine.connect():
            pass  # connect (and configure) before the clock starts
        do_book = booker(engine, scenario.now)
        barrier.wait(60)
        deadline = time.monotonic() + seconds

        def loop(thread: int) -> None:
            rng = random.Random(process * 1000 + thread)
            n = 0
            while time.monotonic() < deadline:
                n += 1
                master = rng.choice(CROSSING_MASTER_PAGES)
                start = candidate_start(rng, scenario.now)
                req = request(
                    scenario.workspace_id, master, "meet", start, f"P{process}T{thread}N{n}"
                )
                outcome = attempt(lambda req=req: do_book(req))
                if outcome.error is not None:
                    errors.append(f"{type(outcome.error).__name__}: {outcome.error}")
                    tally["error"] += 1
                else:
                    tally["booked" if outcome.booking is not None else str(outcome.code)] += 1

        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(loop, range(threads)))
    except BaseException as error:  # report, never hang the parent
        errors.append(f"{type(error).__name__}: {error}")
    finally:
        engine.dispose()
        results.put((process, dict(tally), errors[:20]))
