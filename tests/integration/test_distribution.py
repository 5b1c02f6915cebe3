"""Flexible round robin in /book-link and "How many people?" in /book-room, end to end.

Signed requests to the real app against the fake Slack Web API. The workspace of
``workspace.yml`` is applied again with the sales pool flexible and Room A seating four.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from bot import ids
from services.booking_reads import upcoming_bookings
from services.config import apply_config
from storage.tables import LinkRow, PageRow
from tests.integration.conftest import ADMIN, CUSTOMER, GUEST, MANAGER, NOW
from tests.integration.driver import as_dict, texts

WORKSPACE = "T0TEST"


def _reconfigure(engine, tmp_path: Path) -> None:
    data = yaml.safe_load(Path(__file__).with_name("workspace.yml").read_text())
    data["pools"][0]["flexible"] = True
    data["booking_pages"][3]["capacity"] = 4
    path = tmp_path / "flexible.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    apply_config(engine, path)


def _member_modal(slack, user=MANAGER):
    slack.command("/book-link", f"<@{GUEST}|gina> demo", user=user)
    return slack.opened_modal(user=user)


def _choose(modal, member: str) -> dict[str, Any]:
    """The member modal submitted with ``member`` chosen in its select."""
    payload = modal.submit_payload()
    block = next(b for b in modal.view["blocks"] if b.get("block_id") == "link:member")
    option = next(o for o in block["element"]["options"] if o["value"] == member)
    payload["view"]["state"]["values"]["link:member"] = {
        "link:member": {"type": "static_select", "selected_option": option}
    }
    return payload


def _link_members(engine) -> list[str | None]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(PageRow.key)
            .select_from(LinkRow)
            .outerjoin(PageRow, PageRow.id == LinkRow.member_page_id)
        ).all()
    return [row[0] for row in rows]


def test_book_link_on_a_flexible_pool_asks_whom_and_the_guest_books_that_member(
    slack, fake, engine, services, tmp_path
):
    _reconfigure(engine, tmp_path)
    modal = _member_modal(slack)

    assert modal.callback_id == "link:member"
    select_block = next(b for b in modal.view["blocks"] if b.get("block_id") == "link:member")
    element = select_block["element"]
    assert [o["value"] for o in element["options"]] == ["alice", "bob"]
    assert element["initial_option"]["value"] == "alice", "next in line is preselected"
    assert fake.calls_to("chat.postMessage") == []

    response = slack.interaction(_choose(modal, "bob"))

    assert response.json()["response_action"] == "update"
    [dm] = [call.args for call in fake.calls_to("chat.postMessage")]
    assert dm["channel"] == GUEST
    sent = as_dict(fake.calls_to("views.update")[-1].args["view"])
    assert f"Sent <@{GUEST}> a one-time link" in texts(sent["blocks"])
    assert _link_members(engine) == ["bob"]

    slack.message_action(dm, "link:open", user=GUEST)
    booking_modal = slack.opened_modal(user=GUEST)
    booking_modal.click_slot(0)
    booking_modal.submit({"book:field:topic": "Flexible"})
    [booking] = upcoming_bookings(services.engine, WORKSPACE, GUEST, now=NOW)
    assert booking.owner == "bob"


def test_the_member_modal_refuses_a_forged_submission_by_someone_who_may_not_link(
    slack, fake, engine, tmp_path
):
    _reconfigure(engine, tmp_path)
    modal = _member_modal(slack)
    forged = _choose(modal, "bob")
    forged["user"]["id"] = CUSTOMER

    response = slack.interaction(forged)

    answer = response.json()
    assert answer["response_action"] == "update"
    assert "only an admin or a manager" in texts(answer["view"]["blocks"])
    assert _link_members(engine) == []
    assert fake.calls_to("chat.postMessage") == []


def test_book_link_by_someone_who_may_not_link_shows_no_members(slack, fake, engine, tmp_path):
    _reconfigure(engine, tmp_path)

    slack.command("/book-link", f"<@{GUEST}|gina> demo", user=CUSTOMER)

    assert fake.calls_to("views.open") == []
    told = slack.last_message()
    assert "only an admin or a manager" in texts(told["blocks"])
    assert "Alice" not in texts(told["blocks"])


def test_book_link_without_a_flexible_pool_sends_the_link_at_once(slack, fake, engine):
    slack.command("/book-link", f"<@{GUEST}|gina> demo", user=ADMIN)

    assert fake.calls_to("views.open") == []
    assert len(fake.calls_to("chat.postMessage")) == 1
    assert _link_members(engine) == [None]


def test_book_room_asks_how_many_people_and_leaves_out_a_room_too_small(
    slack, engine, services, tmp_path
):
    _reconfigure(engine, tmp_path)
    slack.command("/book-room", "", user=CUSTOMER)
    modal = slack.opened_modal(user=CUSTOMER)
    modal.select("book:master_page", "demo")

    assert "How many people?" in modal.text
    assert modal.slot_buttons()

    modal.select("book:attendees", "5")
    assert modal.slot_buttons() == []
    assert "No free times" in modal.text

    modal.select("book:attendees", "4")
    modal.click_slot(0)
    modal.submit({"book:field:topic": "Four of us"})

    assert "You're booked." in modal.text
    [booking] = upcoming_bookings(services.engine, WORKSPACE, CUSTOMER, now=NOW)
    assert booking.attendees == 4
    assert [p.page for p in booking.participants][-1] == "room-a"


def test_rescheduling_a_room_booking_keeps_its_headcount_and_does_not_ask_again(
    slack, fake, engine, services, tmp_path
):
    _reconfigure(engine, tmp_path)
    slack.command("/book-room", "", user=CUSTOMER)
    modal = slack.opened_modal(user=CUSTOMER)
    modal.select("book:master_page", "demo")
    modal.select("book:attendees", "4")
    modal.click_slot(0)
    modal.submit({"book:field:topic": "Four of us"})
    [booking] = upcoming_bookings(services.engine, WORKSPACE, CUSTOMER, now=NOW)

    slack.command("/book-room", "list", user=CUSTOMER)
    slack.message_action(slack.last_message(), f"{ids.MY_RESCHEDULE}0", user=CUSTOMER)
    moving = slack.opened_modal(user=CUSTOMER)

    assert moving.view["title"]["text"] == "Reschedule"
    assert moving.slot_buttons()
    assert "How many people?" not in moving.text
    moving.click_slot(len(moving.slot_buttons()) - 1)
    moving.submit({})
    [moved] = upcoming_bookings(services.engine, WORKSPACE, CUSTOMER, now=NOW)
    assert (moved.id, moved.attendees) == (booking.id, 4)
    assert moved.start != booking.start


def test_book_room_does_not_ask_how_many_people_without_a_room(slack):
    slack.command("/book-room", "", user=CUSTOMER)
    modal = slack.opened_modal(user=CUSTOMER)
    modal.select("book:master_page", "bytime")

    assert modal.slot_buttons()
    assert "How many people?" not in modal.text
