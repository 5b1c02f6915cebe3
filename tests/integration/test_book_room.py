"""/book-room end to end: every step of the modal, jump-ahead, the list, Cancel, races, retries.

The customer Asha is in Asia/Kolkata (UTC+5:30); the pages work London hours, so London's
09:00 shows as 14:30. The clock stands at Monday 2 March 2026, 08:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.booking import BookingRequest, Customer, book
from services.booking_reads import upcoming_bookings
from services.context import SlackUser
from tests.integration.conftest import CUSTOMER, NOW
from tests.integration.driver import texts

WORKSPACE = "T0TEST"


def _mine(services, user=CUSTOMER):
    return upcoming_bookings(services.engine, WORKSPACE, user, now=NOW)


def _open(slack, text="", user=CUSTOMER):
    response = slack.command("/book-room", text, user=user)
    assert response.status == 200
    return slack.opened_modal(user=user)


def _slot(modal, label):
    return next(b["action_id"] for b in modal.slot_buttons() if b["text"]["text"] == label)


def test_the_modal_offers_every_master_page_and_acks_before_opening(slack, fake):
    modal = _open(slack)

    assert fake.calls_to("views.open")[0].args["trigger_id"].startswith("trigger-")
    assert modal.callback_id == "book:slots"
    assert "What would you like to book?" in modal.text
    for name in ("Book a demo", "Support", "Anyone free", "Pick a person", "Pick a meeting"):
        assert name in modal.text
    assert modal.slot_buttons() == []


def test_a_dynamic_master_page_books_a_panel_at_a_time_shown_in_the_requesters_zone(
    slack, services
):
    modal = _open(slack)
    modal.select("book:master_page", "demo")

    assert "Free times on *Mon 2 Mar 2026* (Asia/Kolkata)" in modal.text
    assert [b["text"]["text"] for b in modal.slot_buttons()][:2] == ["14:30–15:00", "15:00–15:30"]

    modal.click(_slot(modal, "15:00–15:30"))
    assert modal.callback_id == "book:form"
    assert "Mon 2 Mar 2026, 15:00–15:30 (Asia/Kolkata)" in modal.text
    email = next(b for b in modal.view["blocks"] if b.get("block_id") == "book:field:email")
    assert email["element"]["initial_value"] == "asha@example.com"  # from the Slack profile

    response = modal.submit({"book:field:topic": "Robots"})

    assert response.status == 200
    assert modal.callback_id == "book:done"
    assert "You're booked." in modal.text
    [booking] = _mine(services)
    assert booking.start == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert booking.master_page == "demo"
    assert [p.page for p in booking.participants][1] == "room-a"
    assert booking.form_answers == {"topic": "Robots", "email": "asha@example.com"}
    assert booking.customer_name == "Asha Rao"
    assert booking.customer_timezone == "Asia/Kolkata"


def test_a_required_form_field_left_empty_is_answered_on_the_field(slack, services):
    modal = _open(slack, "demo")
    modal.click_slot(0)

    response = modal.submit({"book:field:topic": ""})

    answer = response.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["book:field:topic"]
    assert _mine(services) == []


def test_jump_ahead_opens_the_times_of_the_named_master_page_on_the_named_day(slack):
    modal = _open(slack, "Support 2026-03-03")

    chosen = next(b for b in modal.view["blocks"] if b.get("block_id") == "book:master_page")
    assert chosen["accessory"]["initial_option"]["value"] == "support"
    assert "Free times on *Tue 3 Mar 2026*" in modal.text
    assert modal.slot_buttons()


def test_jump_ahead_with_tomorrow_and_a_master_page_id(slack):
    modal = _open(slack, "demo tomorrow")

    assert "Free times on *Tue 3 Mar 2026*" in modal.text


def test_days_page_forward_and_back_and_the_date_picker_jumps(slack):
    modal = _open(slack, "support")

    modal.click("book:day:next")
    assert "*Tue 3 Mar 2026*" in modal.text
    modal.click("book:day:prev")
    assert "*Mon 2 Mar 2026*" in modal.text
    modal.pick_date("book:date", date(2026, 3, 7))
    assert "No free times on *Sat 7 Mar 2026*" in modal.text
    assert modal.slot_buttons() == []


def test_pages_first_asks_for_the_person_then_skips_the_only_meeting_they_offer(slack, services):
    modal = _open(slack, "people")
    assert "With whom?" in modal.text
    assert "Which kind of meeting?" not in modal.text

    modal.select("book:page", "carol")  # Carol offers only the deep dive, 09:00-11:00 London

    assert "Which kind of meeting?" not in modal.text
    # An hour-long meeting starts on the hour in Kolkata: 15:00 there is 09:30 in London.
    assert [b["text"]["text"] for b in modal.slot_buttons()] == ["15:00–16:00"]
    modal.click_slot(0)
    assert "with Carol Chen" in modal.text
    modal.submit()

    [booking] = _mine(services)
    assert (booking.owner, booking.event_type) == ("carol", "deep")


def test_event_types_first_asks_for_the_meeting_then_the_person(slack, services):
    modal = _open(slack, "menu")
    assert "Which kind of meeting?" in modal.text
    assert "With whom?" not in modal.text

    modal.select("book:event_type", "intro")
    assert "With whom?" in modal.text
    modal.select("book:page", "bob")  # Bob works 10:00-12:00 London: 15:30 in Kolkata

    assert modal.slot_buttons()[0]["text"]["text"] == "15:30–16:00"
    modal.click_slot(0)
    modal.submit({"book:field:topic": "Hello"})

    [booking] = _mine(services)
    assert (booking.owner, booking.event_type) == ("bob", "intro")


def test_find_member_by_time_asks_for_a_free_person_after_the_time(slack, services):
    modal = _open(slack, "bytime")
    assert "With whom?" not in modal.text

    modal.click(_slot(modal, "15:00–15:30"))  # 09:30 London: Alice and Carol, not Bob

    assert modal.callback_id == "book:member"
    assert "Who would you like to meet?" in modal.text
    assert "Alice Archer" in modal.text
    assert "Carol Chen" in modal.text
    assert "Bob Brown" not in modal.text
    modal.click("book:member:1")
    assert modal.callback_id == "book:form"
    assert "with Carol Chen" in modal.text
    modal.submit()

    [booking] = _mine(services)
    assert booking.owner == "carol"
    assert booking.start == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_going_back_from_the_form_shows_the_times_again(slack):
    modal = _open(slack, "support")
    modal.click_slot(0)

    modal.click("book:back")

    assert modal.callback_id == "book:slots"
    assert modal.slot_buttons()


def test_a_slot_taken_meanwhile_is_answered_with_fresh_times_on_the_modal(slack, services):
    modal = _open(slack, "people")
    modal.select("book:page", "carol")
    modal.click_slot(0)
    someone_else = BookingRequest(
        WORKSPACE,
        "people",
        "deep",
        datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        Customer(slack_user="U0OTHER"),
        tz="Asia/Kolkata",
        pick="carol",
    )
    book(services.engine, someone_else, actor=SlackUser("U0OTHER"), now=NOW)

    response = modal.submit()

    answer = response.json()
    assert answer["response_action"] == "update"
    assert modal.callback_id == "book:slots"
    assert "That time was just taken" in modal.text
    assert modal.slot_buttons() == []
    assert _mine(services) == []


def test_a_retried_submission_never_books_twice(slack, services):
    modal = _open(slack, "support")
    modal.click_slot(0)
    payload_answers = {"book:field:topic": "Twice?"}
    submitted = modal.submit_payload(payload_answers)

    first = slack.interaction(submitted)
    retry = slack.interaction(
        submitted, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )

    assert first.json()["response_action"] == "update"
    assert retry.json()["response_action"] == "update"
    assert "You're booked." in texts(retry.json()["view"]["blocks"])
    assert len(_mine(services)) == 1


def test_the_list_shows_my_bookings_and_cancel_cancels_one(slack, services, fake):
    modal = _open(slack, "support")
    modal.click_slot(0)
    modal.submit({"book:field:topic": "Soon cancelled"})

    slack.command("/book-room", "list", user=CUSTOMER)
    listed = slack.last_message()
    assert listed["response_type"] == "ephemeral"
    assert "Your upcoming bookings" in texts(listed["blocks"])
    assert "Mon 2 Mar 2026, 14:30–15:00 (Asia/Kolkata)" in texts(listed["blocks"])

    slack.message_action(listed, "mine:cancel:0", user=CUSTOMER)

    redrawn = slack.last_message()
    assert redrawn["replace_original"] is True
    assert "Cancelled: Intro call." in texts(redrawn["blocks"])
    assert "You have no upcoming bookings" in texts(redrawn["blocks"])
    assert _mine(services) == []


def test_someone_else_cannot_cancel_my_booking_and_is_told_why(slack, services):
    modal = _open(slack, "support")
    modal.click_slot(0)
    modal.submit({"book:field:topic": "Mine"})
    slack.command("/book-room", "list", user=CUSTOMER)
    listed = slack.last_message()

    slack.message_action(listed, "mine:cancel:0", user="U0MALLORY")

    told = slack.last_message()
    assert "may" in told["text"]  # the service's refusal, in words
    assert len(_mine(services)) == 1


def test_an_empty_list_says_so(slack):
    slack.command("/book-room", "list", user=CUSTOMER)

    assert "You have no upcoming bookings" in slack.last_message()["text"]


def test_an_expired_trigger_is_told_in_words(slack, fake):
    fake.fail_next("views.open", error="expired_trigger_id")

    response = slack.command("/book-room", "", user=CUSTOMER)

    assert response.status == 200
    assert "took Slack too long" in slack.last_message()["text"]


def test_a_user_slack_does_not_find_books_in_the_workspace_zone(slack, services):
    modal = _open(slack, "support", user="U0NOBODY")  # users.info: user_not_found

    assert "(Europe/London)" in modal.text
    assert modal.slot_buttons()[0]["text"]["text"] == "09:00–09:30"
    modal.click_slot(0)
    assert "Booking as" not in modal.text
    modal.submit({"book:field:topic": "Hi"})

    [booking] = _mine(services, "U0NOBODY")
    assert booking.customer_timezone == "Europe/London"


def test_a_bad_date_is_answered_with_usage(slack, fake):
    slack.command("/book-room", "support 31-02-2026", user=CUSTOMER)

    assert "is not a date" in slack.last_message()["text"]
    assert fake.calls_to("views.open") == []
