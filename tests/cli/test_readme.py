"""README.md starts with the two commands of a fresh machine, and CI runs the second."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.fakes.slack_api import FakeSlackApi

ROOT = Path(__file__).parents[2]


def _blocks() -> list[str]:
    return re.findall(r"^```sh\n(.*?)```$", (ROOT / "README.md").read_text(), re.M | re.S)


def test_the_readme_starts_with_a_title_and_two_one_line_commands() -> None:
    text = (ROOT / "README.md").read_text()
    head = text.split("\n\n")[:3]

    assert head[0].startswith("# ")
    assert head[1:] == [f"```sh\n{block}```" for block in _blocks()[:2]]
    assert all(block.count("\n") == 1 for block in _blocks()[:2])


def test_the_test_command_lints_type_checks_and_runs_every_test() -> None:
    command = _blocks()[1].strip()

    for step in ("ruff check .", "ruff format --check .", "mypy", "pytest"):
        assert f".venv/bin/{step}" in command


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    printed = subprocess.run(
        ["bash", str(ROOT / ".ci" / "run"), "--print-command"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert printed.stdout == _blocks()[1]


@pytest.mark.parametrize("slack", [True, False], ids=["with-slack", "without-slack-variables"])
def test_the_main_command_applies_the_example_and_serves_the_app(
    tmp_path: Path, slack: bool
) -> None:
    steps = _blocks()[0].strip().split(" && ")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    roundtable = str(Path(sys.executable).parent / "roundtable")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}

    assert steps[:2] == ["python3 -m venv .venv", ".venv/bin/pip install -q -e ."]
    assert steps[-1] == ".venv/bin/roundtable serve"
    for step in steps[2:-1]:  # after making the venv and installing into it
        argv = shlex.split(step)
        assert argv[0] == ".venv/bin/roundtable"
        subprocess.run(
            [roundtable, *argv[1:]], cwd=tmp_path, env=env, check=True, capture_output=True
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with FakeSlackApi() as fake:
        env["PORT"] = str(port)
        if slack:
            env.update(
                SLACK_SIGNING_SECRET="secret",
                SLACK_BOT_TOKEN="xoxb-readme",
                SLACK_API_URL=fake.base_url,
            )
        server = subprocess.Popen(
            [roundtable, "serve", "--host", "127.0.0.1"],
            cwd=tmp_path,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            health = None
            deadline = time.monotonic() + 30
            while health is None and time.monotonic() < deadline and server.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                        health = json.loads(r.read())
                except OSError:
                    time.sleep(0.2)
        finally:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=15)

    assert health == {"status": "ok"}
    assert (tmp_path / "roundtable.db").exists()
