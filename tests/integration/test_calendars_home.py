"""Calendars on the App Home over signed HTTP: connect (own page, admin any page), disconnect."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot import ids
from bot.blocks.calendars import field_id
from services.calendars import list_connections
from services.context import CommandLine
from tests.calendars.servers import FeedServer, feed_server
from tests.integration.conftest import ADMIN, CUSTOMER
from tests.integration.driver import as_dict, texts
from tests.integration.test_home import _open_home

WS = "T0TEST"
ALICE, BOB = "U0ALICE", "U0BOB"
GOOGLE = (Path(__file__).parents[1] / "calendars" / "ics" / "google.ics").read_bytes()


@pytest.fixture(autouse=True)
def december(clock, monkeypatch) -> None:
    clock.now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    monkeypatch.setenv("ROUNDTABLE_SECRET", "integration-secret")


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with feed_server() as server:
        yield server


def _click(slack, fake, user: str, home: dict[str, Any], action_id: str, value: str) -> None:
    payload = {
        **slack._base("block_actions", user),
        "container": {"type": "view", "view_id": "V0HOME"},
        "view": {**home, "id": "V0HOME", "hash": "h1"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": value,
                "action_ts": "1700000000.2",
            }
        ],
    }
    slack.interaction(payload)


def _buttons(view: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    found = []
    for block in view["blocks"]:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if str(element.get("action_id", "")).startswith(prefix):
                found.append(element)
    return found


def _submit(slack, user: str, modal: dict[str, Any], **answers: Any):
    values: dict[str, Any] = {}
    for name in ("url", "username", "password"):
        values[field_id(name)] = {
            field_id(name): {"type": "plain_text_input", "value": answers.get(name)}
        }
    kind = {"value": answers.get("kind", "ics")}
    values[field_id("kind")] = {
        field_id("kind"): {"type": "radio_buttons", "selected_option": kind}
    }
    values[field_id("write")] = {field_id("write"): {"type": "checkboxes", "selected_options": []}}
    if "page" in answers:
        values[field_id("page")] = {
            field_id("page"): {
                "type": "static_select",
                "selected_option": {"value": answers["page"]},
            }
        }
    payload = {
        **slack._base("view_submission", user),
        "view": {
            **modal,
            "private_metadata": answers.get("metadata", modal.get("private_metadata", "")),
            "id": "V0MODAL",
            "hash": "h-submit",
            "team_id": slack.team,
            "state": {"values": values},
        },
        "response_urls": [],
    }
    return slack.interaction(payload)


def _open_connect(slack, fake, user: str, value: str) -> dict[str, Any]:
    home = _open_home(slack, fake, user)
    assert home is not None
    button = next(b for b in _buttons(home, ids.CALENDAR_CONNECT) if b["value"] == value)
    _click(slack, fake, user, home, button["action_id"], value)
    return as_dict(fake.calls_to("views.open")[-1].args["view"])


def test_a_member_sees_their_pages_calendars_and_a_guest_sees_none(slack, fake) -> None:
    home = _open_home(slack, fake, ALICE)
    assert home is not None
    assert "Calendars" in texts(home["blocks"])
    assert [b["value"] for b in _buttons(home, ids.CALENDAR_CONNECT)] == ["alice"]

    other = _open_home(slack, fake, CUSTOMER)
    assert other is not None
    assert _buttons(other, ids.CALENDAR_CONNECT) == []


def test_a_member_connects_a_feed_and_the_home_shows_its_state(slack, fake, engine, feeds) -> None:
    url = feeds.serve("/private-abc/basic.ics", GOOGLE)
    modal = _open_connect(slack, fake, ALICE, "alice")
    assert modal["callback_id"] == ids.CALENDAR_VIEW

    response = _submit(slack, ALICE, modal, url=url)
    slack.executor.drain()

    assert response.status == 200
    [connection] = list_connections(engine, WS, actor=CommandLine())
    assert (connection.pages, connection.busy, connection.last_error) == (("alice",), 4, None)
    home = as_dict(fake.calls_to("views.publish")[-1].args["view"])
    text = texts(home["blocks"])
    assert "Calendar connected: 4 busy blocks read." in text
    assert "4 busy blocks · last synced 6 Dec 12:00" in text
    assert "private-abc" not in json.dumps(home)


def test_bad_input_comes_back_on_its_field_and_stores_nothing(slack, fake, engine) -> None:
    modal = _open_connect(slack, fake, ALICE, "alice")

    bad_url = _submit(slack, ALICE, modal, url="not a url")
    no_password = _submit(
        slack, ALICE, modal, url="https://dav.example.com/c/", kind="caldav", username="a"
    )

    assert list(bad_url.json()["errors"]) == [field_id("url")]
    assert list(no_password.json()["errors"]) == [field_id("password")]
    assert list_connections(engine, WS, actor=CommandLine()) == []


def test_a_forged_submission_for_someone_elses_page_is_refused(slack, fake, engine) -> None:
    modal = _open_connect(slack, fake, BOB, "bob")

    response = _submit(slack, BOB, modal, url="https://x.example.com/a.ics", metadata="alice")

    assert response.json()["response_action"] == "update"
    assert list_connections(engine, WS, actor=CommandLine()) == []


def test_an_admin_connects_a_room_calendar_and_a_member_cannot_open_that(
    slack, fake, engine, feeds
) -> None:
    url = feeds.serve("/room.ics", GOOGLE)
    modal = _open_connect(slack, fake, ADMIN, "*")
    assert field_id("page") in json.dumps(modal)

    _submit(slack, ADMIN, modal, url=url, page="room-a")
    slack.executor.drain()

    [connection] = list_connections(engine, WS, actor=CommandLine())
    assert (connection.pages, connection.busy) == (("room-a",), 4)
    home = _open_home(slack, fake, ALICE)
    assert home is not None
    _click(slack, fake, ALICE, home, f"{ids.CALENDAR_CONNECT}any", "*")
    refusal = as_dict(fake.calls_to("views.open")[-1].args["view"])
    assert refusal.get("callback_id") != ids.CALENDAR_VIEW
    assert "your own booking page only" in texts(refusal["blocks"])


def test_disconnect_checks_the_role_then_removes(slack, fake, engine, feeds) -> None:
    modal = _open_connect(slack, fake, ALICE, "alice")
    _submit(slack, ALICE, modal, url=feeds.serve("/a.ics", GOOGLE))
    slack.executor.drain()
    [connection] = list_connections(engine, WS, actor=CommandLine())
    home = _open_home(slack, fake, BOB)
    assert home is not None

    _click(slack, fake, BOB, home, f"{ids.CALENDAR_DISCONNECT}0", connection.id)
    slack.executor.drain()
    assert len(list_connections(engine, WS, actor=CommandLine())) == 1
    assert "only an admin or the page's own member" in texts(
        as_dict(fake.calls_to("views.publish")[-1].args["view"])["blocks"]
    )

    mine = _open_home(slack, fake, ALICE)
    assert mine is not None
    [button] = _buttons(mine, ids.CALENDAR_DISCONNECT)
    _click(slack, fake, ALICE, mine, button["action_id"], button["value"])
    slack.executor.drain()
    assert list_connections(engine, WS, actor=CommandLine()) == []
