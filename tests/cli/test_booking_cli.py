"""``roundtable slots|book|cancel|reassign|report|link`` on SQLite and PostgreSQL.

Every refusal checks the exit code, the error code and that nothing was written: the
rows of bookings, participants, ledger, outbox and audit, and the links' state.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from services.booking_changes import cancel
from services.links import create_link
from services.notifications import Kind
from storage.uow import UnitOfWork
from tests.cli.conftest import Run
from tests.services.booking_world import ADMIN, NOW, WS, at, book_at, counts, setup

ISO_NOW = "2026-11-30T08:00:00Z"


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


def _link(engine: Engine, **more: Any) -> str:
    more.setdefault("now", NOW)
    made = create_link(engine, WS, "guest", actor=ADMIN, public_url="https://rt.example", **more)
    return made.token


BOOK_DEMO = ("book", "--master-page", "demo", "--event-type", "chat")


def test_slots_prints_z_times_for_the_dates_inclusive_in_the_workspace_zone(
    world: Engine, rt: Any
) -> None:
    code, answer = rt(
        "slots", "--master-page", "demo", "--event-type", "chat", "--from", "2026-11-30",
        "--to", "2026-12-01",
    )  # fmt: skip
    assert code == 0
    starts = [slot["start"] for slot in answer["slots"]]
    assert starts[0] == "2026-11-30T09:00:00Z"
    assert starts[-1] == "2026-12-01T16:30:00Z"
    assert len(starts) == 32
    assert answer["slots"][0]["end"] == "2026-11-30T09:30:00Z"


def test_slots_in_another_zone_cover_that_zones_dates(world: Engine, rt: Any) -> None:
    code, answer = rt(
        "slots", "--master-page", "demo", "--event-type", "chat", "--from", "2026-12-01",
        "--to", "2026-12-01", "--tz", "Pacific/Auckland",
    )  # fmt: skip
    # 1 December in Auckland (UTC+13) is 30 Nov 11:00Z to 1 Dec 11:00Z.
    assert code == 0
    assert answer["slots"][0]["start"] == "2026-11-30T11:00:00Z"
    assert answer["slots"][-1]["start"] == "2026-12-01T10:30:00Z"


def test_book_prints_the_booking_in_the_shape_of_the_contract(world: Engine, rt: Any) -> None:
    code, answer = rt(
        "book", "--master-page", "panel", "--event-type", "meet",
        "--start", "2026-12-01T09:00:00Z", "--customer-slack", "U0CUST",
    )  # fmt: skip
    assert code == 0
    booking = answer["booking"]
    assert set(booking) == {
        "id", "start", "end", "status", "owner", "participants", "event_type", "master_page",
        "location",
    }  # fmt: skip
    assert booking | {"id": "x"} == {
        "id": "x",
        "start": "2026-12-01T09:00:00Z",
        "end": "2026-12-01T10:00:00Z",
        "status": "confirmed",
        "owner": "dave",
        "participants": ["erin", "room-a"],
        "event_type": "meet",
        "master_page": "panel",
        "location": None,
    }


def test_book_without_json_prints_a_readable_line(world: Engine, run: Run, db_url: str) -> None:
    result = run(
        "--db", db_url, "--now", ISO_NOW, *BOOK_DEMO, "--start", "2026-12-01T09:00:00Z",
        "--by", "U0CUST",
    )  # fmt: skip
    assert result.exit_code == 0
    assert "chat on demo, Tue 2026-12-01 09:00–09:30 UTC, owner alice" in result.stdout


def test_book_of_a_taken_time_is_refused_as_slot_unavailable(world: Engine, rt: Any) -> None:
    for _ in range(3):
        book_at(world, "demo", "chat", at(1, 9))
    _refused(
        rt,
        world,
        (*BOOK_DEMO, "--start", "2026-12-01T09:00:00Z", "--by", "U0C"),
        3,
        "slot_unavailable",
    )


def test_book_off_the_grid_is_refused_as_slot_unavailable(world: Engine, rt: Any) -> None:
    _refused(
        rt,
        world,
        (*BOOK_DEMO, "--start", "2026-12-01T09:10:00Z", "--by", "U0C"),
        3,
        "slot_unavailable",
    )


def test_book_repeated_with_an_idempotency_key_returns_the_first_booking(
    world: Engine, rt: Any
) -> None:
    args = (*BOOK_DEMO, "--start", "2026-12-01T09:00:00Z", "--by", "U0C", "--idempotency-key", "k1")
    code, first = rt(*args)
    before = counts(world)
    code_again, again = rt(*args)
    assert (code, code_again) == (0, 0)
    assert again == first
    assert counts(world) == before


def test_an_idempotency_key_reused_for_another_time_is_bad_input_and_books_nothing(
    world: Engine, rt: Any
) -> None:
    key = ("--by", "U0C", "--idempotency-key", "k1")
    code, _ = rt(*BOOK_DEMO, "--start", "2026-12-01T09:00:00Z", *key)
    assert code == 0
    other = (*BOOK_DEMO, "--start", "2026-12-01T10:00:00Z", *key)
    _refused(rt, world, other, 2, "bad_input")
    assert rt(*other)[1]["error"]["message"] == (
        "idempotency_key: idempotency key 'k1' was already used for another booking request"
    )


def test_book_with_a_bad_email_is_bad_input_naming_the_field(world: Engine, rt: Any) -> None:
    args = (*BOOK_DEMO, "--start", "2026-12-01T09:00:00Z", "--customer-name", "Ann",
            "--customer-email", "ann-at-example")  # fmt: skip
    _refused(rt, world, args, 2, "bad_input")
    assert "customer_email" in rt(*args)[1]["error"]["message"]


def test_book_without_any_customer_is_bad_input(world: Engine, rt: Any) -> None:
    _refused(rt, world, (*BOOK_DEMO, "--start", "2026-12-01T09:00:00Z"), 2, "bad_input")


@pytest.mark.parametrize(
    ("answers", "field"),
    [((), "form.topic"), (("--answer", "topic=x", "--answer", "colour=red"), "form.colour")],
    ids=["missing required", "unknown field"],
)
def test_book_with_bad_form_answers_is_bad_input_naming_the_field(
    world: Engine, rt: Any, answers: tuple[str, ...], field: str
) -> None:
    args = ("book", "--master-page", "people", "--event-type", "intro", "--pick", "bob",
            "--start", "2026-12-01T09:00:00Z", "--by", "U0C", *answers)  # fmt: skip
    _refused(rt, world, args, 2, "bad_input")
    assert rt(*args)[1]["error"]["message"].startswith(field)


def test_a_links_only_master_page_is_refused_without_a_link(world: Engine, rt: Any) -> None:
    args = ("book", "--master-page", "guest", "--event-type", "intro",
            "--start", "2026-12-01T09:00:00Z", "--by", "U0C", "--answer", "topic=x")  # fmt: skip
    _refused(rt, world, args, 3, "forbidden")


def test_book_with_a_link_consumes_it_and_a_second_use_is_link_used(world: Engine, rt: Any) -> None:
    token = _link(world, name="Gus Guest", email="gus@example.com", form_answers={"topic": "hi"})
    args = ("book", "--link", token, "--start", "2026-12-01T09:00:00Z")
    code, answer = rt(*args)
    assert code == 0
    assert answer["booking"]["master_page"] == "guest"
    assert counts(world)["links_used"] == 1
    _refused(
        rt, world, ("book", "--link", token, "--start", "2026-12-01T10:00:00Z"), 3, "link_used"
    )


def test_an_expired_link_is_refused_as_link_expired(world: Engine, rt: Any) -> None:
    token = _link(world, name="G", email="g@example.com", expires_in=timedelta(hours=1))
    before = counts(world)
    code, answer = rt(
        "book", "--link", token, "--start", "2026-12-01T09:00:00Z", "--answer", "topic=x",
        now="2026-11-30T09:00:00Z",
    )  # fmt: skip
    assert (code, answer["error"]["code"]) == (3, "link_expired")
    assert counts(world) == before


def test_a_revoked_link_is_refused_as_link_revoked(world: Engine, rt: Any) -> None:
    token = _link(world, name="G", email="g@example.com")
    assert rt("link", "revoke", token)[0] == 0
    args = ("book", "--link", token, "--start", "2026-12-01T09:00:00Z", "--answer", "topic=x")
    _refused(rt, world, args, 3, "link_revoked")


def test_an_unknown_link_is_refused_as_link_unknown_revealing_nothing(
    world: Engine, rt: Any
) -> None:
    args = ("book", "--master-page", "guest", "--event-type", "intro", "--link", "nope",
            "--start", "2026-12-01T09:00:00Z", "--answer", "topic=x", "--by", "U0C")  # fmt: skip
    _refused(rt, world, args, 3, "link_unknown")
    message = rt(*args)[1]["error"]["message"]
    assert not any(word in message for word in ("guest", "sales", "alice", "intro"))


def test_cancel_prints_the_cancelled_booking(world: Engine, rt: Any) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9))
    code, answer = rt("cancel", booking.id, "--by", "U0CUST")
    assert code == 0
    assert answer["booking"]["status"] == "cancelled"


def test_cancel_by_someone_else_is_forbidden(world: Engine, rt: Any) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9))
    _refused(rt, world, ("cancel", booking.id, "--by", "U0NOBODY"), 3, "forbidden")


def test_cancelling_twice_is_refused(world: Engine, rt: Any) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9))
    cancel(world, WS, booking.id, actor=ADMIN, now=NOW)
    _refused(rt, world, ("cancel", booking.id), 3, "booking_cancelled")


def test_cancel_of_an_unknown_booking_is_not_found(world: Engine, rt: Any) -> None:
    _refused(rt, world, ("cancel", "00000000-0000-0000-0000-000000000000"), 2, "not_found")


def test_reassign_moves_the_owner_and_prints_the_booking(world: Engine, rt: Any) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9))
    code, answer = rt(
        "reassign", booking.id, "--to", "carol", "--reason", "leave", "--by", "U0BOSS"
    )
    assert code == 0
    assert answer["booking"]["owner"] == "carol"
    assert answer["booking"]["start"] == "2026-12-01T09:00:00Z"


@pytest.mark.parametrize(("flags", "told"), [((), True), (("--no-tell-customer",), False)])
def test_reassign_with_a_reason_tells_the_customer_unless_asked_not_to(
    world: Engine, rt: Any, flags: tuple[str, ...], told: bool
) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9))
    code, _ = rt("reassign", booking.id, "--to", "carol", "--reason", "leave", *flags)
    assert code == 0
    with UnitOfWork(world) as uow:
        kinds = [m.kind for m in uow.outbox.for_booking(WS, booking.id) if m.recipient == "U0CUST"]
    assert (Kind.REASSIGNED_CUSTOMER in kinds) is told


def test_reassign_by_a_manager_of_another_pool_is_forbidden(world: Engine, rt: Any) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9))
    _refused(rt, world, ("reassign", booking.id, "--to", "bob", "--by", "U0FACIL"), 3, "forbidden")


def test_reassign_to_a_busy_member_is_target_busy_unless_forced(world: Engine, rt: Any) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9))
    setup(world, _tmp(world), lambda d: d.update(busy=[_block("bob", at(1, 8), at(1, 12))]))
    _refused(rt, world, ("reassign", booking.id, "--to", "bob"), 3, "target_busy")
    assert rt("reassign", booking.id, "--to", "bob")[1]["error"]["message"] == (
        "'bob' is not free at that time; add --force to move it anyway"
    )
    code, answer = rt("reassign", booking.id, "--to", "bob", "--force")
    assert (code, answer["booking"]["owner"]) == (0, "bob")


def test_reassign_onto_another_booking_is_target_busy_even_when_forced(
    world: Engine, rt: Any
) -> None:
    first = book_at(world, "demo", "chat", at(1, 9))
    book_at(world, "demo", "chat", at(1, 9))  # bob's
    _refused(rt, world, ("reassign", first.id, "--to", "bob", "--force"), 3, "target_busy")
    assert "--force" not in rt("reassign", first.id, "--to", "bob")[1]["error"]["message"]


def test_reassign_out_of_the_pool_is_not_in_pool(world: Engine, rt: Any) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9))
    _refused(rt, world, ("reassign", booking.id, "--to", "dave"), 3, "not_in_pool")


def test_reassign_to_an_unknown_page_is_not_found(world: Engine, rt: Any) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9))
    _refused(rt, world, ("reassign", booking.id, "--to", "nobody"), 2, "not_found")


def test_reassign_of_a_cancelled_booking_is_refused(world: Engine, rt: Any) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9))
    cancel(world, WS, booking.id, actor=ADMIN, now=NOW)
    _refused(rt, world, ("reassign", booking.id, "--to", "bob"), 3, "booking_cancelled")


def test_report_prints_the_cycle_and_every_member(world: Engine, rt: Any) -> None:
    first = book_at(world, "demo", "chat", at(1, 9))
    book_at(world, "demo", "chat", at(1, 9))
    cancel(world, WS, first.id, actor=ADMIN, now=NOW)
    code, answer = rt("report", "--pool", "sales", "--by", "U0BOSS")
    assert code == 0
    assert answer == {
        "pool": "sales",
        "cycle": {"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"},
        "members": [
            {"page": "alice", "received": 1, "removed": 1, "net": 0, "active": True, "no_show": 0},
            {"page": "bob", "received": 1, "removed": 0, "net": 1, "active": True, "no_show": 0},
            {"page": "carol", "received": 0, "removed": 0, "net": 0, "active": True, "no_show": 0},
        ],
        "average": pytest.approx(1 / 3),
    }


def test_report_by_someone_who_does_not_manage_the_pool_is_forbidden(
    world: Engine, rt: Any
) -> None:
    _refused(rt, world, ("report", "--pool", "sales", "--by", "U0FACIL"), 3, "forbidden")


def test_link_create_prints_token_url_and_expiry(
    world: Engine, rt: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_URL", "https://book.example/")
    code, answer = rt("link", "create", "--master-page", "guest", "--name", "Gus",
                      "--email", "gus@example.com", "--expires-in", "7d")  # fmt: skip
    assert code == 0
    link = answer["link"]
    assert len(link["token"]) >= 43
    assert link["url"] == f"https://book.example/l/{link['token']}"
    assert link["expires_at"] == "2026-12-07T08:00:00Z"


def test_link_create_by_someone_who_manages_none_of_its_pools_is_forbidden(
    world: Engine, rt: Any
) -> None:
    _refused(
        rt, world, ("link", "create", "--master-page", "guest", "--by", "U0FACIL"), 3, "forbidden"
    )


def test_link_create_for_a_master_page_without_dynamic_rules_is_bad_input(
    world: Engine, rt: Any
) -> None:
    _refused(rt, world, ("link", "create", "--master-page", "people"), 2, "bad_input")


def test_link_revoke_of_an_unknown_token_is_link_unknown(world: Engine, rt: Any) -> None:
    _refused(rt, world, ("link", "revoke", "nope"), 3, "link_unknown")


def _block(page: str, start: Any, end: Any) -> dict[str, str]:
    return {"page": page, "start": start.isoformat(), "end": end.isoformat()}


def _tmp(engine: Engine) -> Path:
    import tempfile

    return Path(tempfile.mkdtemp())


def test_book_reads_a_start_without_an_offset_in_the_tz_given(world: Engine, rt: Any) -> None:
    # 04:00 in New York on 1 December is 09:00 UTC, the first time offered that day.
    code, answer = rt(
        *BOOK_DEMO, "--start", "2026-12-01T04:00", "--tz", "America/New_York", "--by", "U0C"
    )
    assert code == 0, answer
    assert answer["booking"]["start"] == "2026-12-01T09:00:00Z"


def test_book_reads_a_start_without_an_offset_or_tz_as_utc(world: Engine, rt: Any) -> None:
    code, answer = rt(*BOOK_DEMO, "--start", "2026-12-01T09:00", "--by", "U0C")
    assert code == 0, answer
    assert answer["booking"]["start"] == "2026-12-01T09:00:00Z"


def test_book_of_a_start_in_the_past_says_it_is_past(world: Engine, rt: Any) -> None:
    args = (*BOOK_DEMO, "--start", "2026-11-30T07:00:00Z", "--by", "U0C")
    _refused(rt, world, args, 3, "slot_unavailable")
    assert "is past" in rt(*args)[1]["error"]["message"]


def test_book_with_an_unknown_tz_for_a_local_start_is_bad_input(world: Engine, rt: Any) -> None:
    args = (*BOOK_DEMO, "--start", "2026-12-01T09:00", "--tz", "Mars/Base", "--by", "U0C")
    _refused(rt, world, args, 2, "bad_input")


def test_slots_and_book_leave_out_rooms_smaller_than_the_attendees(
    db_engine: Engine, tmp_path: Path, rt: Any
) -> None:
    def sizes(data: dict[str, Any]) -> None:
        data["booking_pages"][5]["capacity"] = 4  # room-a
        data["booking_pages"][6]["capacity"] = 8  # room-b

    setup(db_engine, tmp_path, sizes)
    panel = ("--master-page", "panel", "--event-type", "meet")
    day = ("--from", "2026-12-01", "--to", "2026-12-01")
    assert rt("slots", *panel, *day, "--attendees", "8")[1]["slots"]
    assert rt("slots", *panel, *day, "--attendees", "9")[1]["slots"] == []
    code, answer = rt(
        "book", *panel, "--start", "2026-12-01T09:00:00Z", "--attendees", "5", "--by", "U0C"
    )
    assert code == 0, answer
    assert answer["booking"]["participants"] == ["erin", "room-b"]
    _refused(rt, db_engine, ("book", *panel, "--start", "2026-12-01T10:00:00Z",
                             "--attendees", "9", "--by", "U0C"), 3, "slot_unavailable")  # fmt: skip
    code, answer = rt("slots", *panel, *day, "--attendees", "0")
    assert (code, answer["error"]["code"]) == (2, "usage")
    assert "--attendees" in answer["error"]["message"]


def test_link_create_with_a_member_books_that_member_on_a_flexible_pool(
    db_engine: Engine, tmp_path: Path, rt: Any
) -> None:
    setup(db_engine, tmp_path, lambda data: data["pools"][0].update(flexible=True))
    code, answer = rt(
        "link", "create", "--master-page", "guest", "--member", "bob", "--by", "U0BOSS"
    )
    assert code == 0, answer
    code, answer = rt(
        "book", "--link", answer["link"]["token"], "--start", "2026-12-01T09:00:00Z",
        "--customer-name", "Gus", "--customer-email", "gus@example.com", "--answer", "topic=x",
    )  # fmt: skip
    assert code == 0, answer
    assert answer["booking"]["owner"] == "bob"


def test_link_create_naming_a_member_of_a_pool_that_is_not_flexible_is_bad_input(
    world: Engine, rt: Any
) -> None:
    args = ("link", "create", "--master-page", "guest", "--member", "bob")
    _refused(rt, world, args, 2, "bad_input")
    assert "flexible" in rt(*args)[1]["error"]["message"]
