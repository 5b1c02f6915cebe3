"""/book-admin over signed HTTP: admins open and save; anyone else is refused, writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import ids
from bot.blocks.admin import block_id
from services.config import load_config
from tests.blocks.test_admin_blocks import fill, option
from tests.integration.conftest import ADMIN, CUSTOMER, MANAGER
from tests.integration.driver import as_dict, find_element, texts

WS = "T0TEST"


def _open_menu(slack, fake) -> dict[str, Any]:
    slack.command(ids.BOOK_ADMIN_COMMAND, user=ADMIN)
    return as_dict(fake.calls_to("views.open")[-1].args["view"])


def _click_in_modal(slack, view: dict[str, Any], action_id: str, *, user: str, **extra: Any):
    block, element = find_element(view["blocks"], action_id)
    action = {
        "type": element["type"],
        "action_id": action_id,
        "block_id": block,
        "action_ts": "1700000000.1",
        **extra,
    }
    if "value" in element:
        action["value"] = element["value"]
    payload = {
        **slack._base("block_actions", user),
        "container": {"type": "view", "view_id": "V0MENU"},
        "view": {**view, "id": "V0MENU", "root_view_id": "V0MENU", "hash": "h1"},
        "actions": [action],
    }
    return slack.interaction(payload)


def _submit(slack, view: dict[str, Any], *, user: str, **answers: Any):
    filled = fill(view, **answers)
    payload = {
        **slack._base("view_submission", user),
        "view": {
            **filled,
            "id": "V0EDIT",
            "root_view_id": "V0MENU",
            "hash": "h2",
            "team_id": slack.team,
        },
        "response_urls": [],
    }
    return slack.interaction(payload)


def _new_person_modal(slack, fake) -> dict[str, Any]:
    menu = _open_menu(slack, fake)
    _click_in_modal(slack, menu, ids.ADMIN_NEW + "member", user=ADMIN)
    return as_dict(fake.calls_to("views.push")[-1].args["view"])


def _carol_answers(**changes: Any) -> dict[str, Any]:
    answers = {
        block_id("id"): "dave",
        block_id("name"): "Dave Doe",
        block_id("slack_user"): "U0DAVE",
        block_id("hours.mon"): "09:00-12:00, 13:00-17:00",
    }
    return answers | changes


def test_book_admin_opens_the_setup_menu_for_an_admin(slack, fake):
    menu = _open_menu(slack, fake)

    assert menu["callback_id"] == ids.ADMIN_MENU
    assert "Booking pages" in texts(menu["blocks"])
    assert "Sales (sales)" in json.dumps(menu)


def test_book_admin_refuses_a_non_admin_with_an_ephemeral_message(slack, fake):
    slack.command(ids.BOOK_ADMIN_COMMAND, user=CUSTOMER)

    assert fake.calls_to("views.open") == []
    answer = slack.last_message()
    assert "Only the workspace's admins" in texts(answer["blocks"])


def test_an_expired_trigger_on_book_admin_is_told_in_words(slack, fake):
    fake.fail_next("views.open", error="expired_trigger_id")

    response = slack.command(ids.BOOK_ADMIN_COMMAND, user=ADMIN)

    assert response.status == 200
    assert "took Slack too long" in slack.last_message()["text"]


def test_an_admin_creates_a_person_from_the_menu(slack, fake, engine):
    modal = _new_person_modal(slack, fake)

    response = _submit(slack, modal, user=ADMIN, **_carol_answers())

    assert response.status == 200
    assert not response.body.strip()
    dave = load_config(engine, WS).pages["dave"]
    assert dave.slack_user == "U0DAVE"
    assert len(dave.hours[0]) == 2
    menu = as_dict(fake.calls_to("views.update")[-1].args["view"])
    assert fake.calls_to("views.update")[-1].args["view_id"] == "V0MENU"
    assert "Saved booking page *Dave Doe*" in texts(menu["blocks"])


def test_an_invalid_hours_field_returns_errors_on_that_block_and_saves_nothing(slack, fake, engine):
    before = load_config(engine, WS)
    modal = _new_person_modal(slack, fake)

    response = _submit(
        slack, modal, user=ADMIN, **_carol_answers(**{block_id("hours.tue"): "9 to 5"})
    )

    assert response.json() == {
        "response_action": "errors",
        "errors": {block_id("hours.tue"): "'9 to 5' is not a range like 09:00-17:00"},
    }
    assert load_config(engine, WS) == before


def test_an_edit_keeps_the_id_and_changes_the_pool(slack, fake, engine):
    menu = _open_menu(slack, fake)
    _click_in_modal(
        slack,
        menu,
        ids.ADMIN_PICK + "pools",
        user=ADMIN,
        selected_option=option("pools/sales"),
    )
    modal = as_dict(fake.calls_to("views.push")[-1].args["view"])

    _submit(
        slack,
        modal,
        user=ADMIN,
        **{block_id("method"): option("pooled"), block_id("members.high"): [option("carol")]},
    )

    sales = load_config(engine, WS).pools["sales"]
    assert sales.method.value == "pooled"
    assert [m.page for m in sales.members] == ["alice", "bob", "carol"]


@pytest.mark.parametrize("callback_id", [ids.ADMIN_EDIT, ids.ADMIN_MENU, "admin:anything"])
def test_a_forged_admin_submission_from_a_non_admin_writes_nothing(
    slack, fake, engine, callback_id
):
    before = load_config(engine, WS)
    modal = _new_person_modal(slack, fake)

    response = _submit(
        slack, {**modal, "callback_id": callback_id}, user=MANAGER, **_carol_answers()
    )

    answer = response.json()
    assert answer["response_action"] == "update"
    assert "Only the workspace's admins" in texts(answer["view"]["blocks"])
    assert load_config(engine, WS) == before


def test_a_non_admin_clicking_an_admin_button_sees_a_refusal(slack, fake):
    menu = _open_menu(slack, fake)

    _click_in_modal(slack, menu, ids.ADMIN_NEW + "member", user=CUSTOMER)

    pushed = as_dict(fake.calls_to("views.push")[-1].args["view"])
    assert "Only the workspace's admins" in texts(pushed["blocks"])


def test_external_selects_answer_admins_only(slack, fake):
    payload = {
        **slack._base("block_suggestion", ADMIN),
        "action_id": block_id("pages"),
        "block_id": block_id("pages"),
        "value": "ali",
        "container": {"type": "view", "view_id": "V0EDIT"},
        "view": {"id": "V0EDIT", "callback_id": ids.ADMIN_EDIT, "type": "modal"},
    }

    admin = slack.interaction(payload).json()
    other = slack.interaction({**payload, **slack._base("block_suggestion", CUSTOMER)}).json()

    assert [o["value"] for o in admin["options"]] == ["alice"]
    assert other == {"options": []}
