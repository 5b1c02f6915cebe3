"""Round robin with every seat, same-pool seats, lookahead, flexible links, longest idle,
room capacity and past starts, through the use cases on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from engine.errors import BadInput, SlotUnavailable
from services.booking_changes import cancel, reschedule, reschedule_slots
from services.booking_reassign import reassign, reassign_candidates
from services.links import create_link
from services.slots import catalogue, link_members, offered_slots, plan_link
from storage.uow import UnitOfWork
from tests.services.booking_world import (
    ADMIN,
    BOSS,
    NOW,
    WS,
    _dynamic,
    at,
    book_at,
    counts,
    setup,
)


def _with(**changes: Any):
    """Return a change of the test company: pool options, pages' hours, extra master pages."""

    def change(data: dict[str, Any]) -> None:
        sales = data["pools"][0]
        sales.update(changes.get("sales", {}))
        for page in data["booking_pages"]:
            page.update(changes.get("pages", {}).get(page["id"], {}))
        data["master_pages"] += changes.get("masters", [])
        data["busy"] = changes.get("busy", [])

    return change


SALES_ROOM = _dynamic("sales-room", "chat", {"pool": "sales"}, additional=[{"pool": "rooms"}])
PAIR = _dynamic("pair", "meet", {"page": "dave"}, additional=[{"pool": "sales"}, {"pool": "sales"}])
EVENINGS = {"hours": {"mon-fri": ["18:00-22:00"]}}


def test_a_salesperson_who_never_meets_a_free_room_loses_the_turn_to_the_next(
    db_engine: Engine, tmp_path: Path
) -> None:
    setup(db_engine, tmp_path, _with(pages={"alice": EVENINGS}, masters=[SALES_ROOM]))
    day = at(1, 9).date()
    slots = offered_slots(
        db_engine, WS, "sales-room", "chat", day, day, tz=None, now=NOW, actor=ADMIN
    )
    assert slots
    assert slots[0].start == at(1, 9)
    made = book_at(db_engine, "sales-room", "chat", at(1, 9))
    assert (made.owner, [p.page for p in made.participants]) == ("bob", ["bob", "room-a"])
    # Alice was skipped, not served: she is still first in line for the plain demo page.
    assert book_at(db_engine, "demo", "chat", at(1, 18)).owner == "alice"


def test_two_seats_of_one_round_robin_pool_take_the_first_two_members_in_line(
    db_engine: Engine, tmp_path: Path
) -> None:
    setup(db_engine, tmp_path, _with(masters=[PAIR]))
    first = book_at(db_engine, "pair", "meet", at(1, 9))
    assert [p.page for p in first.participants] == ["dave", "alice", "bob"]
    second = book_at(db_engine, "pair", "meet", at(1, 11))
    assert [p.page for p in second.participants] == ["dave", "carol", "alice"]
    with UnitOfWork(db_engine) as uow:
        schedule = uow.schedules.load(WS, NOW, NOW + timedelta(days=1), now=NOW)
    received = sorted(e.page for e in schedule.ledger["sales"] for _ in range(e.count))
    assert received == ["alice", "alice", "bob", "carol"], "each seat counts as received"


def test_a_member_without_a_bookable_start_within_the_lookahead_loses_the_turn(
    db_engine: Engine, tmp_path: Path
) -> None:
    leave = [{"page": "alice", "start": "2026-11-30T00:00:00Z", "end": "2026-12-05T00:00:00Z"}]
    setup(db_engine, tmp_path, _with(busy=leave))
    day = at(1, 9).date()

    def demo_slots() -> list[Any]:
        return offered_slots(db_engine, WS, "demo", "chat", day, day, tz=None, now=NOW, actor=ADMIN)

    # Without a lookahead the horizon (60 days) decides: Alice, back next week, keeps her
    # turn and nobody can book this week.
    assert demo_slots() == []
    setup(db_engine, tmp_path, _with(busy=leave, sales={"lookahead": "3d"}))
    assert demo_slots()[0].start == at(1, 9)
    assert book_at(db_engine, "demo", "chat", at(1, 9)).owner == "bob"


def test_a_flexible_link_books_the_member_it_names_and_counts_it_received(
    db_engine: Engine, tmp_path: Path
) -> None:
    setup(db_engine, tmp_path, _with(sales={"flexible": True}))
    members = link_members(db_engine, WS, "guest", actor=BOSS, now=NOW)
    assert members is not None
    assert plan_link(db_engine, WS, "guest", actor=BOSS, now=NOW).members == members
    assert [choice.id for choice in members.choices] == ["alice", "bob", "carol"]
    assert members.next_in_line == "alice"
    link = create_link(
        db_engine,
        WS,
        "guest",
        member="carol",
        name="Gus",
        email="gus@example.com",
        actor=BOSS,
        now=NOW,
        public_url="https://rt.example",
    )
    made = book_at(
        db_engine, "guest", "intro", at(1, 9), link_token=link.token, form_answers={"topic": "x"}
    )
    assert made.owner == "carol"
    with UnitOfWork(db_engine) as uow:
        schedule = uow.schedules.load(WS, NOW, NOW + timedelta(days=1), now=NOW)
    received = [(e.page, e.kind.value) for e in schedule.ledger["sales"]]
    assert received == [("carol", "received")]


