"""``roundtable serve`` serves the guest pages at /l/ and keeps link tokens out of its log."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.config import apply_config
from services.context import CommandLine
from services.links import create_link
from storage.db import open_database
from tests.fakes.slack_api import FakeSlackApi
from tests.web.conftest import CONFIG, PUBLIC_URL

ROUNDTABLE = str(Path(sys.executable).parent / "roundtable")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


@pytest.fixture
def link_token(tmp_path: Path) -> str:
    """Configure a database file and return the token of a link into it."""
    engine = open_database(f"sqlite:///{tmp_path / 'serve.db'}")
    try:
        (tmp_path / "guest.yml").write_text(CONFIG)
        apply_config(engine, tmp_path / "guest.yml")
        created = create_link(
            engine,
            "T0001",
            "demo",
            actor=CommandLine(),
            now=datetime.now(UTC),
            public_url=PUBLIC_URL,
        )
    finally:
        engine.dispose()
    return created.token


@pytest.fixture
def server_url(tmp_path: Path, link_token: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _free_port()
    with FakeSlackApi() as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE"))}
        env.update(
            SLACK_SIGNING_SECRET="secret",
            SLACK_BOT_TOKEN="xoxb-serve-test",
            SLACK_API_URL=fake.base_url,
            DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        )
        server = subprocess.Popen(
            [ROUNDTABLE, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                assert server.poll() is None, server.communicate()[1]
                try:
                    _get(f"{url}/healthz")
                    break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.2)
            yield url, server
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
            server.communicate(timeout=15)


def test_serve_answers_a_guest_link_and_a_dead_one_without_logging_either_token(
    server_url: tuple[str, subprocess.Popen[str]], link_token: str
) -> None:
    url, server = server_url

    status, page = _get(f"{url}/l/{link_token}?tz=Europe/London")
    dead_status, dead_page = _get(f"{url}/l/not-a-token-anyone-was-ever-given-0123456789")
    server.send_signal(signal.SIGTERM)
    _, log = server.communicate(timeout=15)

    assert status == 200
    assert "<h1>Book a demo</h1>" in page
    assert dead_status == 410
    assert "This link isn't valid any more" in dead_page
    assert server.returncode == 0, log
    assert link_token not in log
    assert "not-a-token-anyone" not in log
    assert "roundtable.requests GET /l/ 200 " in log  # one line per request: route, not path
    assert "roundtable.requests GET /l/ 410 " in log
