"""The admin modals' use cases: one entity at a time, validated by the config file's rules."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from engine.errors import NotFound
from engine.model import LocalRange, Method, PageKind, Pool, Priority, SeatRef
from services.admin import (
    AdminInvalid,
    FieldProblem,
    check_admin,
    entities,
    load_setup,
    save_entity,
)
from services.config import apply_config, export_config, load_config
from services.context import CommandLine, SlackUser
from services.errors import Forbidden
from services.sections import Section
from tests.services.config_samples import small_config_text

WS = "T0001"
ADMIN = SlackUser("U0ADMIN")
ALICE = SlackUser("U0ALICE")


@pytest.fixture
def engine(db_engine: Engine, tmp_path: Path) -> Engine:
    path = tmp_path / "acme.yml"
    path.write_text(small_config_text())
    apply_config(db_engine, path)
    return db_engine


def _carol(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "carol",
        "kind": "member",
        "name": "Carol",
        "slack_user": "U0CAROL",
        "timezone": "Europe/Paris",
        "hours": {"mon": ["09:00-12:00", "13:00-17:00"], "fri": ["09:00-12:00"]},
        "overrides": {"2026-12-24": []},
        "max_per_day": "4",
    }
    return data | changes


def _problems(error: pytest.ExceptionInfo[AdminInvalid]) -> list[FieldProblem]:
    return list(error.value.problems)


def test_an_admin_creates_a_booking_page_with_hours_and_overrides(engine: Engine) -> None:
    page = save_entity(engine, WS, Section.BOOKING_PAGES, _carol(), replaces=None, actor=ADMIN)

    stored = load_config(engine, WS).pages["carol"]
    assert stored == page
    assert page.hours[0] == (LocalRange(540, 720), LocalRange(780, 1020))
    assert page.hours[4] == (LocalRange(540, 720),)
    assert page.max_per_day == 4
    assert "carol" in export_config(engine, WS)


def test_an_admin_edits_a_booking_page_in_place_keeping_its_position(engine: Engine) -> None:
    data = {
        "id": "room-a",
        "kind": "resource",
        "name": "Room A (big)",
        "timezone": "Europe/London",
        "capacity": "12",
        "hours": {"mon": ["08:00-18:00"]},
    }
    save_entity(engine, WS, Section.BOOKING_PAGES, data, replaces="room-a", actor=ADMIN)

    pages = load_config(engine, WS).pages
    assert list(pages) == ["alice", "bob", "room-a"]
    assert pages["room-a"].name == "Room A (big)"
    assert pages["room-a"].capacity == 12
    assert pages["room-a"].kind is PageKind.RESOURCE


def test_an_admin_saves_an_event_type(engine: Engine) -> None:
    data = {
        "id": "deep-dive",
        "name": "Deep dive",
        "duration": "1h",
        "buffer_after": "15m",
        "reminders": ["1h"],
        "pages": ["bob"],
        "form": [{"id": "topic", "label": "Topic", "required": True}],
    }
    saved = save_entity(engine, WS, Section.EVENT_TYPES, data, replaces=None, actor=ADMIN)

    assert saved.id == "deep-dive"
    assert list(load_config(engine, WS).event_types.values())[1] == saved
    assert saved.duration == timedelta(hours=1)


def test_an_admin_saves_a_pool_with_members_managers_and_a_channel(engine: Engine) -> None:
    data = {
        "id": "sales",
        "name": "Sales team",
        "method": "pooled_priority",
        "cycle": "weekly",
        "automatic_correction": False,
        "members": [{"page": "bob", "priority": "highest"}, {"page": "alice", "active": False}],
        "managers": ["U0BOSS"],
        "channel": "C0SALES",
    }
    save_entity(engine, WS, Section.POOLS, data, replaces="sales", actor=ADMIN)

    setup = load_setup(engine, WS, actor=ADMIN)
    pool = entities(setup, Section.POOLS)["sales"]
    assert isinstance(pool, Pool)
    assert pool.method is Method.POOLED_PRIORITY
    assert [(m.page, m.priority, m.active) for m in pool.members] == [
        ("bob", Priority.HIGHEST, True),
        ("alice", Priority.MEDIUM, False),
    ]
    assert pool.managers == ("U0BOSS",)
    assert pool.channel == "C0SALES"


def test_an_admin_saves_a_master_page_with_its_rules(engine: Engine) -> None:
    data = {
        "id": "panel",
        "name": "Panel interview",
        "mode": "dynamic",
        "rules": [
            {"event_type": "intro", "primary": {"page": "alice"}, "additional": [{"page": "bob"}]}
        ],
    }
    master = save_entity(engine, WS, Section.MASTER_PAGES, data, replaces=None, actor=ADMIN)

    assert master.rules[0].primary == SeatRef(page="alice")
    assert master.rules[0].additional == (SeatRef(page="bob"),)
    assert list(load_config(engine, WS).master_pages) == ["demo", "support", "panel"]


def test_bad_hours_are_refused_naming_the_weekday_and_nothing_is_written(engine: Engine) -> None:
    before = load_config(engine, WS)
    hours = {"mon": ["09:00-12:00", "11:00-13:00"], "tue": ["9-5"]}

    with pytest.raises(AdminInvalid) as error:
        save_entity(
            engine, WS, Section.BOOKING_PAGES, _carol(hours=hours), replaces=None, actor=ADMIN
        )

    assert FieldProblem("hours.tue[0]", "'9-5' is not a range like 09:00-17:00") in _problems(error)
    assert load_config(engine, WS) == before


def test_every_bad_field_is_named_at_once(engine: Engine) -> None:
    data = _carol(timezone="Europe/Pari", max_per_day="x", capacity="3")

    with pytest.raises(AdminInvalid) as error:
        save_entity(engine, WS, Section.BOOKING_PAGES, data, replaces=None, actor=ADMIN)

    assert {p.field for p in _problems(error)} == {"timezone", "max_per_day"}


def test_overlapping_hours_are_refused_on_their_day(engine: Engine) -> None:
    data = _carol(hours={"wed": ["09:00-12:00", "11:00-13:00"]})

    with pytest.raises(AdminInvalid) as error:
        save_entity(engine, WS, Section.BOOKING_PAGES, data, replaces=None, actor=ADMIN)

    assert _problems(error) == [FieldProblem("hours.wed", "'09:00-12:00' overlaps '11:00-13:00'")]


def test_a_new_entity_may_not_take_an_existing_id(engine: Engine) -> None:
    with pytest.raises(AdminInvalid) as error:
        save_entity(
            engine, WS, Section.BOOKING_PAGES, _carol(id="alice"), replaces=None, actor=ADMIN
        )

    assert [p.field for p in _problems(error)] == ["id"]


def test_an_unknown_pool_member_is_refused_on_the_member(engine: Engine) -> None:
    data = {"id": "rooms", "name": "Rooms", "method": "pooled", "members": [{"page": "zed"}]}

    with pytest.raises(AdminInvalid) as error:
        save_entity(engine, WS, Section.POOLS, data, replaces="rooms", actor=ADMIN)

    assert _problems(error) == [
        FieldProblem("members[0].page", "unknown booking page 'zed'"),
    ]


def test_a_change_that_breaks_another_entity_names_that_entity(engine: Engine) -> None:
    data = {"id": "intro", "name": "Intro call", "duration": "30m"}

    with pytest.raises(AdminInvalid) as error:
        save_entity(engine, WS, Section.EVENT_TYPES, data, replaces="intro", actor=ADMIN)

    assert _problems(error) == [
        FieldProblem(
            "", "master page 'support' event_types[0]: event type 'intro' lists no booking pages"
        )
    ]


def test_a_non_admin_is_refused_and_nothing_is_written(engine: Engine) -> None:
    before = load_config(engine, WS)

    with pytest.raises(Forbidden):
        save_entity(engine, WS, Section.BOOKING_PAGES, _carol(), replaces=None, actor=ALICE)
    with pytest.raises(Forbidden):
        save_entity(
            engine,
            WS,
            Section.POOLS,
            {"id": "sales", "name": "Mine", "method": "pooled"},
            replaces="sales",
            actor=ALICE,
        )

    assert load_config(engine, WS) == before


def test_a_non_admin_may_not_read_the_setup(engine: Engine) -> None:
    with pytest.raises(Forbidden):
        check_admin(engine, WS, actor=ALICE)
    with pytest.raises(Forbidden):
        load_setup(engine, WS, actor=ALICE)


def test_the_command_line_acts_as_an_admin(engine: Engine) -> None:
    check_admin(engine, WS, actor=CommandLine())

    assert load_setup(engine, WS, actor=CommandLine()).workspace.id == WS


def test_replacing_an_unknown_entity_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFound):
        save_entity(engine, WS, Section.BOOKING_PAGES, _carol(), replaces="zed", actor=ADMIN)


def test_an_unknown_workspace_is_not_found(engine: Engine) -> None:
    with pytest.raises(NotFound):
        check_admin(engine, "T0OTHER", actor=ADMIN)