@pytest.mark.parametrize(
    ("change", "member", "problem"),
    [
        ({}, "carol", "flexible"),
        ({"sales": {"flexible": True}}, "dave", "flexible"),
    ],
)
def test_a_link_may_name_only_a_member_of_a_flexible_round_robin_seat(
    db_engine: Engine, tmp_path: Path, change: dict[str, Any], member: str, problem: str
) -> None:
    setup(db_engine, tmp_path, _with(**change))
    before = counts(db_engine)
    with pytest.raises(BadInput, match=problem) as refused:
        create_link(
            db_engine,
            WS,
            "guest",
            member=member,
            actor=ADMIN,
            now=NOW,
            public_url="https://rt.example",
        )
    assert refused.value.field == "member"
    assert counts(db_engine) == before
    nameable = link_members(db_engine, WS, "guest", actor=ADMIN, now=NOW)
    assert member not in ([] if nameable is None else [c.id for c in nameable.choices])


def test_static_pooled_gives_the_booking_to_the_page_idle_longest_on_that_master_page(
    db_engine: Engine, tmp_path: Path
) -> None:
    support = {
        "id": "support",
        "name": "Support",
        "mode": "static",
        "method": "pooled",
        "event_types": ["intro"],
    }
    setup(db_engine, tmp_path, _with(masters=[support]))
    answers = {"form_answers": {"topic": "t"}}
    # Alice is busy elsewhere (picked on another master page): that is no receipt here.
    book_at(db_engine, "people", "intro", at(2, 9), pick="alice", **answers)
    book_at(db_engine, "people", "intro", at(2, 10), pick="alice", **answers)
    owners = [
        book_at(
            db_engine, "support", "intro", at(1, 9 + n), now=NOW + timedelta(minutes=n), **answers
        ).owner
        for n in range(4)
    ]
    assert owners == ["alice", "bob", "carol", "alice"]
    # A cancelled booking was still received: cancelling Bob's does not put him first.
    second = book_at(
        db_engine, "support", "intro", at(1, 14), now=NOW + timedelta(minutes=5), **answers
    )
    assert second.owner == "bob"
    cancel(db_engine, WS, second.id, actor=ADMIN, now=NOW + timedelta(minutes=6))
    later = NOW + timedelta(minutes=7)
    assert book_at(db_engine, "support", "intro", at(1, 15), now=later, **answers).owner == "carol"


def test_rooms_too_small_for_the_attendees_are_not_booked_and_the_count_is_kept(
    db_engine: Engine, tmp_path: Path
) -> None:
    sizes = {"room-a": {"capacity": 4}, "room-b": {"capacity": 10}}
    setup(db_engine, tmp_path, _with(pages=sizes))
    made = book_at(db_engine, "panel", "meet", at(1, 9), attendees=6)
    assert [p.page for p in made.participants] == ["dave", "erin", "room-b"]
    assert made.attendees == 6
    day = at(1, 9).date()
    assert (
        offered_slots(
            db_engine, WS, "panel", "meet", day, day, tz=None, now=NOW, attendees=11, actor=ADMIN
        )
        == []
    )
    before = counts(db_engine)
    with pytest.raises(SlotUnavailable):
        book_at(db_engine, "panel", "meet", at(1, 11), attendees=11)
    assert counts(db_engine) == before
    with UnitOfWork(db_engine) as uow:
        config = uow.config.load(WS)
    asks = {
        (master.id, kind.id): kind.headcount
        for master in catalogue(config, None)
        for kind in master.event_types
    }
    assert asks[("panel", "meet")]
    assert not asks[("demo", "chat")]


def test_a_start_in_the_past_is_refused_as_past(db_engine: Engine, tmp_path: Path) -> None:
    setup(db_engine, tmp_path)
    with pytest.raises(SlotUnavailable, match="is past"):
        book_at(db_engine, "demo", "chat", at(30, 7))


def test_a_moved_booking_keeps_its_headcount_when_its_room_is_chosen_again(
    db_engine: Engine, tmp_path: Path
) -> None:
    sizes = {"room-a": {"capacity": 10}, "room-b": {"capacity": 4}}
    room_a_busy = [
        {"page": "room-a", "start": "2026-12-01T13:00:00Z", "end": "2026-12-01T14:00:00Z"}
    ]
    setup(db_engine, tmp_path, _with(pages=sizes, busy=room_a_busy))
    made = book_at(db_engine, "panel", "meet", at(1, 9), attendees=6)
    assert made.participants[-1].page == "room-a"
    day = at(1, 9).date()
    moves = reschedule_slots(db_engine, WS, made.id, day, day, tz="UTC", actor=ADMIN, now=NOW)
    assert at(1, 13) not in {slot.start for slot in moves}, "room-b seats only 4"
    assert at(1, 11) in {slot.start for slot in moves}
    with pytest.raises(SlotUnavailable):
        reschedule(db_engine, WS, made.id, start=at(1, 13), tz="UTC", actor=ADMIN, now=NOW)
    moved = reschedule(db_engine, WS, made.id, start=at(1, 11), tz="UTC", actor=ADMIN, now=NOW)
    assert (moved.start, moved.participants[-1].page, moved.attendees) == (at(1, 11), "room-a", 6)


def test_a_booking_is_never_reassigned_to_a_room_too_small_for_it(
    db_engine: Engine, tmp_path: Path
) -> None:
    sizes = {"room-a": {"capacity": 4}, "room-b": {"capacity": 10}}
    setup(db_engine, tmp_path, _with(pages=sizes))
    made = book_at(db_engine, "panel", "meet", at(1, 9), attendees=6)
    assert made.participants[-1].page == "room-b"

    found = reassign_candidates(db_engine, WS, made.id, seat_page="room-b", actor=ADMIN, now=NOW)
    assert "room-a" not in {candidate.page for candidate in found}
    with pytest.raises(BadInput) as refused:
        reassign(db_engine, WS, made.id, to_page="room-a", seat_page="room-b", actor=ADMIN, now=NOW)
    assert refused.value.field == "to"
    assert "seats 4" in refused.value.message
