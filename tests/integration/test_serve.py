"""``roundtable serve`` runs, with Slack or without; bad settings stop it in a line."""

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


def _without_slack(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    return {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}", **extra}


def _answer(method: str, url: str) -> tuple[int, str]:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


def test_serve_without_any_slack_variable_serves_the_guest_pages_and_says_so_once(tmp_path):
    env = _without_slack(tmp_path)
    config = Path(__file__).with_name("workspace.yml")
    subprocess.run([ROUNDTABLE, "config", "apply", str(config)], env=env, check=True, timeout=60)
    created = subprocess.run(
        [ROUNDTABLE, "--json", "link", "create", "--master-page", "demo"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    token = json.loads(created.stdout)["link"]["token"]
    port = _free_port()
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
        while (health := _health(port)) is None and time.monotonic() < deadline:
            assert server.poll() is None, server.communicate()[1]
            time.sleep(0.2)
        events = _answer("POST", f"{url}/slack/events")
        guest_status, guest_page = _answer("GET", f"{url}/l/{token}?tz=Europe/London")
        welcome_status, welcome = _answer("GET", f"{url}/")
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=15)

    assert health == {"status": "ok"}
    assert events[0] == 503
    assert json.loads(events[1]) == {"error": "slack_not_configured"}
    assert guest_status == 200
    assert "<h1>Book a demo</h1>" in guest_page
    assert welcome_status == 200
    assert "local mode: Slack is not connected" in welcome
    assert "roundtable link create --master-page" in welcome
    assert f"{url.replace('127.0.0.1', 'localhost')}/l/" in welcome  # PUBLIC_URL's default
    assert server.returncode == 0, stderr
    warnings = [line for line in stderr.splitlines() if "warning" in line.lower()]
    assert warnings == [
        "warning: Slack is not configured: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or "
        "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET) to connect it; serving the guest pages only"
    ]
    assert f"Roundtable serves the guest pages on {url}/l/" in stderr


def _serve_once(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ROUNDTABLE, "serve", "--host", "127.0.0.1", "--port", str(_free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_with_only_a_bot_token_asks_for_the_signing_secret(tmp_path):
    result = _serve_once(_without_slack(tmp_path, SLACK_BOT_TOKEN="xoxb-alone"))

    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: SLACK_SIGNING_SECRET: missing")


def test_serve_stops_in_one_line_when_the_slack_web_api_does_not_answer(tmp_path):
    closed = _free_port()  # bound and released: nothing listens there
    api_url = f"http://127.0.0.1:{closed}/api/"
    env = _without_slack(
        tmp_path, SLACK_SIGNING_SECRET="secret", SLACK_BOT_TOKEN="xoxb-x", SLACK_API_URL=api_url
    )

    result = _serve_once(env)

    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: SLACK_API_URL: cannot reach the Slack Web API at {api_url} (")
    assert "Traceback" not in result.stderr


def test_serve_stops_in_one_line_when_slack_refuses_the_bot_token(tmp_path, fake):
    fake.fail_next("auth.test", error="invalid_auth")

    result = _serve_once(_environment(tmp_path, fake))

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: SLACK_BOT_TOKEN: Slack refused it (invalid_auth)"
    ]
    assert [call.method for call in fake.calls] == ["auth.test"]
