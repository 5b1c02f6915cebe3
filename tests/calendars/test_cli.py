"""``roundtable calendar connect|list|sync|disconnect``: JSON shapes, exit codes, no secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from tests.calendars.conftest import ICS as FIXTURES

NOW = "2026-12-06T12:00:00Z"


@pytest.fixture
def run(world):
    url = world.url.render_as_string(hide_password=False)

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["--db", url, "--now", NOW, *args], input=stdin)

    return invoke


def answer(result: Result) -> dict:
    return json.loads(result.stdout)


def test_connect_list_sync_and_disconnect_a_feed(run, feeds) -> None:
    url = feeds.serve("/private-t0ps3cret/basic.ics", (FIXTURES / "google.ics").read_bytes())

    connected = run("--json", "calendar", "connect", "--page", "alice", "--ics", url)
    assert connected.exit_code == 0, connected.output
    calendar = answer(connected)["calendar"]
    assert calendar == {"id": calendar["id"], "kind": "ics", "pages": ["alice"], "write": False}

    synced = run("--json", "calendar", "sync")
    assert synced.exit_code == 0
    assert answer(synced) == {
        "synced": [{"id": calendar["id"], "busy": 4, "changed": True, "error": None}]
    }

    listed = run("--json", "calendar", "list", "--page", "alice")
    assert answer(listed) == {
        "calendars": [
            {
                "id": calendar["id"],
                "kind": "ics",
                "pages": ["alice"],
                "write": False,
                "busy": 4,
                "last_success": NOW,
                "last_error": None,
            }
        ]
    }
    people = run("calendar", "list")
    assert "t0ps3cret" not in people.output
    assert "t0ps3cret" not in connected.output + synced.output + listed.output
    assert "4 busy blocks" in people.output

    gone = run("--json", "calendar", "disconnect", calendar["id"])
    assert gone.exit_code == 0
    assert answer(run("--json", "calendar", "list")) == {"calendars": []}


def test_a_caldav_password_comes_from_standard_input_and_is_never_shown(run, radicale) -> None:
    url = radicale.url + "/alice/work/"

    connected = run(
        "--json",
        "calendar",
        "connect",
        "--page",
        "alice",
        "--page",
        "room",
        "--caldav",
        url,
        "--username",
        "alice",
        "--password-stdin",
        "--write",
        stdin="wonderland\n",
    )

    assert connected.exit_code == 0, connected.output
    calendar = answer(connected)["calendar"]
    assert (calendar["kind"], calendar["pages"], calendar["write"]) == (
        "caldav",
        ["alice", "room"],
        True,
    )
    listed = run("calendar", "list")
    assert "wonderland" not in listed.output
    assert f"{radicale.url}/alice/work/" in listed.output


def test_every_source_failing_exits_1_and_one_of_two_exits_0(run, feeds) -> None:
    bad = feeds.serve("/bad.ics", b"", status=500)
    run("calendar", "connect", "--page", "alice", "--ics", bad)

    failed = run("--json", "calendar", "sync")
    assert failed.exit_code == 1
    [only] = answer(failed)["synced"]
    assert only["error"] == "the feed answered HTTP 500 Internal Server Error"

    good = feeds.serve("/good.ics", (FIXTURES / "google.ics").read_bytes())
    run("calendar", "connect", "--page", "bob", "--ics", good)
    assert run("--json", "calendar", "sync").exit_code == 0


@pytest.mark.parametrize(
    ("args", "stdin", "field"),
    [
        (["--page", "zed", "--ics", "https://x.example/a.ics"], None, "--page"),
        (["--page", "alice", "--ics", "ftp://x.example/a.ics"], None, "--ics"),
        (["--page", "alice", "--ics", "https://x.example/a.ics", "--write"], None, "--write"),
        (["--page", "alice"], None, "--ics"),
        (
            ["--page", "alice", "--caldav", "https://d.example/c/", "--username", "a"],
            None,
            "--password-stdin",
        ),
        (
            ["--page", "alice", "--caldav", "https://d.example/c/", "--password-stdin"],
            "pw\n",
            "--username",
        ),
        (
            [
                "--page",
                "alice",
                "--caldav",
                "https://d.example/c/",
                "--username",
                "a",
                "--password-stdin",
            ],
            "\n",
            "--password-stdin",
        ),
    ],
)
def test_bad_input_exits_2_naming_the_option_and_stores_nothing(run, args, stdin, field) -> None:
    result = run("calendar", "connect", *args, stdin=stdin)

    assert result.exit_code == 2
    assert f"error: {field}: " in result.stderr
    assert answer(run("--json", "calendar", "list")) == {"calendars": []}


def test_members_manage_their_own_pages_calendars_only(run, feeds) -> None:
    url = feeds.serve("/f.ics", (FIXTURES / "google.ics").read_bytes())

    refused = run(
        "--json", "calendar", "connect", "--page", "room", "--ics", url, "--by", "U0ALICE"
    )
    assert refused.exit_code == 3
    assert answer(refused)["error"]["code"] == "forbidden"

    own = run("--json", "calendar", "connect", "--page", "alice", "--ics", url, "--by", "U0ALICE")
    assert own.exit_code == 0
    calendar = answer(own)["calendar"]["id"]
    assert answer(run("--json", "calendar", "list", "--by", "U0BOB")) == {"calendars": []}
    assert run("calendar", "disconnect", calendar, "--by", "U0BOB").exit_code == 3
    assert run("calendar", "disconnect", calendar, "--by", "U0ALICE").exit_code == 0


def test_disconnecting_an_unknown_calendar_is_not_found(run) -> None:
    result = run("--json", "calendar", "disconnect", "not-a-calendar")

    assert result.exit_code == 2
    assert answer(result)["error"]["code"] == "not_found"


def test_without_the_apps_secret_connecting_is_refused(run, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ROUNDTABLE_SECRET")
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)

    result = run("calendar", "connect", "--page", "alice", "--ics", "https://x.example/a.ics")

    assert result.exit_code == 2
    assert "error: ROUNDTABLE_SECRET: is not set" in result.stderr


def slots(run, day: str) -> list[str]:
    result = run(
        "--json",
        "slots",
        "--master-page",
        "meet-alice",
        "--event-type",
        "meet",
        "--from",
        day,
        "--to",
        day,
        "--tz",
        "Europe/London",
    )
    assert result.exit_code == 0, result.output
    return [slot["start"][11:16] for slot in answer(result)["slots"]]


def test_synced_busy_time_is_not_offered(run, feeds) -> None:
    assert slots(run, "2026-12-07") == [
        "09:00",
        "10:00",
        "11:00",
        "12:00",
        "13:00",
        "14:00",
        "15:00",
    ]
    url = feeds.serve("/g.ics", (FIXTURES / "google.ics").read_bytes())
    run("calendar", "connect", "--page", "alice", "--ics", url)
    run("calendar", "sync")

    # The standup 14:00-14:30 UTC takes the 14:00 hour; the configured 16:00 block stays.
    assert slots(run, "2026-12-07") == ["09:00", "10:00", "11:00", "12:00", "13:00", "15:00"]
    # The all-day offsite (10-11 December) leaves nothing.
    assert slots(run, "2026-12-10") == []
