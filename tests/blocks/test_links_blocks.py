"""The /book-link parser and the guest's DM."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import ids
from bot.blocks.links import (
    build_choose_master_page_message,
    build_link_dm,
    build_link_sent_message,
    parse_book_link_command,
)
from tests.slack_checks import check_message


@pytest.mark.parametrize(
    ("text", "guest", "master_page"),
    [
        ("<@U0GINA|gina>", "U0GINA", None),
        ("<@U0GINA|gina> demo", "U0GINA", "demo"),
        ("<@W0GINA> Book a demo", "W0GINA", "Book a demo"),
    ],
)
def test_the_command_names_a_guest_and_maybe_a_master_page(text, guest, master_page):
    parsed = parse_book_link_command(text)

    assert (parsed.guest, parsed.master_page) == (guest, master_page)


@pytest.mark.parametrize("text", ["", "gina", "demo <@U0GINA>", "<#C0GENERAL|general>"])
def test_a_command_without_a_leading_mention_is_refused_with_the_usage(text):
    with pytest.raises(ValueError, match="/book-link @guest"):
        parse_book_link_command(text)


def test_the_dm_carries_a_button_for_the_token_and_the_guest_page_url():
    expires = datetime(2026, 4, 1, 8, tzinfo=UTC)
    message = build_link_dm(
        inviter="U0ADMIN",
        master_page="Book <a> demo",
        url="https://x.example/l/tok",
        token="tok",
        expires_at=expires,
        tz="America/New_York",
    ).as_kwargs()

    check_message(message)
    [button] = message["blocks"][1]["elements"]
    assert (button["action_id"], button["value"]) == (ids.LINK_OPEN, "tok")
    assert "Book &lt;a&gt; demo" in message["blocks"][0]["text"]["text"]
    assert (
        "<https://x.example/l/tok|the booking page>" in message["blocks"][2]["elements"][0]["text"]
    )
    assert (
        "Wed 1 Apr 2026 at 04:00 (America/New_York)" in message["blocks"][2]["elements"][0]["text"]
    )


def test_the_requester_is_told_where_the_link_went_and_a_link_without_expiry_says_so():
    message = build_link_sent_message(
        guest="U0GINA", master_page="Demo", url="https://x.example/l/tok", expires_at=None, tz="UTC"
    ).as_kwargs()

    check_message(message)
    assert "It does not expire." in message["blocks"][0]["text"]["text"]


def test_the_choice_of_master_pages_is_a_valid_message():
    check_message(build_choose_master_page_message([("demo", "Book a demo")]).as_kwargs())
