"""Time off from the App Home over signed HTTP: the button, the modal, Remove, forged requests."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot import ids
from services.context import CommandLine
from services.timeoff import add_time_off, list_time_off
from tests.integration.conftest import ADMIN, CUSTOMER, NOW
from tests.integration.driver import as_dict, texts
from tests.integration.test_home import WS, _open_home

ALICE = "U0ALICE"
BOB = "U0BOB"


def _submit(slack, fake, user: str, page: str, first: str, last: str, reason: str = "") -> Any:
    """Open the modal from the Home as ``user`` and submit it with these values."""
    home = _open_home(slack, fake, user)
    assert home is not None
    slack.interaction(
        {
            **slack._base("block_actions", user),
            "container": {"type": "view", "view_id": "V0HOME"},
            "view": {**home, "id": "V0HOME", "hash": "h1"},
            "actions": [
                {
                    "type": "button",
                    "action_id": ids.TIME_OFF_OPEN,
                    "block_id": ids.TIME_OFF_OPEN,
                    "value": "add",
                    "action_ts": "1700000000.4",
                }
            ],
        }
    )
    modal = as_dict(fake.calls_to("views.open")[-1].args["view"])
    assert modal["callback_id"] == ids.TIME_OFF_VIEW
    option = {"text": {"type": "plain_text", "text": page}, "value": page}
    values = {
        ids.TIME_OFF_PAGE: {
            ids.TIME_OFF_PAGE: {"type": "static_select", "selected_option": option}
        },
        ids.TIME_OFF_FROM: {ids.TIME_OFF_FROM: {"type": "datepicker", "selected_date": first}},
        ids.TIME_OFF_TO: {ids.TIME_OFF_TO: {"type": "datepicker", "selected_date": last}},
        ids.TIME_OFF_REASON: {ids.TIME_OFF_REASON: {"type": "plain_text_input", "value": reason}},
    }
    response = slack.interaction(
        {
            **slack._base("view_submission", user),
            "view": {**modal, "id": "V0MODAL", "hash": "h2", "state": {"values": values}},
            "response_urls": [],
        }
    )
    assert response.status == 200
    return modal, response.json() if response.body.strip() else None


def _options(modal: dict[str, Any]) -> list[str]:
    block = next(b for b in modal["blocks"] if b.get("block_id") == ids.TIME_OFF_PAGE)
    return [option["value"] for option in block["element"]["options"]]


def test_a_member_adds_time_off_to_their_own_page_from_the_home(slack, fake, engine):
    modal, answer = _submit(slack, fake, ALICE, "alice", "2026-03-09", "2026-03-13", "Ski trip")

    assert _options(modal) == ["alice"]
    assert answer is None  # closed: saved
    [made] = list_time_off(engine, WS, actor=CommandLine())
    assert (made.page, made.first_day, made.last_day, made.reason) == (
        "alice",
        date(2026, 3, 9),
        date(2026, 3, 13),
        "Ski trip",
    )
    home = as_dict(fake.calls_to("views.publish")[-1].args["view"])
    assert "Time off added." in texts(home["blocks"])
    assert "*Mon 9 Mar 2026 – Fri 13 Mar 2026* · Ski trip" in texts(home["blocks"])


def test_an_admin_may_choose_any_page_their_own_first(slack, fake, engine):
    modal, answer = _submit(slack, fake, ADMIN, "room-a", "2026-03-10", "2026-03-10")

    assert set(_options(modal)) == {"alice", "bob", "carol", "room-a"}
    assert answer is None
    assert [t.page for t in list_time_off(engine, WS, actor=CommandLine())] == ["room-a"]


def test_reversed_days_come_back_on_the_last_day_field(slack, fake, engine):
    _, answer = _submit(slack, fake, ALICE, "alice", "2026-03-13", "2026-03-09")

    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [ids.TIME_OFF_TO]
    assert list_time_off(engine, WS, actor=CommandLine()) == []


def test_a_forged_submission_for_anothers_page_is_refused_on_the_page_field(slack, fake, engine):
    _, answer = _submit(slack, fake, ALICE, "bob", "2026-03-09", "2026-03-09")

    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [ids.TIME_OFF_PAGE]
    assert "only an admin or the page's own member" in answer["errors"][ids.TIME_OFF_PAGE]
    assert list_time_off(engine, WS, actor=CommandLine()) == []


def test_remove_on_the_home_removes_only_for_whoever_keeps_the_page(slack, fake, engine):
    add_time_off(
        engine,
        WS,
        "alice",
        date(2026, 3, 9),
        date(2026, 3, 9),
        reason=None,
        actor=CommandLine(),
        now=NOW,
    )
    home = _open_home(slack, fake, ALICE)
    assert home is not None
    row = next(b for b in home["blocks"] if b.get("block_id", "").startswith(ids.HOME_TIME_OFF))
    button = row["accessory"]

    def press(user: str) -> str:
        slack.interaction(
            {
                **slack._base("block_actions", user),
                "container": {"type": "view", "view_id": "V0HOME"},
                "view": {**home, "id": "V0HOME", "hash": "h1"},
                "actions": [
                    {
                        "type": "button",
                        "action_id": button["action_id"],
                        "block_id": row["block_id"],
                        "value": button["value"],
                        "action_ts": "1700000000.5",
                    }
                ],
            }
        )
        return texts(as_dict(fake.calls_to("views.publish")[-1].args["view"])["blocks"])

    assert "only an admin or the page's own member" in press(BOB)
    assert len(list_time_off(engine, WS, actor=CommandLine())) == 1
    assert "Time off removed" in press(ALICE)
    assert list_time_off(engine, WS, actor=CommandLine()) == []


def test_someone_without_a_page_sees_no_time_off(slack, fake):
    home = _open_home(slack, fake, CUSTOMER)
    assert home is not None
    assert ids.TIME_OFF_OPEN not in json.dumps(home)
    assert "Time off" not in texts(home["blocks"])
