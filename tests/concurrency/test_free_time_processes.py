"""Free windows kept by one process never hide what another process changed.

``services.free_time`` keeps each page's free windows between questions. Here a parent
process asks for the offered slots (so the windows are kept), then a child process started
with ``spawn`` (a fresh interpreter, nothing shared but the database) books one of them,
cancels it again, or gives the page a day off; the parent's very next question must show
the change. The child writes through the services as ``roundtable serve`` or ``worker``
would; the stamps the database's triggers give the changed page are all the parent learns.
"""

from __future__ import annotations

import multiprocessing
from datetime import date, datetime, timedelta
from typing import Any

from benchmarks.datasets import install, single_page
from services.booking import BookingRequest, Customer, book
from services.booking_changes import cancel
from services.context import CommandLine
from services.slots import offered_slots
from services.timeoff import add_time_off
from storage.db import make_engine

JOIN_TIMEOUT = 120
SCENARIO = single_page()


def _child(url: str, action: str, argument: str, results: Any) -> None:
    """In another process: book ``argument`` (a start), cancel it (an id) or take a day off."""
    engine = make_engine(url)
    try:
        now = SCENARIO.now
        if action == "book":
            request = BookingRequest(
                SCENARIO.workspace_id,
                SCENARIO.master_page,
                SCENARIO.event_type,
                datetime.fromisoformat(argument),
                Customer(slack_user="UOTHER"),
            )
            results.put(book(engine, request, actor=CommandLine(), now=now).id)
        elif action == "cancel":
            cancel(engine, SCENARIO.workspace_id, argument, actor=CommandLine(), now=now)
            results.put("cancelled")
        else:
            day = date.fromisoformat(argument)
            add_time_off(
                engine,
                SCENARIO.workspace_id,
                "solo",
                day,
                day,
                reason=None,
                actor=CommandLine(),
                now=now,
            )
            results.put("off")
    except Exception as error:  # reported to the parent, which fails the test with it
        results.put(f"failed: {type(error).__name__}: {error}")
    finally:
        engine.dispose()


def in_other_process(url: str, action: str, argument: str) -> str:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_child, args=(url, action, argument, results))
    process.start()
    try:
        answer: str = results.get(timeout=JOIN_TIMEOUT)
    finally:
        process.join(JOIN_TIMEOUT)
        if process.is_alive():
            process.kill()
            process.join()
        process.close()
    assert not answer.startswith("failed"), answer
    return answer


def starts(engine, first: date, last: date) -> list[datetime]:
    slots = offered_slots(
        engine,
        SCENARIO.workspace_id,
        SCENARIO.master_page,
        SCENARIO.event_type,
        first,
        last,
        tz=None,
        now=SCENARIO.now,
        actor=CommandLine(),
    )
    return [slot.start for slot in slots]


def test_a_booking_and_a_cancellation_by_another_process_show_in_the_next_answer(db_engine):
    install(db_engine, SCENARIO)
    url = db_engine.url.render_as_string(hide_password=False)
    first, last = SCENARIO.now.date(), SCENARIO.now.date() + timedelta(days=6)
    before = starts(db_engine, first, last)
    assert starts(db_engine, first, last) == before  # asked twice: the second from the cache
    taken = before[5]

    booking = in_other_process(url, "book", taken.isoformat())

    after = starts(db_engine, first, last)
    assert taken not in after
    assert after == [start for start in before if start != taken]

    in_other_process(url, "cancel", booking)

    assert starts(db_engine, first, last) == before


def test_time_off_given_by_another_process_shows_in_the_next_answer(db_engine):
    install(db_engine, SCENARIO)
    url = db_engine.url.render_as_string(hide_password=False)
    first, last = SCENARIO.now.date(), SCENARIO.now.date() + timedelta(days=6)
    before = starts(db_engine, first, last)
    day = first + timedelta(days=2)

    in_other_process(url, "timeoff", day.isoformat())

    after = starts(db_engine, first, last)
    assert [s for s in before if s.date() == day] != []
    assert after == [s for s in before if s.date() != day]
