"""In ``serve``, a commit that queues messages wakes the dispatcher: no wait for the next poll.

The dispatcher polls once an hour here, so only the wake-up can deliver within the wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient

from bot.dispatch import senders_of, start_dispatcher, stop_dispatcher
from services.context import Services
from tests.fakes.slack_api import FakeSlackApi
from tests.integration.test_book_room import _open, _slot

WAIT_SECONDS = 3.0  # generous, and well under the default 5 s poll (here: one hour)


@pytest.fixture
def dispatcher(services: Services, fake: FakeSlackApi) -> Iterator[threading.Event]:
    """Run the outbox job as ``serve`` does, polling hourly; yield "a round ran"."""
    scheduler = BackgroundScheduler(timezone=UTC)
    ran = threading.Event()
    scheduler.add_listener(lambda event: ran.set(), EVENT_JOB_EXECUTED)
    scheduler.start()
    start_dispatcher(
        scheduler,
        services.engine,
        senders_of(lambda team: WebClient(token="xoxb-test-token", base_url=fake.base_url)),
        interval_seconds=3600,
        clock=services.clock,
    )
    assert ran.wait(timeout=20)  # the start-up round, with nothing to send
    ran.clear()
    try:
        yield ran
    finally:
        stop_dispatcher(scheduler)
        scheduler.shutdown(wait=True)


def _posted_within(fake: FakeSlackApi, count: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(fake.calls_to("chat.postMessage")) >= count:
            return True
        time.sleep(0.02)
    return False


def test_a_booking_made_in_slack_is_posted_at_once(
    slack, fake: FakeSlackApi, dispatcher: threading.Event
) -> None:
    modal = _open(slack)
    modal.select("book:master_page", "demo")
    modal.click(_slot(modal, "15:00–15:30"))
    assert fake.calls_to("chat.postMessage") == []

    modal.submit({"book:field:topic": "Robots"})

    assert _posted_within(fake, 1, WAIT_SECONDS)
    text = str(fake.calls_to("chat.postMessage")[0].args)
    assert "Intro" in text or "booking" in text.lower()


def test_every_booking_wakes_it_again(
    slack, fake: FakeSlackApi, dispatcher: threading.Event
) -> None:
    for round_ in range(2):
        modal = _open(slack)
        modal.select("book:master_page", "demo")
        before = len(fake.calls_to("chat.postMessage"))
        modal.click(modal.slot_buttons()[round_]["action_id"])
        modal.submit({"book:field:topic": f"Robots {round_}"})
        assert _posted_within(fake, before + 1, WAIT_SECONDS), f"booking {round_} waited"
