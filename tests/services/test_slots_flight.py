"""Identical slots questions asked at once are computed once (``services.slots.ASKED``).

The first asker's computation is held at the engine (a gate, no clock) while a second asks:
the same question waits and gets the same answer from one computation; a question asked
after a booking changed a page computes its own answer, without the booked time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from benchmarks.datasets import install
from services import slots as slots_service
from services.booking import BookingRequest, Customer, book
from services.context import CommandLine
from services.slots import SingleFlight
from tests.services.test_free_time import SCENARIO
from tests.services.test_free_time import asked as ask


class Held:
    """Wraps the engine's ``offered_slots``: counts calls; call ``hold`` waits for ``release``."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.calls = 0
        self.hold = 1
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == self.hold:
            self.entered.set()
            assert self.release.wait(30)
        return self.real(*args, **kwargs)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Held:
    wrapper = Held(slots_service.engine_offered_slots)
    monkeypatch.setattr(slots_service, "engine_offered_slots", wrapper)
    return wrapper


def _until(condition: Callable[[], bool]) -> None:
    for _ in range(3000):  # a wait for a thread to arrive, not a measure of time
        if condition():
            return
        threading.Event().wait(0.01)
    raise AssertionError("never happened")


def _waiters() -> int:
    with slots_service.ASKED._lock:
        return sum(flight.waiting for flight in slots_service.ASKED._flights.values())


def test_the_same_question_asked_while_it_is_computed_is_answered_by_that_computation(
    db_engine, held
):
    install(db_engine, SCENARIO)
    with ThreadPoolExecutor(max_workers=2) as pool:
        first: Future[list[Any]] = pool.submit(ask, db_engine)
        assert held.entered.wait(30)
        second = pool.submit(ask, db_engine)
        _until(lambda: _waiters() == 1)  # the second waits for the first's answer
        held.release.set()
        answers = first.result(30), second.result(30)

    assert answers[0] == answers[1]
    assert answers[0]
    assert held.calls == 1


def test_a_question_asked_after_a_page_changed_is_computed_again(db_engine, held):
    install(db_engine, SCENARIO)
    held.hold = 2  # the first call finds a time to take; the second is held
    taken = ask(db_engine)[0]
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(ask, db_engine)
        assert held.entered.wait(30)
        try:
            for member in range(3):  # every member of the pool booked at that time
                request = BookingRequest(
                    SCENARIO.workspace_id,
                    SCENARIO.master_page,
                    SCENARIO.event_type,
                    taken,
                    Customer(slack_user=f"U000{member}"),
                )
                book(db_engine, request, actor=CommandLine(), now=SCENARIO.now)
            after = ask(db_engine)  # the stamps changed: no waiting
        finally:
            held.release.set()
        before = first.result(30)

    assert held.calls == 3
    assert taken in before
    assert taken not in after


def test_a_different_zone_is_another_question(db_engine, held):
    install(db_engine, SCENARIO)
    held.release.set()

    ask(db_engine, "UTC")
    ask(db_engine, "Asia/Tokyo")

    assert held.calls == 2


def test_when_the_first_asker_fails_a_waiter_computes_for_itself() -> None:
    flights = SingleFlight()
    entered, release = threading.Event(), threading.Event()

    def failing() -> str:
        entered.set()
        assert release.wait(30)
        raise RuntimeError("the first asker's database went away")

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(flights.once, "q", failing)
        assert entered.wait(30)
        second = pool.submit(flights.once, "q", lambda: "computed again")
        _until(lambda: flights.waiting("q") == 1)
        release.set()
        with pytest.raises(RuntimeError):
            first.result(30)
        assert second.result(30) == "computed again"
    assert flights.waiting("q") == 0
