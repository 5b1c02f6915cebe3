"""Identical questions asked at once, answered once: ``SingleFlight``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar, cast

T = TypeVar("T")


class SingleFlight:
    """Identical questions asked at once are answered once (``offered_slots``).

    The first asker of a question computes; one asking the same while it does waits for
    that answer instead of computing it again: a burst of the same ``/book-room`` costs one
    computation, not forty. Only questions in flight are shared, nothing is kept after.
    Safe because a question's key holds the stamp of every page of the workspace, read in
    the asker's own transaction before anything else: equal stamps mean no page's
    bookings, busy blocks or time off changed between the first asker's read and the
    waiter's, so the answer is the one the waiter would compute, but for ``now``, which is
    the first asker's (earlier by less than the computation took). When the first asker
    fails, each waiter computes for itself.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight] = {}

    def once(self, question: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, or the answer of the same ``question`` being computed now."""
        with self._lock:
            flight = self._flights.get(question)
            if flight is None:
                flight = self._flights[question] = _Flight()
                leads = True
            else:
                flight.waiting += 1
                leads = False
        if not leads:
            flight.done.wait()
            return cast(T, flight.answer) if flight.answered else compute()
        try:
            answer = compute()
            flight.answer, flight.answered = answer, True
        finally:
            with self._lock:
                del self._flights[question]
            flight.done.set()
        return answer

    def waiting(self, question: Hashable) -> int:
        """How many askers wait for ``question``'s answer now (for tests)."""
        with self._lock:
            flight = self._flights.get(question)
            return 0 if flight is None else flight.waiting


@dataclass
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)
    answer: object = None
    answered: bool = False
    waiting: int = 0
