"""A burst of work never holds back Slack's acks (a work pool of the size ``serve`` builds,
over signed HTTP on 127.0.0.1): 40 ``/book-room`` from 20 users at once, five times as many
as the pool has threads, all acked while every thread of the pool is still busy; and when
their deadline passes with the work still queued, 40 loading views open all the same, each
replaced by its screen once the pool is free."""

from __future__ import annotations

import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bot.app import build_app
from bot.server import build_wsgi_app
from bot.work import WORK_THREADS
from tests.integration.conftest import SECRET
from tests.integration.driver import (
    HeldDeadlines,
    SlackDriver,
    TrackingExecutor,
    as_dict,
    sign,
    texts,
)
from tests.serving import served
from tests.slack_checks import check_calls

USERS = 20
BURST = 40


def _post(url: str, body: str) -> int:
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
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


def test_forty_book_rooms_are_acked_and_get_loading_views_while_every_work_thread_is_busy(
    settings, services, fake
):
    assert BURST > WORK_THREADS * 4  # far more work than threads to do it
    users = [f"U0BURST{number:02d}" for number in range(USERS)]
    for user in users:
        fake.add_user(user)
    gate = threading.Event()
    work = ThreadPoolExecutor(max_workers=WORK_THREADS, thread_name_prefix="work")
    for _ in range(WORK_THREADS):  # every thread of the pool held until the acks are in
        work.submit(gate.wait, 60)
    deadlines = HeldDeadlines()
    app = build_app(settings, services, work=work, deadlines=deadlines)

    with served(build_wsgi_app(app, services)) as url:
        bodies = SlackDriver(url, SECRET, fake, TrackingExecutor())
        commands = [
            bodies.command_body("/book-room", "", user=users[number % USERS])
            for number in range(BURST)
        ]
        try:
            with ThreadPoolExecutor(max_workers=BURST) as clients:
                statuses = list(clients.map(lambda body: _post(url, body), commands))
            opened_before_the_deadline = len(fake.calls_to("views.open"))
            assert deadlines.fire() == BURST  # the deadline passes, the work still queued
            loading = fake.calls_to("views.open")
            updated_before_release = len(fake.calls_to("views.update"))
        finally:
            gate.set()
            work.shutdown(wait=True)  # the modals open once the pool is free

    assert statuses == [200] * BURST  # acked with no work thread free
    assert opened_before_the_deadline == 0  # no work had run: the acks did not wait for it
    assert len(loading) == BURST  # no work thread needed to open them
    assert {texts(as_dict(call.args["view"])["blocks"]) for call in loading} == {
        "Finding free times…"
    }
    assert updated_before_release == 0
    assert len(fake.calls_to("views.open")) == BURST  # one per trigger, the loading view
    updates = fake.calls_to("views.update")
    assert len({call.args["view_id"] for call in updates}) == BURST  # each replaced once
    assert all("book:master_page" in str(call.args["view"]) for call in updates)
    check_calls(fake.calls)
