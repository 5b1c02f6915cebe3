"""Global options, errors and exit codes of ``roundtable``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
import pytest

from cli.main import cli
from cli.runtime import Runtime, day_text, pass_runtime, span_text
from services.errors import LinkUsed
from tests.cli.conftest import Run
from tests.services.config_samples import small_config_text

AddCommand = Callable[[click.Command], None]


@pytest.fixture
def broken_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Write acme.yml with two problems into the working directory and return its name."""
    monkeypatch.chdir(tmp_path)

    def break_two(config: dict[str, Any]) -> None:
        config["pools"][1]["members"][0]["page"] = "zed"
        config["event_types"][0]["duration"] = "half an hour"

    Path("acme.yml").write_text(small_config_text(break_two), encoding="utf-8")
    return "acme.yml"


@pytest.fixture
def add_command(monkeypatch: pytest.MonkeyPatch) -> AddCommand:
    """Add a command to ``roundtable`` for one test."""

    def add(command: click.Command) -> None:
        monkeypatch.setitem(cli.commands, str(command.name), command)

    return add


def test_a_bad_file_exits_2_with_each_problem_on_its_own_line(
    run: Run, sqlite_url: str, broken_file: str
) -> None:
    result = run("--db", sqlite_url, "config", "apply", broken_file)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: acme.yml: event_types[0].duration: "
        "'half an hour' is not a duration like 30m, 2h, 1h30m or 1d\n"
        "error: acme.yml: pools[1].members[0].page: unknown booking page 'zed'\n"
    )


def test_with_json_an_error_prints_its_code_and_message_on_stdout(
    run: Run, sqlite_url: str, broken_file: str
) -> None:
    result = run("--db", sqlite_url, "--json", "config", "apply", broken_file)

    assert result.exit_code == 2
    assert json.loads(result.stdout) == {
        "error": {
            "code": "bad_input",
            "message": "acme.yml: event_types[0].duration: "
            "'half an hour' is not a duration like 30m, 2h, 1h30m or 1d\n"
            "acme.yml: pools[1].members[0].page: unknown booking page 'zed'",
        }
    }


@pytest.mark.parametrize("as_json", [False, True])
def test_a_refusal_by_the_rules_exits_3_with_its_code(
    run: Run, add_command: AddCommand, as_json: bool
) -> None:
    @click.command("use-link")
    def use_link() -> None:
        raise LinkUsed("this link was already used")

    add_command(use_link)

    result = run(*(["--json"] if as_json else []), "use-link")

    assert result.exit_code == 3
    if as_json:
        assert json.loads(result.stdout) == {
            "error": {"code": "link_used", "message": "this link was already used"}
        }
    else:
        assert result.stderr == "error: this link was already used\n"


def test_an_unexpected_error_exits_1_and_is_internal_in_json(
    run: Run, add_command: AddCommand
) -> None:
    @click.command("explode")
    def explode() -> None:
        raise ZeroDivisionError("division by zero")

    add_command(explode)

    as_text = run("explode")
    as_json = run("--json", "explode")

    assert as_text.exit_code == 1
    assert isinstance(as_text.exception, ZeroDivisionError)
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout) == {
        "error": {"code": "internal", "message": "ZeroDivisionError: division by zero"}
    }
    assert "Traceback" in as_json.stderr


def test_a_usage_error_exits_2_in_clicks_words_or_as_json(run: Run) -> None:
    as_text = run("config", "bogus")
    as_json = run("--json", "config", "bogus")

    assert as_text.exit_code == 2
    assert "Error: No such command 'bogus'." in as_text.stderr
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout) == {
        "error": {"code": "usage", "message": "No such command 'bogus'."}
    }


@pytest.mark.parametrize(
    ("given", "now"),
    [
        ("2026-12-01T09:30:00Z", "2026-12-01T09:30:00+00:00"),
        ("2026-12-01T09:30:00+05:30", "2026-12-01T04:00:00+00:00"),
        ("2026-12-01T09:30", "2026-12-01T09:30:00+00:00"),
    ],
)
def test_now_is_read_in_utc_and_a_time_without_offset_is_utc(
    run: Run, add_command: AddCommand, given: str, now: str
) -> None:
    @click.command("clock")
    @pass_runtime
    def clock(runtime: Runtime) -> None:
        click.echo(runtime.now.isoformat())

    add_command(clock)

    assert run("--now", given, "clock").stdout == f"{now}\n"


def test_a_now_that_is_not_a_time_is_a_usage_error(run: Run) -> None:
    result = run("--now", "yesterday", "config", "show")

    assert result.exit_code == 2
    assert (
        "Invalid value for '--now': 'yesterday' is not an ISO 8601 time like 2026-12-01T09:00:00Z"
        in result.stderr
    )


def test_the_database_comes_from_env_database_url_when_db_is_not_given(
    run: Run, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    (tmp_path / "small.yml").write_text(small_config_text(), encoding="utf-8")

    assert run("config", "apply", str(tmp_path / "small.yml")).exit_code == 0

    assert (tmp_path / "cli.db").exists()


def test_an_unusable_database_url_exits_2_and_an_unreachable_database_exits_1(run: Run) -> None:
    unusable = run("--db", "nosuchdb://x", "config", "show")
    unreachable = run("--json", "--db", "postgresql://nobody@127.0.0.1:1/none", "config", "show")

    assert unusable.exit_code == 2
    assert unusable.stderr.startswith("error: --db: 'nosuchdb://x' is not a usable database URL")
    assert unreachable.exit_code == 1
    error = json.loads(unreachable.stdout)["error"]
    assert error["code"] == "error"
    assert error["message"].startswith(
        "cannot open the database postgresql+psycopg://nobody@127.0.0.1:1/none: "
    )


def test_the_console_script_applies_a_file_and_reports_errors(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "roundtable"
    (tmp_path / "acme.yml").write_text(
        small_config_text(lambda c: c["busy"][0].update(page="zed")), encoding="utf-8"
    )

    result = subprocess.run(
        [str(script), "--db", "sqlite:///cli.db", "config", "apply", "acme.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr == "error: acme.yml: busy[0].page: unknown booking page 'zed'\n"
    assert result.stdout == ""


def test_days_and_meeting_times_read_alike_in_every_command() -> None:
    start = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)

    assert day_text(start.date()) == "Tue 2026-12-08"
    assert span_text(start, start + timedelta(minutes=30), UTC) == "Tue 2026-12-08 14:00–14:30"
    assert span_text(start, start + timedelta(hours=1), ZoneInfo("Asia/Tokyo")) == (
        "Tue 2026-12-08 23:00–00:00"
    )
