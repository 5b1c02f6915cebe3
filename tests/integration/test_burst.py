"""A burst of slow work never holds back Slack's acks (the work pool as ``serve`` builds it,
over signed HTTP on 127.0.0.1): 40 ``/book-room`` from 20 users at once, five times as many
as the pool has threads, each opening its modal slowly."""

from __future__ import annotations

import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bot.app import build_app
from bot.server import build_wsgi_app
from bot.work import WORK_THREADS
from tests.integration.conftest import SECRET
from tests.integration.driver import SlackDriver, TrackingExecutor, sign
from tests.serving import served
from tests.slack_checks import check_calls

USERS = 20
BURST = 40
SLOW_SLACK_SECONDS = 1.5  # under the Web API client's 2 s timeout: slow, not failing


def _timed_post(url: str, body: str) -> tuple[int, float]:
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        url + "/slack/events",
        data=body.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(SECRET, timestamp, body),
        },
    )
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status), time.perf_counter() - began


def test_forty_book_rooms_whose_modals_open_slowly_are_each_acked_within_a_second(
    settings, services, fake
):
    assert BURST > WORK_THREADS * 4  # far more work than threads to do it
    users = [f"U0BURST{number:02d}" for number in range(USERS)]
    for user in users:
        fake.add_user(user)
    fake.delays["views.open"] = SLOW_SLACK_SECONDS  # every piece of work is slow
    app = build_app(settings, services)  # the default work pool, as roundtable serve has

    with served(build_wsgi_app(app, services)) as url:
        bodies = SlackDriver(url, SECRET, fake, TrackingExecutor())
        commands = [
            bodies.command_body("/book-room", "", user=users[number % USERS])
            for number in range(BURST)
        ]
        with ThreadPoolExecutor(max_workers=BURST) as clients:
            answers = list(clients.map(lambda body: _timed_post(url, body), commands))
        # Let the work finish its slow views.open before the server closes.
        app.listener_runner.listener_executor.shutdown(wait=True)  # type: ignore[attr-defined]

    assert [status for status, _ in answers] == [200] * BURST
    slowest = max(seconds for _, seconds in answers)
    assert slowest < 1.0, f"an ack took {slowest:.2f} s"
    assert len(fake.calls_to("views.open")) == BURST
    check_calls(fake.calls)
