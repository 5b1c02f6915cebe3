"""``roundtable serve --socket-mode`` against a real Socket Mode server on 127.0.0.1.

The fake Web API answers ``apps.connections.open`` with the URL of ``FakeSocketMode`` (a
WebSocket server speaking Slack's protocol: hello, envelopes, acks). The real command runs in
a subprocess with an app-level token and no signing secret. A slash command, a click in the
modal it opens and the modal's submission each come as an envelope, and each is acked with
its envelope id (Slack wants that within 3 seconds; the test allows a generous timeout and
asserts no time). When the socket drops, the app asks for a new URL and carries on.
"""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from bot import ids
from services.booking_reads import upcoming_bookings
from services.config import apply_config
from storage.db import open_database
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.socket_mode import FakeSocketMode
from tests.integration.conftest import CUSTOMER
from tests.integration.driver import Modal, SlackDriver, as_dict
from tests.integration.test_serve import ROUNDTABLE, _environment, _free_port, _health

ACK_TIMEOUT = 15  # generous on a loaded machine; Slack's own limit is 3 seconds
WORKSPACE = Path(__file__).with_name("workspace.yml")


@pytest.fixture
def fake() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as api, FakeSocketMode() as socket_mode:
        api.socket_url = socket_mode.url
        api.socket_mode = socket_mode  # type: ignore[attr-defined]
        api.add_user(CUSTOMER, tz="Europe/London", real_name="Asha Rao", email="asha@x.test")
        yield api


@pytest.fixture
def served(tmp_path: Path, fake: FakeSlackApi) -> Iterator[tuple[FakeSocketMode, int]]:
    """``roundtable serve --socket-mode`` on the test workspace, connected to the fake."""
    env = _environment(tmp_path, fake, SLACK_SIGNING_SECRET="", SLACK_APP_TOKEN="xapp-1-test")
    engine = open_database(env["DATABASE_URL"])
    apply_config(engine, WORKSPACE)
    engine.dispose()
    port = _free_port()
    server = subprocess.Popen(
        [ROUNDTABLE, "serve", "--socket-mode", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    socket_mode: FakeSocketMode = fake.socket_mode  # type: ignore[attr-defined]
    try:
        socket_mode.wait_for_connection(1)
        yield socket_mode, port
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=20)
    assert server.returncode == 0, stderr
    assert "Roundtable serves Slack over Socket Mode" in stderr


def _wait_for(fake: FakeSlackApi, method: str, count: int) -> dict[str, Any]:
    deadline = time.monotonic() + ACK_TIMEOUT
    while len(fake.calls_to(method)) < count:
        assert time.monotonic() < deadline, f"no {method} call"
        time.sleep(0.05)
    return fake.calls_to(method)[count - 1].args


def _next_weekday() -> date:
    day = date.today() + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _command(driver: SlackDriver, text: str) -> dict[str, str]:
    return dict(parse_qsl(driver.command_body(ids.BOOK_ROOM_COMMAND, text, user=CUSTOMER)))


def test_a_command_a_click_and_a_submission_are_each_acked_and_carried_out(served, fake, tmp_path):
    socket_mode, _ = served
    driver = SlackDriver("", "", fake, None)  # type: ignore[arg-type]  # builds payloads only

    command = socket_mode.send("slash_commands", _command(driver, f"demo {_next_weekday()}"))
    assert socket_mode.ack_of(command, ACK_TIMEOUT)["envelope_id"] == command
    opened = _wait_for(fake, "views.open", 1)
    modal = Modal(driver, as_dict(opened["view"]), user=CUSTOMER, id="V0SOCKET")
    assert modal.slot_buttons(), "the day has times to book"

    click = socket_mode.send(
        "interactive", modal.action_payload(modal.slot_buttons()[0]["action_id"])
    )
    assert socket_mode.ack_of(click, ACK_TIMEOUT)["envelope_id"] == click
    modal.view = as_dict(_wait_for(fake, "views.update", 1)["view"])
    assert modal.callback_id == ids.BOOK_FORM_VIEW

    submission = socket_mode.send(
        "interactive", modal.submit_payload({ids.BOOK_FIELD + "topic": "Robots"})
    )
    ack = socket_mode.ack_of(submission, ACK_TIMEOUT)

    assert ack["envelope_id"] == submission
    assert ack["payload"]["response_action"] == "update"
    assert ack["payload"]["view"]["callback_id"] == ids.BOOK_DONE_VIEW
    engine = open_database(f"sqlite:///{tmp_path / 'serve.db'}")
    [booking] = upcoming_bookings(engine, "T0TEST", CUSTOMER, now=datetime.now(UTC))
    engine.dispose()
    assert booking.form_answers["topic"] == "Robots"


def test_the_app_reconnects_after_the_socket_drops(served, fake):
    socket_mode, _ = served
    driver = SlackDriver("", "", fake, None)  # type: ignore[arg-type]

    socket_mode.drop()
    socket_mode.wait_for_connection(2)
    command = socket_mode.send("slash_commands", _command(driver, "list"))

    assert socket_mode.ack_of(command, ACK_TIMEOUT)["envelope_id"] == command
    assert len(fake.calls_to("apps.connections.open")) >= 2
    assert all(
        call.headers["authorization"] == "Bearer xapp-1-test"
        for call in fake.calls_to("apps.connections.open")
    )


def test_slacks_http_endpoint_is_closed_in_socket_mode(served):
    _, port = served
    deadline = time.monotonic() + ACK_TIMEOUT
    while _health(port) is None:
        assert time.monotonic() < deadline, "the guest pages and /healthz are not served"
        time.sleep(0.1)
    # Without a signing secret nothing could verify these requests: none is taken.
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events", data=b"command=%2Fbook-room", method="POST"
    )

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)

    refused.value.close()
    assert refused.value.code == 503
