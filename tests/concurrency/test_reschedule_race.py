"""Reschedules racing each other and new bookings, on SQLite (one file) and on PostgreSQL.

As for booking (``test_booking_race``), the requests are released together from a barrier;
the outcome must be one the same requests made one at a time would give, and no page may
ever hold two overlapping confirmed bookings.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from benchmarks.datasets import install, single_page, small_pool
from services.booking_changes import reschedule
from services.context import CommandLine
from storage.uow import UnitOfWork
from tests.concurrency.harness import booker, overlapping_pairs, race, request, summary

ADMIN = CommandLine()


def test_ten_reschedules_into_one_slot_move_one_booking(db_engine):
    scenario = single_page()
    install(db_engine, scenario)
    ws, now = scenario.workspace_id, scenario.now
    do_book = booker(db_engine, now)
    base = now + timedelta(days=1)
    made = [do_book(request(ws, "solo", "call", base + timedelta(hours=i), i)) for i in range(10)]
    target = now + timedelta(days=2, hours=4)

    outcomes = race(
        10, lambda i: reschedule(db_engine, ws, made[i].id, start=target, actor=ADMIN, now=now)
    )

    assert summary(outcomes) == Counter({"booked": 1, "slot_unavailable": 9})
    [winner] = [o.booking for o in outcomes if o.booking is not None]
    assert winner.start == target
    assert overlapping_pairs(db_engine) == []
    with UnitOfWork(db_engine) as uow:
        starts = sorted(uow.bookings.get(ws, b.id).start for b in made)
    assert starts.count(target) == 1
    assert len(starts) == 10


def test_a_reschedule_racing_new_bookings_for_the_same_slot_never_overlaps(db_engine):
    scenario = single_page()
    install(db_engine, scenario)
    ws, now = scenario.workspace_id, scenario.now
    do_book = booker(db_engine, now)
    moving = do_book(request(ws, "solo", "call", now + timedelta(days=1), "mover"))
    target = now + timedelta(days=2, hours=4)

    def act(index: int):
        if index == 0:
            return reschedule(db_engine, ws, moving.id, start=target, actor=ADMIN, now=now)
        return do_book(request(ws, "solo", "call", target, index))

    outcomes = race(6, act)

    assert summary(outcomes) == Counter({"booked": 1, "slot_unavailable": 5})
    assert overlapping_pairs(db_engine) == []
    with UnitOfWork(db_engine) as uow:
        kept = uow.bookings.get(ws, moving.id)
    winner = next(o.booking for o in outcomes if o.booking is not None)
    # Either the move won (the booking is at the target) or a new booking did (it stayed).
    assert (kept.start == target) == (winner.id == moving.id)


def test_reschedules_into_a_pool_fill_each_member_once(db_engine):
    scenario = small_pool(3)
    install(db_engine, scenario)
    ws, now = scenario.workspace_id, scenario.now
    do_book = booker(db_engine, now)
    made = [
        do_book(request(ws, "team", "call", now + timedelta(days=1, hours=i), i)) for i in range(8)
    ]
    target = now + timedelta(days=3, hours=2)

    outcomes = race(
        8, lambda i: reschedule(db_engine, ws, made[i].id, start=target, actor=ADMIN, now=now)
    )

    assert summary(outcomes) == Counter({"booked": 3, "slot_unavailable": 5})
    owners = sorted(o.booking.owner for o in outcomes if o.booking is not None)
    assert owners == ["m0", "m1", "m2"]
    assert overlapping_pairs(db_engine) == []
