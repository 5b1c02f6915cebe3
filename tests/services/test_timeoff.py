"""Time off blocks whole local days of a page, in its zone, like an all-day event."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from engine.errors import BadInput, NotFound
from services.context import SlackUser
from services.errors import Forbidden
from services.slots import offered_slots
from services.timeoff import add_time_off, list_time_off, remove_time_off
from tests.services.booking_world import ADMIN, CLI, NOW, STRANGER, WS, setup

ALICE = SlackUser("U0ALICE")


def _alice_in_new_york(data: dict[str, Any]) -> None:
    data["booking_pages"][0]["timezone"] = "America/New_York"
    data["booking_pages"][0]["hours"] = {"mon-sun": ["00:00-24:00"]}


@pytest.fixture
def world(db_engine: Engine, tmp_path: Path) -> Engine:
    setup(db_engine, tmp_path, _alice_in_new_york)
    return db_engine


def _alice_slots(engine: Engine, first: date, last: date) -> list[datetime]:
    found = offered_slots(
        engine, WS, "people", "intro", first, last, tz="UTC", now=NOW, pick="alice", actor=ADMIN
    )
    return [slot.start for slot in found]


def test_time_off_blocks_the_pages_local_days_and_nothing_else(world: Engine) -> None:
    # Alice works around the clock in New York (UTC-5 in December): her 1 and 2 December
    # run from 05:00 UTC on the 1st to 05:00 UTC on the 3rd.
    before = _alice_slots(world, date(2026, 12, 1), date(2026, 12, 3))
    add_time_off(
        world,
        WS,
        "alice",
        date(2026, 12, 1),
        date(2026, 12, 2),
        reason="Leave",
        actor=ALICE,
        now=NOW,
    )
    after = _alice_slots(world, date(2026, 12, 1), date(2026, 12, 3))
    blocked_from = datetime(2026, 12, 1, 5, tzinfo=UTC)
    blocked_to = datetime(2026, 12, 3, 5, tzinfo=UTC)
    expected = [t for t in before if not blocked_from - timedelta(minutes=30) < t < blocked_to]
    assert after == expected
    assert datetime(2026, 12, 1, 4, 30, tzinfo=UTC) in after  # 23:30 on 30 Nov in New York
    assert blocked_to in after
    # Bob (London) is not touched.
    bob = offered_slots(
        world,
        WS,
        "people",
        "intro",
        date(2026, 12, 1),
        date(2026, 12, 1),
        tz="UTC",
        now=NOW,
        pick="bob",
        actor=ADMIN,
    )
    assert bob


def test_removing_time_off_frees_the_days_again(world: Engine) -> None:
    before = _alice_slots(world, date(2026, 12, 4), date(2026, 12, 4))
    made = add_time_off(
        world, WS, "alice", date(2026, 12, 4), date(2026, 12, 4), reason=None, actor=CLI, now=NOW
    )
    assert _alice_slots(world, date(2026, 12, 4), date(2026, 12, 4)) != before
    assert remove_time_off(world, WS, made.id, actor=ALICE) == made
    assert _alice_slots(world, date(2026, 12, 4), date(2026, 12, 4)) == before
    assert list_time_off(world, WS, actor=CLI) == []


def test_a_member_keeps_only_their_own_pages_time_off(world: Engine) -> None:
    made = add_time_off(
        world,
        WS,
        "bob",
        date(2026, 12, 7),
        date(2026, 12, 8),
        reason="Trip",
        actor=SlackUser("U0BOB"),
        now=NOW,
    )
    with pytest.raises(Forbidden):
        add_time_off(
            world,
            WS,
            "bob",
            date(2026, 12, 9),
            date(2026, 12, 9),
            reason=None,
            actor=ALICE,
            now=NOW,
        )
    with pytest.raises(Forbidden):
        add_time_off(
            world,
            WS,
            "room-a",
            date(2026, 12, 9),
            date(2026, 12, 9),
            reason=None,
            actor=ALICE,
            now=NOW,
        )
    with pytest.raises(Forbidden):
        remove_time_off(world, WS, made.id, actor=ALICE)
    with pytest.raises(Forbidden):
        list_time_off(world, WS, page="bob", actor=STRANGER)
    assert list_time_off(world, WS, actor=ALICE) == []
    assert list_time_off(world, WS, actor=SlackUser("U0BOB")) == [made]
    assert list_time_off(world, WS, actor=ADMIN) == [made]
    room = add_time_off(
        world,
        WS,
        "room-a",
        date(2026, 12, 9),
        date(2026, 12, 9),
        reason=None,
        actor=ADMIN,
        now=NOW,
    )
    assert [t.page for t in list_time_off(world, WS, actor=ADMIN)] == ["bob", "room-a"]
    assert list_time_off(world, WS, page="room-a", actor=CLI) == [room]


@pytest.mark.parametrize(
    ("first", "last", "reason", "field"),
    [
        (date(2026, 12, 3), date(2026, 12, 2), None, "to"),
        (date(2026, 11, 1), date(2026, 11, 29), None, "to"),  # all past
        (date(2026, 12, 1), date(2027, 12, 2), None, "to"),  # over 366 days
        (date(2029, 1, 1), date(2029, 1, 2), None, "from"),  # too far ahead
        (date(2026, 12, 1), date(2026, 12, 1), "x" * 201, "reason"),
    ],
)
def test_unacceptable_time_off_is_bad_input_on_its_field_and_writes_nothing(
    world: Engine, first: date, last: date, reason: str | None, field: str
) -> None:
    with pytest.raises(BadInput) as refused:
        add_time_off(world, WS, "alice", first, last, reason=reason, actor=CLI, now=NOW)
    assert refused.value.field == field
    assert list_time_off(world, WS, actor=CLI) == []


def test_time_off_that_began_before_today_may_still_be_added(world: Engine) -> None:
    made = add_time_off(
        world, WS, "alice", date(2026, 11, 25), date(2026, 12, 1), reason=" ", actor=CLI, now=NOW
    )
    assert made.reason is None
    assert _alice_slots(world, date(2026, 12, 1), date(2026, 12, 2))[0] == datetime(
        2026, 12, 2, 5, tzinfo=UTC
    )


def test_unknown_pages_and_ids_are_not_found(world: Engine) -> None:
    with pytest.raises(NotFound) as page:
        add_time_off(
            world, WS, "zed", date(2026, 12, 1), date(2026, 12, 1), reason=None, actor=CLI, now=NOW
        )
    assert page.value.field == "page"
    for bad in ("nonsense", "5d5f7f1e-6d3a-4e0b-9d6e-0c1a2b3c4d5e"):
        with pytest.raises(NotFound) as unknown:
            remove_time_off(world, WS, bad, actor=CLI)
        assert unknown.value.field == "id"
