"""The work pool: what listeners do after their ack, on threads of its own.

Bolt runs every listener on the request's own thread (``process_before_response``), so a
listener's ack leaves as soon as the listener returns. A listener acks, at once or with an
answer it computes (a submission's ``response_action``, an options list), and hands
anything after the ack to ``defer``; Bolt's context hands ``defer`` to every listener
(``bot.app``). Requests never wait for a thread of this pool, so a burst of slow work
delays other work, never an ack.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Executor
from typing import Any, Protocol

from slack_bolt import Ack

WORK_THREADS = 8
"""Threads running deferred work. The work is mostly Python (slots, Block Kit) under one
interpreter lock, so more threads add no throughput; they let work that waits (for Slack,
up to ``bot.app.SLACK_TIMEOUT_SECONDS``, or for a database lock) overlap with work that
computes. Eight keep the interpreter busy while a few wait on Slack and bound the memory a
burst can take (each running screen holds one schedule); the rest wait in the pool's
queue, first come first served."""


class Defer(Protocol):
    """Run ``work(*args, **kwargs)`` on the work pool, after the ack."""

    def __call__(self, work: Callable[..., object], /, *args: Any, **kwargs: Any) -> None: ...


def deferring(pool: Executor, failed: Callable[[Exception], None]) -> Defer:
    """Return a ``Defer`` onto ``pool`` that hands a failure of the work to ``failed``."""

    def defer(work: Callable[..., object], /, *args: Any, **kwargs: Any) -> None:
        def run() -> None:
            try:
                work(*args, **kwargs)
            except Exception as error:
                failed(error)

        pool.submit(run)

    return defer


def after_ack(work: Callable[..., object]) -> Callable[..., None]:
    """Return a listener that acks at once and defers ``work`` with its arguments.

    Bolt hands a listener the arguments its parameters name (``inspect`` reads them), so
    the listener names ``ack`` and ``defer`` and then ``work``'s own parameters, and passes
    those on: ``work`` gets what it asks for, after the ack.
    """

    def listener(ack: Ack, defer: Defer, **arguments: Any) -> None:
        ack()
        defer(work, **arguments)

    return listening(listener, ("ack", "defer"), work)


def listening(
    listener: Callable[..., None],
    own: Sequence[str],
    work: Callable[..., object],
    *,
    made: Collection[str] = (),
) -> Callable[..., None]:
    """Make Bolt hand ``listener`` its parameters ``own``, then ``work``'s own parameters.

    ``made`` names parameters of ``work`` that the listener makes itself (Bolt is not asked
    for them); a name in both ``own`` and ``work`` is asked for once. ``listener`` takes the
    name and the documentation of ``work``.
    """
    mine = inspect.signature(listener).parameters
    theirs = [
        parameter
        for name, parameter in inspect.signature(work).parameters.items()
        if name not in made and name not in own
    ]
    wanted = [*(mine[name] for name in own), *theirs]
    listener.__signature__ = inspect.Signature(wanted)  # type: ignore[attr-defined]
    listener.__name__ = listener.__qualname__ = getattr(work, "__name__", "work")
    listener.__doc__ = work.__doc__
    return listener
