"""Several app processes sharing one database never double-book a page.

Two processes started with ``spawn`` (fresh interpreters, nothing shared but the database)
each book random starts on the four master pages of ``crossing_pages`` from three threads
for a few seconds. Their page sets overlap (pools {p0,p1,p2} and {p1,p2,p3}, a panel of p3
plus the first pool, and p2 alone), and the 30-minute meetings start every 15 minutes with
5 minutes of buffer, so requests collide on whole slots, half slots and buffers. Afterwards
the database must hold no two confirmed bookings of one page that overlap, nor closer than
their buffers, and every seat drawn from a pool must have its ledger entry.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections import Counter

from sqlalchemy import func, select

from benchmarks.datasets import crossing_pages, install
from storage.tables import BookingRow, ParticipantRow
from tests.concurrency.harness import buffer_violations, ledger_received, overlapping_pairs
from tests.concurrency.workers import book_randomly

PROCESSES = 2
THREADS = 3
SECONDS = 3.0
JOIN_TIMEOUT = 120


def run_processes(url: str) -> tuple[Counter[str], list[str]]:
    """Run the booking processes against ``url``; return their summed tally and errors."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(target=book_randomly, args=(url, index, THREADS, SECONDS, barrier, results))
        for index in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    tally: Counter[str] = Counter()
    errors: list[str] = []
    try:
        for _ in processes:
            _, counts, failures = results.get(timeout=JOIN_TIMEOUT)
            tally.update(counts)
            errors.extend(failures)
    except queue.Empty:
        errors.append("a booking process did not report in time")
    finally:
        for process in processes:
            process.join(JOIN_TIMEOUT)
            if process.is_alive():
                process.kill()
                process.join()
            process.close()
        results.close()
        results.join_thread()
    return tally, errors


def test_two_processes_booking_overlapping_pages_never_double_book(db_engine):
    scenario = crossing_pages()
    install(db_engine, scenario)

    tally, errors = run_processes(db_engine.url.render_as_string(hide_password=False))

    assert errors == []
    assert tally["booked"] > 0
    assert set(tally) <= {"booked", "slot_unavailable"}
    assert overlapping_pairs(db_engine) == []
    assert buffer_violations(db_engine) == []
    with db_engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(BookingRow)).scalar_one()
        seats = conn.execute(select(ParticipantRow.booking_id, ParticipantRow.pool_id)).all()
    assert stored == tally["booked"]
    # Every seat drawn from a pool got its ledger entry in the booking's transaction.
    from_pools = Counter(str(booking) for booking, pool in seats if pool is not None)
    assert ledger_received(db_engine) == from_pools
