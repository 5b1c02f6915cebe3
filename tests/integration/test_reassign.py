"""Reassign and Cancel from a pool's manager notice, over signed HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot import ids
from bot.blocks.notifications import build_manager_notice
from bot.blocks.outbox import booking_facts
from engine.records import Booking
from services.booking import BookingRequest, Customer, book
from services.booking_reads import get_booking
from services.config import load_config
from services.context import SlackUser
from storage.uow import UnitOfWork
from tests.blocks.test_admin_blocks import fill, option
from tests.integration.conftest import CUSTOMER, MANAGER, NOW
from tests.integration.driver import CHANNEL, as_dict, texts

WS = "T0TEST"
START = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # Tuesday, 10:00 in London


def _book(engine) -> Booking:
    request = BookingRequest(
        workspace_id=WS,
        master_page="demo",
        event_type="intro",
        start=START,
        customer=Customer(slack_user=CUSTOMER, name="Asha Rao", email="asha@example.com"),
        form_answers={"topic": "Pricing"},
    )
    return book(engine, request, actor=SlackUser(CUSTOMER), now=NOW)


def _notice(engine, booking: Booking) -> dict[str, Any]:
    facts = booking_facts(booking, load_config(engine, WS))
    return build_manager_notice(facts, pool="Sales").as_kwargs()


def _open(slack, fake, engine, *, user: str) -> tuple[Booking, dict[str, Any] | None]:
    booking = _book(engine)
    slack.message_action(_notice(engine, booking), ids.REASSIGN_BOOKING, user=user)
    opened = fake.calls_to("views.open")
    return booking, as_dict(opened[-1].args["view"]) if opened else None


def _submit(slack, view: dict[str, Any], *, user: str, **answers: Any):
    payload = {
        **slack._base("view_submission", user),
        "view": {**fill(view, **answers), "id": "V0RE", "hash": "h", "team_id": slack.team},
        "response_urls": [],
    }
    return slack.interaction(payload)


def test_a_manager_moves_the_booking_keeping_its_time_and_the_notice_follows(slack, fake, engine):
    booking, modal = _open(slack, fake, engine, user=MANAGER)
    assert booking.owner == "alice"
    assert modal is not None
    assert "Bob Brown" in texts(modal["blocks"])

    response = _submit(
        slack,
        modal,
        user=MANAGER,
        **{ids.REASSIGN_TARGET: option("bob"), ids.REASSIGN_REASON: "Alice is out"},
    )

    assert response.status == 200
    assert not response.body.strip()
    moved = get_booking(engine, WS, booking.id)
    assert moved.owner == "bob"
    assert (moved.start, moved.end) == (booking.start, booking.end)
    update = slack.last_message("chat.update")
    assert (update["channel"], update["ts"]) == (CHANNEL, "1700000000.000001")
    assert "<@U0BOB>" in texts(update["blocks"])
    with UnitOfWork(engine) as uow:
        audit = uow.audit.for_booking(WS, booking.id)
    assert [(a.from_page, a.to_page, a.by, a.reason) for a in audit] == [
        ("alice", "bob", MANAGER, "Alice is out")
    ]


def test_a_seat_panel_modal_can_move_the_room_seat_instead(slack, fake, engine):
    _, modal = _open(slack, fake, engine, user=MANAGER)
    assert modal is not None

    seats = next(b for b in modal["blocks"] if b.get("block_id") == ids.REASSIGN_SEAT)

    assert [o["value"] for o in seats["element"]["options"]] == ["alice", "room-a"]


def test_a_target_outside_the_pool_is_refused_on_the_field(slack, fake, engine):
    # Carol is not in the Sales pool: the move is refused on the target field.
    booking, modal = _open(slack, fake, engine, user=MANAGER)
    assert modal is not None

    response = _submit(slack, modal, user=MANAGER, **{ids.REASSIGN_TARGET: option("carol")})

    answer = response.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [ids.REASSIGN_TARGET]
    assert get_booking(engine, WS, booking.id).owner == "alice"
    assert fake.calls_to("chat.update") == []


def test_a_busy_target_is_marked_and_refused_on_the_field(slack, fake, engine):
    booking, _ = _open(slack, fake, engine, user=MANAGER)
    other = BookingRequest(
        workspace_id=WS,
        master_page="support",
        event_type="intro",
        start=START,
        customer=Customer(slack_user="U0GINA", name="Gina", email="gina@example.com"),
        form_answers={"topic": "Other"},
    )
    assert book(engine, other, actor=SlackUser("U0GINA"), now=NOW).owner == "bob"
    slack.message_action(_notice(engine, booking), ids.REASSIGN_BOOKING, user=MANAGER)
    modal = as_dict(fake.calls_to("views.open")[-1].args["view"])
    assert "Bob Brown (busy)" in texts(modal["blocks"])

    response = _submit(slack, modal, user=MANAGER, **{ids.REASSIGN_TARGET: option("bob")})

    answer = response.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [ids.REASSIGN_TARGET]
    assert get_booking(engine, WS, booking.id).owner == "alice"


def test_a_non_manager_clicking_reassign_is_refused_and_nothing_opens(slack, fake, engine):
    booking, modal = _open(slack, fake, engine, user=CUSTOMER)

    assert modal is None
    told = slack.last_message()
    assert "only an admin or a manager" in texts(told["blocks"])
    assert get_booking(engine, WS, booking.id).owner == "alice"


def test_a_forged_reassign_submission_from_a_non_manager_changes_nothing(slack, fake, engine):
    booking, modal = _open(slack, fake, engine, user=MANAGER)
    assert modal is not None

    response = _submit(slack, modal, user=CUSTOMER, **{ids.REASSIGN_TARGET: option("bob")})

    assert response.json()["response_action"] == "errors"
    assert get_booking(engine, WS, booking.id).owner == "alice"


def test_cancel_on_the_notice_by_a_manager_who_may_not_cancel_is_told_why(slack, fake, engine):
    booking = _book(engine)

    slack.message_action(_notice(engine, booking), ids.CANCEL_BOOKING, user=MANAGER)

    assert "only the customer, the owner or an admin" in texts(slack.last_message()["blocks"])
    assert get_booking(engine, WS, booking.id).status.value == "confirmed"


def test_cancel_on_the_notice_by_an_admin_cancels_and_drops_the_buttons(slack, fake, engine):
    booking = _book(engine)

    slack.message_action(_notice(engine, booking), ids.CANCEL_BOOKING, user="U0ADMIN")

    assert get_booking(engine, WS, booking.id).status.value == "cancelled"
    update = slack.last_message("chat.update")
    assert ids.REASSIGN_BOOKING not in str(update["blocks"])


def test_choosing_the_room_seat_lists_the_rooms_that_could_take_it(slack, fake, engine):
    _, modal = _open(slack, fake, engine, user=MANAGER)
    assert modal is not None
    seats = next(b for b in modal["blocks"] if b.get("block_id") == ids.REASSIGN_SEAT)
    room = next(o for o in seats["element"]["options"] if o["value"] == "room-a")
    payload = {
        **slack._base("block_actions", MANAGER),
        "container": {"type": "view", "view_id": "V0RE"},
        "view": {**fill(modal, **{ids.REASSIGN_SEAT: room}), "id": "V0RE", "hash": "h7"},
        "actions": [
            {
                "type": "static_select",
                "action_id": ids.REASSIGN_SEAT,
                "block_id": ids.REASSIGN_SEAT,
                "selected_option": room,
                "action_ts": "1700000000.4",
            }
        ],
    }

    slack.interaction(payload)

    update = fake.calls_to("views.update")[-1].args
    assert (update["view_id"], update["hash"]) == ("V0RE", "h7")
    view = as_dict(update["view"])
    assert "Nobody else can take this seat" in texts(view["blocks"])
    assert json.loads(view["private_metadata"])["seat"] == "room-a"
