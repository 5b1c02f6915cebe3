"""``roundtable reschedule|no-show|bookings`` and ``book``'s manage URL, on SQLite and PostgreSQL.

Refusals check the exit code, the error code and that nothing was written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from services.manage_links import booking_of
from tests.cli.conftest import Run
from tests.services.booking_world import at, book_at, counts, setup

ISO_NOW = "2026-11-30T08:00:00Z"
SECRET = "cli-test-secret"


@pytest.fixture
def world(db_engine: Engine, tmp_path: Path) -> Engine:
    setup(db_engine, tmp_path)
    return db_engine


@pytest.fixture
def rt(run: Run, db_url: str) -> Any:
    """Run ``roundtable --db URL --now NOW --json ARGS`` and return (exit code, JSON)."""

    def invoke(*args: str, now: str = ISO_NOW) -> tuple[int, dict[str, Any]]:
        result = run("--db", db_url, "--now", now, "--json", *args)
        return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}

    return invoke


def _refused(rt: Any, engine: Engine, args: tuple[str, ...], exit_code: int, code: str) -> None:
    before = counts(engine)
    got_exit, answer = rt(*args)
    assert (got_exit, answer["error"]["code"]) == (exit_code, code), answer
    assert counts(engine) == before


def test_reschedule_prints_the_same_booking_at_its_new_time(world: Engine, rt: Any) -> None:
    booking = book_at(world, "panel", "meet", at(1, 9))
    code, answer = rt("reschedule", booking.id, "--start", "2026-12-02T14:00:00Z", "--by", "U0CUST")
    assert code == 0, answer
    moved = answer["booking"]
    assert (moved["id"], moved["start"], moved["end"]) == (
        booking.id,
        "2026-12-02T14:00:00Z",
        "2026-12-02T15:00:00Z",
    )
    assert (moved["owner"], moved["status"]) == ("dave", "confirmed")


def test_a_start_without_offset_is_local_in_tz(world: Engine, rt: Any) -> None:
    booking = book_at(world, "panel", "meet", at(1, 9))
    code, answer = rt(
        "reschedule", booking.id, "--start", "2026-12-02T09:00", "--tz", "America/New_York"
    )
    assert code == 0, answer
    assert answer["booking"]["start"] == "2026-12-02T14:00:00Z"


@pytest.mark.parametrize(
    ("args", "exit_code", "code"),
    [
        (("--start", "2026-12-02T14:10:00Z"), 3, "slot_unavailable"),
        (("--start", "2026-12-05T10:00:00Z"), 3, "slot_unavailable"),
        (("--start", "2026-11-29T10:00:00Z"), 3, "slot_unavailable"),
        (("--start", "2026-12-02T14:00:00Z", "--by", "U0NOBODY"), 3, "forbidden"),
        (("--start", "tuesday"), 2, "usage"),
        (("--start", "2026-12-02T14:00", "--tz", "Mars/Olympus"), 2, "bad_input"),
    ],
)
def test_reschedule_refusals_exit_with_their_code_and_write_nothing(
    world: Engine, rt: Any, args: tuple[str, ...], exit_code: int, code: str
) -> None:
    booking = book_at(world, "panel", "meet", at(1, 9))
    _refused(rt, world, ("reschedule", booking.id, *args), exit_code, code)


def test_a_past_start_is_refused_as_past(world: Engine, rt: Any) -> None:
    booking = book_at(world, "panel", "meet", at(2, 9))
    code, answer = rt(
        "reschedule", booking.id, "--start", "2026-12-01T09:00:00Z", now="2026-12-01T12:00:00Z"
    )
    assert (code, answer["error"]["code"]) == (3, "slot_unavailable")
    assert "past" in answer["error"]["message"]


def test_reschedule_of_an_unknown_or_started_booking(world: Engine, rt: Any) -> None:
    _refused(rt, world, ("reschedule", "nope", "--start", "2026-12-02T14:00:00Z"), 2, "not_found")
    booking = book_at(world, "panel", "meet", at(1, 9))
    args = ("reschedule", booking.id, "--start", "2026-12-02T14:00:00Z")
    before = counts(world)
    code, answer = rt(*args, now="2026-12-01T09:30:00Z")
    assert (code, answer["error"]["code"]) == (3, "booking_started")
    assert counts(world) == before


def test_no_show_marks_a_started_booking_and_the_report_counts_it(world: Engine, rt: Any) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9), now=at(1, 7))
    _refused(rt, world, ("no-show", booking.id), 3, "booking_not_started")
    later = "2026-12-01T09:20:00Z"
    code, answer = rt("no-show", booking.id, "--by", "U0NOBODY", now=later)
    assert (code, answer["error"]["code"]) == (3, "forbidden")
    code, answer = rt("no-show", booking.id, "--by", "U0BOSS", now=later)
    assert code == 0, answer
    assert (answer["booking"]["id"], answer["booking"]["status"]) == (booking.id, "no_show")
    code, report = rt("report", "--pool", "sales", now=later)
    row = next(m for m in report["members"] if m["page"] == booking.owner)
    assert row == {
        "page": booking.owner,
        "received": 1,
        "removed": 1,
        "net": 0,
        "active": True,
        "no_show": 1,
    }
    code, answer = rt("no-show", booking.id, now=later)
    assert (code, answer["error"]["code"]) == (3, "booking_no_show")


def test_bookings_lists_what_the_actor_may_see_with_filters(world: Engine, rt: Any) -> None:
    first = book_at(world, "panel", "meet", at(1, 9))
    second = book_at(world, "demo", "chat", at(2, 9))

    def listed(*args: str) -> list[str]:
        code, answer = rt("bookings", *args)
        assert code == 0, answer
        return [b["id"] for b in answer["bookings"]]

    assert listed() == [first.id, second.id]
    assert listed("--page", "dave") == [first.id]
    assert listed("--from", "2026-12-02") == [second.id]
    assert listed("--to", "2026-12-01") == [first.id]
    assert listed("--by", "U0BOSS") == [second.id]
    assert listed("--by", "U0NOBODY") == []
    assert listed("--customer-slack", "U0CUST", "--status", "confirmed") == [first.id, second.id]
    assert listed("--status", "cancelled") == []
    code, answer = rt("bookings")
    assert set(answer["bookings"][0]) == {
        "id", "start", "end", "status", "owner", "participants", "event_type", "master_page",
        "location",
    }  # fmt: skip
    _refused(rt, world, ("bookings", "--page", "zed"), 2, "not_found")
    _refused(rt, world, ("bookings", "--from", "2026-12-03", "--to", "2026-12-01"), 2, "bad_input")
    code, answer = rt("bookings", "--status", "lost")
    assert code == 2


def test_book_answers_a_guest_booking_with_its_manage_url(
    world: Engine, rt: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROUNDTABLE_SECRET", SECRET)
    monkeypatch.setenv("PUBLIC_URL", "https://rt.example/")
    book = ("book", "--master-page", "demo", "--event-type", "chat")
    code, guest = rt(*book, "--start", "2026-12-01T09:00:00Z", "--customer-name", "Jo",
                     "--customer-email", "jo@example.com")  # fmt: skip
    assert code == 0, guest
    url = guest["booking"]["manage_url"]
    assert url.startswith("https://rt.example/m/")
    assert booking_of(SECRET.encode(), url.rsplit("/", 1)[1]) == guest["booking"]["id"]
    code, member = rt(*book, "--start", "2026-12-01T10:00:00Z", "--customer-slack", "U0KIM")
    assert code == 0, member
    assert "manage_url" not in member["booking"]
