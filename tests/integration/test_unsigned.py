"""What fails Slack's signature gets 401 and causes nothing; bodies are bounded; slow URLs
never starve the server's threads. Through real HTTP to the app served by waitress."""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from slack_bolt.request import BoltRequest
from sqlalchemy import func, select

from bot.app import SLACK_TIMEOUT_SECONDS, build_app
from bot.server import build_wsgi_app
from bot.verify import MAX_BODY_BYTES
from storage.tables import BookingRow
from tests.integration.conftest import CUSTOMER, SECRET
from tests.integration.driver import sign


class HangingServer:
    """Accepts connections on 127.0.0.1 and never answers; counts what it accepted."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.1)
        self._held: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}/hook"

    @property
    def accepted(self) -> int:
        return len(self._held)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self._held.append(connection)

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        for connection in [*self._held, self._socket]:
            connection.close()


@pytest.fixture
def hanging() -> Iterator[HangingServer]:
    server = HangingServer()
    try:
        yield server
    finally:
        server.close()


def _command(slack: Any, *, response_url: str, text: str = "list") -> str:
    fields = dict(parse_qsl(slack.command_body("/book-room", text, user=CUSTOMER)))
    return urlencode({**fields, "response_url": response_url})


def _post(url: str, body: bytes, headers: dict[str, str], *, timeout: float = 10) -> int:
    request = urllib.request.Request(url + "/slack/events", data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def _signed_headers(body: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(SECRET, timestamp, body),
    }


def _healthy(url: str) -> bool:
    with urllib.request.urlopen(url + "/healthz", timeout=5) as answer:
        return json.loads(answer.read()) == {"status": "ok"}


FORGED = [
    pytest.param({"X-Slack-Request-Timestamp": "abc"}, id="timestamp abc"),
    pytest.param({"X-Slack-Request-Timestamp": "1.5e9"}, id="timestamp 1.5e9"),
    pytest.param({"X-Slack-Request-Timestamp": ""}, id="empty timestamp"),
    pytest.param({"X-Slack-Request-Timestamp": "9" * 40}, id="huge timestamp"),
    pytest.param({"X-Slack-Signature": "v0=" + "0" * 64}, id="wrong signature"),
    pytest.param({"X-Slack-Signature": ""}, id="no signature"),
]


@pytest.mark.parametrize("forged", FORGED)
def test_a_request_failing_verification_gets_401_and_no_outbound_request_whatever_its_headers(
    slack, fake, engine, forged
):
    body = _command(slack, response_url=slack.response_url())
    headers = {**_signed_headers(body), **forged}

    status = _post(slack.url, body.encode(), headers)
    slack.executor.drain()

    assert status == 401
    assert [call.method for call in fake.calls if call.method != "auth.test"] == []
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(BookingRow)).scalar_one() == 0


def test_the_error_handler_never_answers_a_request_that_failed_bolts_own_check(
    settings, services, fake
):
    # Behind the gate Bolt never sees such a request; served any other way, Bolt's own
    # check raises on the timestamp and the error handler must still not call its URL.
    app = build_app(settings, services)
    fields = {"command": "/book-room", "team_id": "T0TEST", "user_id": CUSTOMER, "trigger_id": "t"}
    body = urlencode({**fields, "response_url": fake.base_url + "response_url"})

    answer = app.dispatch(
        BoltRequest(
            body=body,
            headers={"x-slack-request-timestamp": "abc", "x-slack-signature": "v0=" + "0" * 64},
        )
    )

    assert answer.status >= 400
    assert fake.calls_to("response_url") == []


def test_unsigned_requests_naming_a_hanging_url_never_hold_a_thread(slack, hanging):
    body = _command(slack, response_url=hanging.url).encode()
    forged = {"Content-Type": "application/x-www-form-urlencoded",
              "X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=x"}  # fmt: skip

    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(lambda _: _post(slack.url, body, forged), range(12)))
    signed = slack.command("/book-room", "", user=CUSTOMER)

    assert statuses == [401] * 12
    assert _healthy(slack.url)
    assert signed.status == 200
    assert hanging.accepted == 0


def test_a_signed_request_whose_response_url_hangs_is_acked_and_its_listener_gives_up_soon(
    slack, hanging, caplog
):
    body = _command(slack, response_url=hanging.url)
    bodies = [body.replace("trigger_id=", f"trigger_id=x{n}") for n in range(8)]

    with ThreadPoolExecutor(8) as pool:
        statuses = list(
            pool.map(lambda b: _post(slack.url, b.encode(), _signed_headers(b)), bodies)
        )
    healthy = _healthy(slack.url)
    # Each listener waits SLACK_TIMEOUT_SECONDS for the URL, and the error handler as long
    # again to say so; well within this bound, not Bolt's 30 s per call.
    slack.executor.drain(timeout=4 * SLACK_TIMEOUT_SECONDS + 5)

    assert statuses == [200] * 8
    assert healthy
    assert hanging.accepted >= 8


def test_a_body_over_the_limit_gets_413_before_it_is_sent(slack):
    host, port = slack.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n" + b"x" * 1000
        )
        answer = connection.recv(200)

    assert answer.startswith(b"HTTP/1.1 413")


def test_the_app_refuses_a_large_body_unread_whatever_server_runs_it(settings, services):
    app = build_wsgi_app(build_app(settings, services), services)

    class Unreadable(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise AssertionError("the body was read")

    started: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "CONTENT_LENGTH": str(MAX_BODY_BYTES + 1),
        "wsgi.input": Unreadable(),
    }
    answer = b"".join(app(environ, lambda status, headers: started.append(status)))

    assert started == ["413 Content Too Large"]
    assert json.loads(answer) == {"error": "body_too_large"}


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"not json"),
        ("application/x-www-form-urlencoded", b"payload=%FF%FE"),
        ("application/x-www-form-urlencoded", b"payload={not"),
        ("application/x-www-form-urlencoded", b"\xff\xfe\x00"),
    ],
)
def test_unsigned_junk_gets_401_with_one_log_line_and_no_traceback(
    slack, fake, caplog, content_type, body
):
    caplog.set_level(logging.INFO)
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": str(int(time.time()))}

    status = _post(slack.url, body, {**headers, "X-Slack-Signature": "v0=" + "1" * 64})

    assert status == 401
    lines = [r for r in caplog.records if not r.name.startswith(("urllib3", "waitress"))]
    [line] = [r.getMessage() for r in lines]  # the request's own line, saying why
    assert line.startswith("POST /slack/events 401 ")
    assert "(refused: " in line
    assert all(record.exc_info is None for record in caplog.records)
    assert "Traceback" not in caplog.text
    assert [call.method for call in fake.calls if call.method != "auth.test"] == []
