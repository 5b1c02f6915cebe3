"""Reschedule and No-show in Slack, over signed HTTP against the fake Web API.

Asha (Asia/Kolkata, UTC+5:30) books a demo on Tuesday 3 March 2026 at 10:00 London time
(15:30 for her); the clock stands at Monday 2 March 2026, 08:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot import ids
from bot.blocks.notifications import build_manager_notice
from bot.blocks.outbox import booking_facts, render
from engine.records import Booking
from services.booking import BookingRequest, Customer, book
from services.booking_reads import get_booking
from services.config import load_config
from services.context import SlackUser
from storage.uow import UnitOfWork
from tests.integration.conftest import ADMIN, CUSTOMER, MANAGER, NOW
from tests.integration.driver import as_dict, texts

WS = "T0TEST"
START = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
MALLORY = "U0MALLORY"


def _book(engine) -> Booking:
    request = BookingRequest(
        workspace_id=WS,
        master_page="demo",
        event_type="intro",
        start=START,
        customer=Customer(slack_user=CUSTOMER, name="Asha Rao", email="asha@example.com"),
        form_answers={"topic": "Pricing"},
        tz="Asia/Kolkata",
    )
    return book(engine, request, actor=SlackUser(CUSTOMER), now=NOW)


def _listed(slack, user: str = CUSTOMER) -> dict[str, Any]:
    slack.command("/book-room", "list", user=user)
    return slack.last_message()


def _open_from_list(slack, fake, user: str = CUSTOMER):
    listed = _listed(slack)
    slack.message_action(listed, f"{ids.MY_RESCHEDULE}0", user=user)
    return fake.calls_to("views.open")


def test_reschedule_from_the_list_moves_the_booking_and_keeps_its_id(slack, fake, engine):
    booking = _book(engine)

    assert _open_from_list(slack, fake)
    modal = slack.opened_modal(user=CUSTOMER)
    assert modal.view["title"]["text"] == "Reschedule"
    assert "Free times on *Tue 3 Mar 2026* (Asia/Kolkata)" in modal.text
    labels = [b["text"]["text"] for b in modal.slot_buttons()]
    assert "15:30–16:00" in labels  # its own time, free once the booking is left out
    modal.click(
        next(b["action_id"] for b in modal.slot_buttons() if b["text"]["text"] == "16:30–17:00")
    )
    assert modal.callback_id == "book:form"
    assert "Tue 3 Mar 2026, 16:30–17:00 (Asia/Kolkata)" in modal.text

    response = modal.submit()

    assert response.json()["response_action"] == "update"
    assert "Rescheduled." in modal.text
    moved = get_booking(engine, WS, booking.id)
    assert (moved.id, moved.start) == (booking.id, START + timedelta(hours=1))
    with UnitOfWork(engine) as uow:
        told = [m for m in uow.outbox.for_booking(WS, booking.id) if m.kind == "rescheduled"]
    assert CUSTOMER in {m.recipient for m in told}


def test_the_list_draws_reschedule_only_for_whoever_may_and_only_before_the_start(
    slack, fake, engine, clock
):
    booking = _book(engine)
    assert booking.owner == "alice"

    assert f"{ids.MY_RESCHEDULE}0" in str(_listed(slack)["blocks"])
    assert f"{ids.MY_RESCHEDULE}0" in str(_listed(slack, user="U0ALICE")["blocks"])  # the owner
    clock.now = START + timedelta(minutes=5)
    started = _listed(slack)
    assert f"{ids.MY_CANCEL}0" in str(started["blocks"])
    assert f"{ids.MY_RESCHEDULE}0" not in str(started["blocks"])


def test_someone_else_pressing_reschedule_is_told_why_and_no_modal_opens(slack, fake, engine):
    booking = _book(engine)

    assert _open_from_list(slack, fake, user=MALLORY) == []

    assert "only the customer, the owner or an admin may reschedule" in texts(
        slack.last_message()["blocks"]
    )
    assert get_booking(engine, WS, booking.id).start == START


def test_a_forged_move_submission_is_refused_and_changes_nothing(slack, fake, engine):
    booking = _book(engine)
    _open_from_list(slack, fake)
    modal = slack.opened_modal(user=CUSTOMER)
    modal.click(modal.slot_buttons()[-1]["action_id"])
    modal.user = MALLORY

    response = modal.submit()

    assert response.json()["response_action"] == "update"
    assert "only the customer, the owner or an admin may reschedule" in modal.text
    assert get_booking(engine, WS, booking.id).start == START


def test_a_time_taken_meanwhile_brings_fresh_times(slack, fake, engine):
    booking = _book(engine)
    _open_from_list(slack, fake)
    modal = slack.opened_modal(user=CUSTOMER)
    modal.click(
        next(b["action_id"] for b in modal.slot_buttons() if b["text"]["text"] == "16:30–17:00")
    )
    other = BookingRequest(
        workspace_id=WS,
        master_page="demo",
        event_type="intro",
        start=START + timedelta(hours=1),
        customer=Customer(slack_user="U0GINA", name="Gina", email="gina@example.com"),
        form_answers={"topic": "Mine now"},
    )
    book(engine, other, actor=SlackUser("U0GINA"), now=NOW)  # takes the only room then

    modal.submit()

    assert "That time was just taken" in modal.text
    assert modal.callback_id == "book:slots"
    assert get_booking(engine, WS, booking.id).start == START


def test_a_confirmation_carries_reschedule_for_the_customer_and_it_opens_the_modal(
    slack, fake, engine
):
    booking = _book(engine)
    config = load_config(engine, WS)
    with UnitOfWork(engine) as uow:
        rows = [m for m in uow.outbox.for_booking(WS, booking.id) if m.kind == "booked"]
    rendered = {m.recipient: render(m, booking, config, NOW).as_kwargs() for m in rows}
    assert ids.RESCHEDULE_BOOKING in str(rendered[CUSTOMER]["blocks"])
    assert ids.RESCHEDULE_BOOKING in str(rendered["U0ALICE"]["blocks"])  # the owner

    slack.message_action(rendered[CUSTOMER], ids.RESCHEDULE_BOOKING, user=CUSTOMER)

    modal = slack.opened_modal(user=CUSTOMER)
    assert modal.view["title"]["text"] == "Reschedule"
    assert modal.slot_buttons()


def _notice(engine, booking: Booking, *, started: bool) -> dict[str, Any]:
    facts = booking_facts(booking, load_config(engine, WS))
    return build_manager_notice(facts, pool="Sales", started=started).as_kwargs()


def test_a_manager_marks_a_no_show_once_the_meeting_started_and_the_notice_says_so(
    slack, fake, engine, clock
):
    booking = _book(engine)
    assert ids.NO_SHOW_BOOKING not in str(_notice(engine, booking, started=False)["blocks"])
    clock.now = START + timedelta(minutes=10)

    slack.message_action(_notice(engine, booking, started=True), ids.NO_SHOW_BOOKING, user=MANAGER)

    assert get_booking(engine, WS, booking.id).status.value == "no_show"
    update = slack.last_message("chat.update")
    assert "marked a no-show" in texts(update["blocks"])
    assert ids.REASSIGN_BOOKING not in str(update["blocks"])


def test_no_show_is_checked_again_when_pressed(slack, fake, engine, clock):
    booking = _book(engine)
    notice = _notice(engine, booking, started=True)

    slack.message_action(notice, ids.NO_SHOW_BOOKING, user=MANAGER)  # before the start
    assert "has not started yet" in texts(slack.last_message()["blocks"])
    clock.now = START + timedelta(minutes=10)
    slack.message_action(notice, ids.NO_SHOW_BOOKING, user=CUSTOMER)
    assert "only the owner, a manager" in texts(slack.last_message()["blocks"])

    assert get_booking(engine, WS, booking.id).status.value == "confirmed"
    assert fake.calls_to("chat.update") == []
    slack.message_action(notice, ids.NO_SHOW_BOOKING, user=ADMIN)
    assert get_booking(engine, WS, booking.id).status.value == "no_show"
    assert as_dict(fake.calls_to("chat.update")[-1].args)["channel"]
