"""The command line as people type it: options after the command, ids, --db forms, links."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from cli.main import globals_first
from services.booking_changes import cancel
from tests.cli.conftest import Run
from tests.cli.test_booking_cli import ISO_NOW
from tests.services.booking_world import ADMIN, NOW, WS, at, book_at, setup


@pytest.fixture
def world(db_engine: Engine, tmp_path: Path) -> Engine:
    setup(db_engine, tmp_path)
    return db_engine


def test_global_options_after_the_command_mean_the_same_as_before_it(
    world: Engine, run: Run, db_url: str
) -> None:
    before = run("--db", db_url, "--now", ISO_NOW, "--json", "report", "--pool", "sales")
    after = run("report", "--pool", "sales", "--json", f"--db={db_url}", "--now", ISO_NOW)
    mixed = run("--json", "report", "--db", db_url, "--pool", "sales", "--now", ISO_NOW)

    assert before.exit_code == after.exit_code == mixed.exit_code == 0
    assert json.loads(after.stdout) == json.loads(before.stdout) == json.loads(mixed.stdout)


def test_only_global_options_move_and_nothing_after_a_double_dash() -> None:
    assert globals_first(["--db", "x", "slots", "--tz", "UTC", "--json"]) == [
        "--db", "x", "--json", "slots", "--tz", "UTC",
    ]  # fmt: skip
    assert globals_first(["config", "apply", "--", "--json"]) == [
        "config", "apply", "--", "--json",
    ]  # fmt: skip
    assert globals_first(["link", "revoke", "T", "--workspace"]) == [
        "--workspace", "link", "revoke", "T",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "option", "shape"),
    [
        (("report", "--pool", "sales", "--by", "bob"), "--by", "a Slack user id like U0123ABCD"),
        (
            (
                "book",
                "--master-page",
                "demo",
                "--start",
                "2026-12-01T09:00:00Z",
                "--customer-slack",
                "@kim",
            ),
            "--customer-slack",
            "a Slack user id like U0123ABCD",
        ),
        (("--workspace", "acme", "config", "show"), "--workspace", "a Slack team id like T0123"),
        (("config", "show", "--workspace", "C0CHANNEL"), "--workspace", "a Slack team id"),
    ],
)
def test_slack_ids_are_checked_like_the_configuration_file_checks_them(
    world: Engine, run: Run, db_url: str, args: tuple[str, ...], option: str, shape: str
) -> None:
    result = run("--db", db_url, "--json", *args)

    # a global option's usage error is click's own, on stderr: --json is not known yet
    shown = result.stdout + result.stderr
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in shown
    assert shape in shown


@pytest.mark.parametrize(
    ("db", "says"),
    [
        ("roundtable.db", "is a file path, not a database URL; write sqlite:///roundtable.db "),
        ("sqlite://roundtable.db", "names a host, not a file (two slashes); write sqlite:///"),
        ("/srv/rt/data.db", "write sqlite:////srv/rt/data.db (an absolute path: four slashes)"),
        ("sqlite:///~/rt.db", "~ is not expanded; write sqlite:///"),
        ("sqlite:///no-such-folder/rt.db", "/no-such-folder does not exist (relative to "),
    ],
)
def test_a_db_that_is_not_a_sqlite_url_is_answered_with_the_form_meant(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: str, says: str
) -> None:
    monkeypatch.chdir(tmp_path)

    result = run("--db", db, "config", "show")

    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: --db: '{db}")
    assert says in result.stderr
    assert list(tmp_path.iterdir()) == []  # no file was created anywhere


def test_a_relative_sqlite_url_is_the_working_directorys_file(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = run("--db", "sqlite:///here.db", "db", "upgrade")

    assert result.exit_code == 0, result.output
    assert (tmp_path / "here.db").exists()


def test_the_text_report_marks_inactive_members_and_averages_the_active(
    world: Engine, run: Run, db_url: str, tmp_path: Path
) -> None:
    first = book_at(world, "demo", "chat", at(1, 9))
    book_at(world, "demo", "chat", at(1, 9))
    cancel(world, WS, first.id, actor=ADMIN, now=NOW)

    def carol_inactive(data: dict[str, Any]) -> None:
        data["pools"][0]["members"][2]["active"] = False

    setup(world, tmp_path, carol_inactive)
    text = run("--db", db_url, "--now", ISO_NOW, "report", "--pool", "sales")
    data = run("--db", db_url, "--now", ISO_NOW, "--json", "report", "--pool", "sales")

    lines = text.stdout.splitlines()
    assert lines[2].rstrip().endswith("0")  # alice, active
    assert lines[4].endswith("  inactive")
    assert lines[4].split()[0] == "carol"
    assert lines[5] == "  average net 0.50 (active members only)"
    members = json.loads(data.stdout)["members"]
    assert [m["active"] for m in members] == [True, True, False]


@pytest.mark.parametrize(
    ("env", "url", "says"),
    [
        ({}, "http://localhost:3000", "{url}, as PUBLIC_URL is not set"),
        ({"PORT": "8080"}, "http://localhost:8080", "{url}, as PUBLIC_URL is not set"),
        ({"PUBLIC_URL": "https://book.example/"}, "https://book.example", "PUBLIC_URL, {url}"),
    ],
)
def test_link_create_says_where_the_page_is_served_on_the_port_serve_uses(
    world: Engine,
    run: Run,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    url: str,
    says: str,
) -> None:
    for name in ("PORT", "PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    result = run("--db", db_url, "--now", ISO_NOW, "link", "create", "--master-page", "guest")

    assert result.exit_code == 0, result.output
    link, _expiry, where = result.stdout.splitlines()
    assert link.startswith(f"{url}/l/")
    assert where.startswith("`roundtable serve` serves the page at " + says.format(url=url))


def test_a_bad_public_url_is_named(
    world: Engine, run: Run, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_URL", "book.example")

    result = run("--db", db_url, "link", "create", "--master-page", "guest")

    assert result.exit_code == 2
    assert result.stderr == "error: PUBLIC_URL: 'book.example' is not an http(s) URL\n"
