"""Dispatcher processes for the crash and concurrency tests (run with multiprocessing spawn).

Each function opens its own engine from a URL and talks to the fake Slack API by URL, like a
real second process would.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from slack_sdk import WebClient

from bot.dispatch import senders_of
from services.delivery import dispatch_due, drain
from storage.db import make_engine

LEASE = timedelta(minutes=5)


def die_after_claiming(db_url: str, now: str) -> None:
    """Claim due rows, then die before sending any (client_for is called after the claim)."""
    engine = make_engine(db_url)

    def client_for(team_id: str) -> WebClient:
        os._exit(17)

    dispatch_due(engine, senders_of(client_for), now=datetime.fromisoformat(now), lease=LEASE)


class _PostThenDie(WebClient):
    def chat_postMessage(self, **kwargs):  # type: ignore[no-untyped-def]
        super().chat_postMessage(**kwargs)
        os._exit(17)


def die_after_posting(db_url: str, api_url: str, now: str) -> None:
    """Claim due rows, post the first one, then die before marking it sent."""
    engine = make_engine(db_url)
    client = _PostThenDie(token="xoxb-test", base_url=api_url)
    dispatch_due(
        engine, senders_of(lambda team: client), now=datetime.fromisoformat(now), lease=LEASE
    )


def drain_together(db_url: str, api_url: str, now: str, limit: int, barrier, results) -> None:
    """Wait for the other process, then run rounds until nothing is due; report the sum."""
    engine = make_engine(db_url)
    client = WebClient(token="xoxb-test", base_url=api_url)
    barrier.wait(timeout=60)
    result = drain(
        engine,
        senders_of(lambda team: client),
        clock=lambda: datetime.fromisoformat(now),
        lease=LEASE,
        limit=limit,
    )
    engine.dispose()
    results.put((os.getpid(), result.sent, result.claimed))
