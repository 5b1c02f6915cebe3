"""Free windows kept between questions: used when nothing changed, and never wrong after a change.

The reference answer is the engine's on a schedule read whole (``ScheduleRepository.load``,
which keeps nothing). The recorder counts the statements reading bookings.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import event

from benchmarks.datasets import install, small_pool
from engine.rules import offered_slots as engine_offered_slots
from services import free_time
from services.booking import BookingRequest, Customer, book
from services.context import CommandLine
from services.slots import offered_slots
from storage.uow import UnitOfWork

SCENARIO = small_pool(3)
FIRST = SCENARIO.now.date()
LAST = FIRST + timedelta(days=3)


def asked(engine, tz=None):
    return [
        slot.start
        for slot in offered_slots(
            engine,
            SCENARIO.workspace_id,
            SCENARIO.master_page,
            SCENARIO.event_type,
            FIRST,
            LAST,
            tz=tz,
            now=SCENARIO.now,
            actor=CommandLine(),
        )
    ]


def reference(engine):
    start = SCENARIO.now
    end = datetime.combine(LAST + timedelta(days=1), time(0), UTC)  # as asked: local dates in UTC
    with UnitOfWork(engine) as uow:
        schedule = uow.schedules.load(SCENARIO.workspace_id, start, end, now=start)
    slots = engine_offered_slots(
        schedule, SCENARIO.master_page, SCENARIO.event_type, start, end, "UTC", start
    )
    return [slot.start for slot in slots]


class Reads:
    """Counts the statements that read ``booking_participants``."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "booking_participants" in statement:
            self.count += 1


def test_a_question_asked_again_reads_no_bookings_and_a_change_reads_them_again(db_engine):
    install(db_engine, SCENARIO)
    reads = Reads()
    event.listen(db_engine, "before_cursor_execute", reads)
    try:
        first = asked(db_engine)
        assert reads.count == 1
        assert asked(db_engine) == first
        assert reads.count == 1, "nothing changed: the kept windows answer"

        request = BookingRequest(
            SCENARIO.workspace_id,
            SCENARIO.master_page,
            SCENARIO.event_type,
            first[0],
            Customer(slack_user="U0001"),
        )
        book(db_engine, request, actor=CommandLine(), now=SCENARIO.now)
        before = reads.count
        asked(db_engine)
        assert reads.count == before + 1, "the booked page is read again"
    finally:
        event.remove(db_engine, "before_cursor_execute", reads)


@pytest.mark.parametrize("group", [2, free_time.GROUP])
def test_answers_from_kept_windows_equal_answers_from_a_whole_read_as_bookings_fill_a_time(
    db_engine, monkeypatch, group
):
    # In groups of two the pool's windows together are kept as two groups, and each booking
    # makes one of them computed again while the other is taken as kept.
    monkeypatch.setattr(free_time, "GROUP", group)
    install(db_engine, SCENARIO)
    start = asked(db_engine)[2]
    for n in range(3):  # the pool's three members all take the same time, one by one
        assert asked(db_engine) == reference(db_engine)
        request = BookingRequest(
            SCENARIO.workspace_id,
            SCENARIO.master_page,
            SCENARIO.event_type,
            start,
            Customer(slack_user=f"U000{n}"),
        )
        book(db_engine, request, actor=CommandLine(), now=SCENARIO.now)
    final = asked(db_engine)
    assert start not in final
    assert final == reference(db_engine)
