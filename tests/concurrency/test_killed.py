"""A booking process killed with SIGKILL mid-burst leaves nothing half-written.

One process (``spawn``: a fresh interpreter) books from three threads on the crossing
pages; once it has made a few bookings it is killed without warning, in the middle of
whatever transaction it was in. Every booking left must be whole: its owner and seats, a
ledger entry per pool seat, its notifications; no two bookings may overlap; and the database
must take the next booking as usual.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from datetime import datetime

from sqlalchemy import Engine, func, select

from benchmarks.datasets import QUARTER, crossing_pages, install
from storage.tables import BookingRow, OutboxRow, ParticipantRow
from tests.concurrency.harness import (
    attempt,
    booker,
    buffer_violations,
    ledger_received,
    overlapping_pairs,
    request,
)
from tests.concurrency.workers import STARTS, book_randomly

WAIT_FOR_BOOKINGS = 3
PATIENCE = 90.0


def _count(engine: Engine, table: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_process_killed_mid_burst_leaves_every_booking_whole(db_engine):
    scenario = crossing_pages()
    install(db_engine, scenario)
    url = db_engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    results, barrier = context.Queue(), context.Barrier(1)
    process = context.Process(target=book_randomly, args=(url, 0, 3, PATIENCE, barrier, results))
    process.start()
    try:
        deadline = time.monotonic() + PATIENCE
        while _count(db_engine, BookingRow) < WAIT_FOR_BOOKINGS:
            assert process.is_alive(), "the booking process ended early"
            assert time.monotonic() < deadline, "no bookings came"
            time.sleep(0.05)
    finally:
        process.kill()  # SIGKILL: no cleanup, no rollback by the process itself
        process.join(30)
        process.close()
        results.close()
        results.cancel_join_thread()

    with db_engine.connect() as conn:
        bookings = {str(b) for b in conn.execute(select(BookingRow.id)).scalars()}
        seats = conn.execute(
            select(ParticipantRow.booking_id, ParticipantRow.role, ParticipantRow.pool_id)
        ).all()
        queued = {str(b) for b in conn.execute(select(OutboxRow.booking_id)).scalars()}

    def start(n: int) -> datetime:
        return scenario.now + QUARTER * n

    owners = Counter(str(booking) for booking, role, _ in seats if role == "owner")
    assert owners == Counter(dict.fromkeys(bookings, 1))
    from_pools = Counter(str(booking) for booking, _, pool in seats if pool is not None)
    assert ledger_received(db_engine) == from_pools
    assert queued == bookings
    assert overlapping_pairs(db_engine) == []
    assert buffer_violations(db_engine) == []
    # Nothing is left locked: the next process books as usual.
    do_book = booker(db_engine, scenario.now)
    outcomes = [
        attempt(lambda n=n: do_book(request(scenario.workspace_id, "solo", "meet", start(n), n)))
        for n in range(1, STARTS)
    ]
    assert [o.error for o in outcomes if o.error is not None] == []
    assert any(outcome.booking is not None for outcome in outcomes)
