"""The App Home over signed HTTP: bars for managers, bookings for everyone, setup for admins."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot import ids
from engine.model import Method, Pool, PoolMember, by_id
from services.booking import BookingRequest, Customer, book
from services.booking_reads import get_booking
from services.config import load_config
from services.context import SlackUser
from storage.uow import UnitOfWork
from tests.integration.conftest import ADMIN, CUSTOMER, MANAGER, NOW
from tests.integration.driver import as_dict, texts

WS = "T0TEST"


def _open_home(slack, fake, user: str, *, tab: str = "home") -> dict[str, Any] | None:
    before = len(fake.calls_to("views.publish"))
    body = {
        "token": "legacy-token",
        "team_id": slack.team,
        "api_app_id": "A0ROUNDTABLE",
        "type": "event_callback",
        "event_id": f"Ev{slack.next_id()}",
        "event_time": int(time.time()),
        "event": {
            "type": "app_home_opened",
            "user": user,
            "channel": "D0HOME",
            "tab": tab,
            "event_ts": f"{time.time():.6f}",
        },
    }
    response = slack.post(json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status == 200
    calls = fake.calls_to("views.publish")[before:]
    assert all(call.args["user_id"] == user for call in calls)
    return as_dict(calls[-1].args["view"]) if calls else None


def _book(engine) -> None:
    request = BookingRequest(
        workspace_id=WS,
        master_page="demo",
        event_type="intro",
        start=datetime(2026, 3, 3, 10, 0, tzinfo=UTC),
        customer=Customer(slack_user=CUSTOMER, name="Asha Rao", email="asha@example.com"),
        form_answers={"topic": "Pricing"},
    )
    book(engine, request, actor=SlackUser(CUSTOMER), now=NOW)


def test_a_manager_sees_the_distribution_bars_of_their_pool(slack, fake, engine):
    _book(engine)

    home = _open_home(slack, fake, MANAGER)

    assert home is not None
    text = texts(home["blocks"])
    assert "Distribution this cycle" in text
    assert "*Sales*" in text
    assert "Alice Archer " + "█" * 20 + "   1 in   0 out    1 net" in text
    assert "Bob Brown" in text
    assert "*Rooms*" not in text  # Boss manages Sales only
    assert ids.ADMIN_OPEN_MENU not in json.dumps(home)


def test_a_plain_member_sees_only_their_bookings(slack, fake, engine):
    _book(engine)

    home = _open_home(slack, fake, CUSTOMER)

    assert home is not None
    text = texts(home["blocks"])
    assert "Distribution" not in text
    assert "*Intro call* with Alice Archer" in text
    assert "15:30" in text  # 10:00 UTC in the customer's Kolkata zone
    assert ids.ADMIN_OPEN_MENU not in json.dumps(home)


def test_an_admin_sees_every_pool_and_the_setup_button(slack, fake):
    home = _open_home(slack, fake, ADMIN)

    assert home is not None
    text = texts(home["blocks"])
    assert "*Sales*" in text
    assert "*Rooms*" in text
    assert ids.ADMIN_OPEN_MENU in json.dumps(home)


def test_the_messages_tab_publishes_nothing(slack, fake):
    assert _open_home(slack, fake, CUSTOMER, tab="messages") is None


def test_cancel_on_the_home_cancels_and_shows_the_home_again(slack, fake, engine):
    _book(engine)
    home = _open_home(slack, fake, CUSTOMER)
    assert home is not None
    row = next(b for b in home["blocks"] if b.get("block_id", "").startswith(ids.HOME_BOOKING))
    button = row["accessory"]
    payload = {
        **slack._base("block_actions", CUSTOMER),
        "container": {"type": "view", "view_id": "V0HOME"},
        "view": {**home, "id": "V0HOME", "hash": "h1"},
        "actions": [
            {
                "type": "button",
                "action_id": button["action_id"],
                "block_id": row["block_id"],
                "value": button["value"],
                "action_ts": "1700000000.2",
            }
        ],
    }

    slack.interaction(payload)

    assert get_booking(engine, WS, button["value"]).status.value == "cancelled"
    again = as_dict(fake.calls_to("views.publish")[-1].args["view"])
    assert "Cancelled." in texts(again["blocks"])
    assert "Nothing booked" in texts(again["blocks"])


def test_the_setup_button_opens_the_menu_for_an_admin(slack, fake):
    home = _open_home(slack, fake, ADMIN)
    assert home is not None
    payload = {
        **slack._base("block_actions", ADMIN),
        "container": {"type": "view", "view_id": "V0HOME"},
        "view": {**home, "id": "V0HOME", "hash": "h1"},
        "actions": [
            {
                "type": "button",
                "action_id": ids.ADMIN_OPEN_MENU,
                "block_id": ids.ADMIN_OPEN_MENU,
                "value": "menu",
                "action_ts": "1700000000.3",
            }
        ],
    }

    slack.interaction(payload)

    menu = as_dict(fake.calls_to("views.open")[-1].args["view"])
    assert menu["callback_id"] == ids.ADMIN_MENU


def _with_pools(engine, count: int) -> list[str]:
    """Add ``count`` pools of the workspace's members; return every pool's name in order."""
    config = load_config(engine, WS)
    members = tuple(PoolMember(page.id) for page in config.pages.values() if page.slack_user)
    extra = tuple(
        Pool(f"extra{n:03d}", f"Extra {n:03d}", Method.POOLED, members=members)
        for n in range(count)
    )
    with UnitOfWork(engine) as uow:
        uow.config.save(replace(config, pools={**config.pools, **by_id(extra)}), now=NOW)
        uow.commit()
    return [pool.name for pool in (*config.pools.values(), *extra)]


def _pool_names(home: dict[str, Any]) -> list[str]:
    return [
        block["text"]["text"].split("*")[1]
        for block in home["blocks"]
        if block["type"] == "section" and " cycle (" in block["text"]["text"]
    ]


def test_an_admin_of_many_pools_reaches_each_page_of_them_from_the_home(slack, fake, engine):
    names = _with_pools(engine, 120)
    home = _open_home(slack, fake, ADMIN)
    seen: list[str] = []
    while True:
        assert home is not None
        assert len(home["blocks"]) <= 100
        seen += _pool_names(home)
        block = next((b for b in home["blocks"] if b.get("block_id") == ids.HOME_POOLS), None)
        following = [
            e for e in (block or {}).get("elements", []) if e["action_id"].endswith("next")
        ]
        if not following:
            break
        payload = {
            **slack._base("block_actions", ADMIN),
            "container": {"type": "view", "view_id": "V0HOME"},
            "view": {**home, "id": "V0HOME", "hash": "h1"},
            "actions": [
                {
                    "type": "button",
                    "action_id": following[0]["action_id"],
                    "block_id": ids.HOME_POOLS,
                    "value": following[0]["value"],
                    "action_ts": "1700000000.4",
                }
            ],
        }
        before = len(fake.calls_to("views.publish"))
        slack.interaction(payload)
        [call] = fake.calls_to("views.publish")[before:]
        assert call.args["user_id"] == ADMIN
        home = as_dict(call.args["view"])
    assert seen == names
