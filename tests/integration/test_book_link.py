"""/book-link end to end: the link, the guest's DM, its button, and links that cannot be used."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from services.booking_reads import upcoming_bookings
from services.context import SlackUser
from services.links import revoke_link
from storage.tables import LinkRow
from tests.integration.conftest import ADMIN, CUSTOMER, GUEST, MANAGER, NOW, PUBLIC_URL
from tests.integration.driver import texts

WORKSPACE = "T0TEST"


def _send_link(slack, fake, user=ADMIN, text=f"<@{GUEST}|gina> demo"):
    slack.command("/book-link", text, user=user)
    assert len(fake.calls_to("chat.postMessage")) == 1
    return slack.last_message("chat.postMessage")


def _token(dm):
    return next(
        element["value"]
        for block in dm["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == "link:open"
    )


def _links(engine):
    with engine.connect() as connection:
        return connection.execute(select(LinkRow)).all()


def test_an_admin_sends_a_guest_a_personal_link_by_dm(slack, fake, engine):
    dm = _send_link(slack, fake)

    assert dm["channel"] == GUEST
    token = _token(dm)
    assert f"{PUBLIC_URL}/l/{token}" in texts(dm["blocks"])
    assert f"<@{ADMIN}> invited you to book *Book a demo*" in texts(dm["blocks"])
    assert "expires on Wed 1 Apr 2026" in texts(dm["blocks"])  # 30 days, in the guest's zone
    told = slack.last_message()
    assert told["response_type"] == "ephemeral"
    assert f"Sent <@{GUEST}> a one-time link" in told["text"] + texts(told["blocks"])
    [link] = _links(engine)
    assert (link.guest_name, link.guest_email) == ("Gina Guest", "gina@example.com")


def test_the_dm_button_opens_the_booking_modal_for_the_link_and_books_once(slack, fake, services):
    dm = _send_link(slack, fake)

    slack.message_action(dm, "link:open", user=GUEST)

    modal = slack.opened_modal(user=GUEST)
    assert "What would you like to book?" not in modal.text  # the link fixes the master page
    assert "Book a demo" in modal.text
    assert "(America/New_York)" in modal.text
    assert modal.slot_buttons()[0]["text"]["text"] == "04:00–04:30"  # 09:00 London
    modal.click_slot(0)
    assert "Booking as" not in modal.text
    modal.submit({"book:field:topic": "A guest's question"})

    assert "You're booked." in modal.text
    [booking] = upcoming_bookings(services.engine, WORKSPACE, GUEST, now=NOW)
    assert booking.customer_name == "Gina Guest"
    assert booking.customer_email == "gina@example.com"
    assert booking.link_id is not None


def test_a_used_link_answers_in_words_when_opened_again(slack, fake):
    dm = _send_link(slack, fake)
    slack.message_action(dm, "link:open", user=GUEST)
    modal = slack.opened_modal(user=GUEST)
    modal.click_slot(0)
    modal.submit({"book:field:topic": "Once"})

    slack.message_action(dm, "link:open", user=GUEST)

    again = slack.opened_modal(user=GUEST)
    assert again.callback_id == "link:notice"
    assert "This link has already been used to book." in again.text
    assert "Book a demo" not in again.text


def test_an_expired_link_answers_in_words(slack, fake, clock):
    dm = _send_link(slack, fake)
    clock.now = NOW + timedelta(days=31)

    slack.message_action(dm, "link:open", user=GUEST)

    assert "This link has expired." in slack.opened_modal(user=GUEST).text


def test_a_revoked_link_answers_in_words(slack, fake, services):
    dm = _send_link(slack, fake)
    revoke_link(services.engine, WORKSPACE, _token(dm), actor=SlackUser(ADMIN), now=NOW)

    slack.message_action(dm, "link:open", user=GUEST)

    assert "This link has been withdrawn." in slack.opened_modal(user=GUEST).text


def test_a_link_used_while_the_form_is_open_is_answered_on_the_modal(slack, fake):
    dm = _send_link(slack, fake)
    slack.message_action(dm, "link:open", user=GUEST)
    first = slack.opened_modal(user=GUEST)
    first.click_slot(0)
    slack.message_action(dm, "link:open", user=GUEST)
    second = slack.opened_modal(user=GUEST)
    second.click_slot(1)
    first.submit({"book:field:topic": "First"})

    response = second.submit({"book:field:topic": "Second"})

    assert response.json()["response_action"] == "update"
    assert "This link has already been used to book." in second.text


def test_a_pool_manager_may_send_links_to_master_pages_of_their_pools(slack, fake):
    dm = _send_link(slack, fake, user=MANAGER)

    assert _token(dm)


def test_an_employee_may_not_send_links_and_is_told_so(slack, fake, engine):
    slack.command("/book-link", f"<@{GUEST}|gina> demo", user=CUSTOMER)

    assert "only an admin or a manager" in slack.last_message()["text"]
    assert fake.calls_to("chat.postMessage") == []
    assert _links(engine) == []


def test_without_a_master_page_the_only_dynamic_one_is_linked(slack, fake):
    dm = _send_link(slack, fake, text=f"<@{GUEST}|gina>")

    assert "Book a demo" in texts(dm["blocks"])


def test_a_guest_slack_does_not_find_is_answered_in_words(slack, fake, engine):
    slack.command("/book-link", "<@U0NOBODY|nobody> demo", user=ADMIN)

    assert "couldn't find that person" in slack.last_message()["text"]
    assert _links(engine) == []


def test_a_command_without_a_mention_shows_the_usage(slack, fake):
    slack.command("/book-link", "gina demo", user=ADMIN)

    assert "/book-link @guest [master page]" in slack.last_message()["text"]


def test_a_master_page_without_dynamic_rules_lists_the_ones_that_can_be_linked(slack, fake):
    slack.command("/book-link", f"<@{GUEST}|gina> support", user=ADMIN)

    told = slack.last_message()
    assert "Which master page should the link open?" in told["text"]
    assert "`demo`" in texts(told["blocks"])


def test_a_dm_that_cannot_be_delivered_still_hands_over_the_link(slack, fake, engine):
    fake.fail_next("chat.postMessage", error="cannot_dm_bot")

    slack.command("/book-link", f"<@{GUEST}|gina> demo", user=ADMIN)

    told = slack.last_message()["text"]
    assert "couldn't message" in told
    assert f"{PUBLIC_URL}/l/" in told
    assert len(_links(engine)) == 1
