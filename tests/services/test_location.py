"""Locations (text or URL) of event types and booking pages, kept on the bookings made.

The page that owns a booking wins over the event type; the booking keeps the location it was
made with through reassignment and later edits; Slack messages and the modals show it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine

from bot.blocks.admin import block_id, build_event_type_modal, build_page_modal, parse_admin_form
from bot.blocks.booking import build_booked_view
from bot.blocks.my_bookings import Names
from bot.blocks.outbox import render
from engine.model import PageKind
from services.admin import AdminInvalid, FieldProblem, save_entity
from services.booking_reassign import reassign
from services.config import export_config, load_config
from services.config_file import parse_config
from services.config_problems import ConfigInvalid
from services.config_values import MAX_LOCATION
from services.sections import Section
from storage.uow import UnitOfWork
from tests.blocks.test_admin_blocks import check_view, fill
from tests.services.booking_world import ADMIN, NOW, WS, at, book_at, setup

VIDEO = "https://meet.example.com/alice?pwd=a&b"
ROOM = "Room 4B, 2nd floor"


def located(data: dict[str, Any]) -> None:
    """Alice has her own video link; the chat event type meets in a room."""
    pages = {page["id"]: page for page in data["booking_pages"]}
    pages["alice"]["location"] = VIDEO
    kinds = {kind["id"]: kind for kind in data["event_types"]}
    kinds["chat"]["location"] = ROOM


@pytest.fixture
def world(db_engine: Engine, tmp_path: Path) -> Engine:
    setup(db_engine, tmp_path, located)
    return db_engine


def _stored_location(engine: Engine, booking_id: str) -> str | None:
    with UnitOfWork(engine) as uow:
        booking = uow.bookings.get(WS, booking_id)
    assert booking is not None
    return booking.location


def test_the_owner_pages_location_wins_over_the_event_types(world: Engine) -> None:
    # Round robin: alice gets the first booking, bob the second.
    first = book_at(world, "demo", "chat", at(1, 9))
    second = book_at(world, "demo", "chat", at(1, 10))

    assert (first.owner, first.location) == ("alice", VIDEO)
    assert (second.owner, second.location) == ("bob", ROOM)
    assert _stored_location(world, first.id) == VIDEO
    assert _stored_location(world, second.id) == ROOM


def test_a_booking_without_any_location_has_none(world: Engine) -> None:
    booking = book_at(world, "panel", "meet", at(1, 9))
    assert booking.location is None
    assert _stored_location(world, booking.id) is None


def test_a_booking_keeps_its_location_when_reassigned_and_when_the_setup_changes(
    world: Engine, tmp_path: Path
) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9))
    moved = reassign(world, WS, booking.id, to_page="carol", actor=ADMIN, now=NOW, force=True)
    setup(world, tmp_path)  # the locations are gone from the setup

    assert moved.owner == "carol"
    assert moved.location == VIDEO
    assert _stored_location(world, booking.id) == VIDEO


def test_locations_apply_and_export_back_the_same(world: Engine) -> None:
    config = load_config(world, WS)
    assert config.pages["alice"].location == VIDEO
    assert config.event_types["chat"].location == ROOM

    exported = export_config(world, WS)
    pages = {p["id"]: p for p in yaml.safe_load(exported)["booking_pages"]}
    assert pages["alice"]["location"] == VIDEO
    assert "location" not in pages["bob"]
    assert parse_config(exported, "export.yml") == config


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (
            "x" * (MAX_LOCATION + 1),
            f"is {MAX_LOCATION + 1} characters long; at most {MAX_LOCATION}",
        ),
        ("Room 4\nBcc: x@example.com", "must be one line of text or a URL"),
        ("   ", "must not be empty (leave it out for no location)"),
        (42, "expected text, got 42"),
    ],
)
def test_a_bad_location_is_refused_naming_the_field(value: object, problem: str) -> None:
    text = yaml.safe_dump(
        {
            "workspace": {"id": WS, "timezone": "Europe/London"},
            "event_types": [{"id": "chat", "name": "Chat", "duration": "30m", "location": value}],
        }
    )
    with pytest.raises(ConfigInvalid) as error:
        parse_config(text, "acme.yml")
    assert error.value.lines() == (f"acme.yml: event_types[0].location: {problem}",)


def test_the_admin_modals_show_and_save_the_location(world: Engine) -> None:
    config = load_config(world, WS)
    alice = config.pages["alice"]
    view = build_page_modal(alice, kind=PageKind.MEMBER, default_timezone="Europe/London")
    data = check_view(view)
    (location,) = [b for b in data["blocks"] if b.get("block_id") == block_id("location")]
    assert location["element"]["initial_value"] == VIDEO
    assert location["element"]["max_length"] == MAX_LOCATION

    form = parse_admin_form(fill(view, **{block_id("location"): "  Room 9  "}))
    save_entity(world, WS, form.section, form.data, replaces=form.replaces, actor=ADMIN)
    assert load_config(world, WS).pages["alice"].location == "Room 9"

    chat = config.event_types["chat"]
    assert (
        parse_admin_form(fill(build_event_type_modal(chat, config.pages.values()))).data["location"]
        == ROOM
    )
    cleared = parse_admin_form(
        fill(build_event_type_modal(chat, config.pages.values()), **{block_id("location"): ""})
    )
    save_entity(world, WS, cleared.section, cleared.data, replaces="chat", actor=ADMIN)
    assert load_config(world, WS).event_types["chat"].location is None


def test_a_bad_location_in_a_modal_comes_back_on_its_field(world: Engine) -> None:
    before = load_config(world, WS)
    chat = before.event_types["chat"]
    form = parse_admin_form(
        fill(
            build_event_type_modal(chat, before.pages.values()), **{block_id("location"): "y" * 501}
        )
    )
    with pytest.raises(AdminInvalid) as error:
        save_entity(world, WS, Section.EVENT_TYPES, form.data, replaces="chat", actor=ADMIN)
    assert list(error.value.problems) == [
        FieldProblem("location", f"is 501 characters long; at most {MAX_LOCATION}")
    ]
    assert load_config(world, WS) == before


def test_slack_messages_and_the_booking_modal_say_where(world: Engine) -> None:
    book_at(world, "demo", "chat", at(1, 9))  # alice's turn
    booking = book_at(world, "demo", "chat", at(1, 10))  # bob's: the event type's room
    assert booking.owner == "bob"
    config = load_config(world, WS)
    with UnitOfWork(world) as uow:
        messages = uow.outbox.for_booking(WS, booking.id)
    assert {"booked", "reminder", "manager_notice"} <= {m.kind for m in messages}
    for message in messages:
        assert f"*Where:* {ROOM}" in json.dumps(render(message, booking, config, NOW).as_kwargs())

    hostile = replace(booking, location="<https://evil.example|click> & more")
    (confirmation,) = [m for m in messages if m.kind == "booked" and m.recipient == "U0CUST"]
    text = json.dumps(render(confirmation, hostile, config, NOW).as_kwargs())
    assert "&lt;https://evil.example|click&gt; &amp; more" in text

    names = Names({"bob": "Bob"}, {"chat": "Chat"}, {"demo": "Demo"})
    assert f"at {ROOM}" in json.dumps(build_booked_view(booking, names, "Europe/London").to_dict())
