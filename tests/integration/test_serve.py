"""``roundtable serve`` starts a real server, answers /healthz, and refuses bad settings."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.fakes.slack_api import FakeSlackApi

ROUNDTABLE = str(Path(sys.executable).parent / "roundtable")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(tmp_path: Path, fake: FakeSlackApi, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(
        SLACK_SIGNING_SECRET="secret",
        SLACK_BOT_TOKEN="xoxb-serve-test",
        SLACK_API_URL=fake.base_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
    )
    env.update(extra)
    return {key: value for key, value in env.items() if value}


def _health(port: int) -> dict[str, str] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
            return json.loads(answer.read())
    except (urllib.error.URLError, ConnectionError):
        return None


@pytest.fixture
def fake():
    with FakeSlackApi() as api:
        yield api


def test_serve_starts_and_answers_the_health_check(tmp_path, fake):
    port = _free_port()
    server = subprocess.Popen(
        [ROUNDTABLE, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=_environment(tmp_path, fake),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while (health := _health(port)) is None and time.monotonic() < deadline:
            assert server.poll() is None, server.communicate()[1]
            time.sleep(0.2)
        assert health == {"status": "ok"}
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=15)
    assert server.returncode == 0, stderr
    assert f"Roundtable serves Slack on http://127.0.0.1:{port}/slack/events" in stderr


def test_serve_refuses_to_start_without_a_signing_secret_in_one_line(tmp_path, fake):
    result = subprocess.run(
        [ROUNDTABLE, "serve", "--port", str(_free_port())],
        env=_environment(tmp_path, fake, SLACK_SIGNING_SECRET=""),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: SLACK_SIGNING_SECRET: missing")


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("SLACK_BOT_TOKEN", "not-a-token", "SLACK_BOT_TOKEN"),
        ("PORT", "http", "PORT"),
        ("SLACK_API_URL", "ftp://example.com", "SLACK_API_URL"),
        ("SLACK_CLIENT_ID", "123.456", "SLACK_CLIENT_SECRET"),
    ],
)
def test_serve_names_the_setting_that_is_wrong(tmp_path, fake, variable, value, named):
    result = subprocess.run(
        [ROUNDTABLE, "serve"],
        env=_environment(tmp_path, fake, **{variable: value}),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {named}: ")
