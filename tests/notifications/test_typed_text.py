"""Text a guest (or a manager) typed never shapes a Slack message: no formatting, no links,
no emoji, no extra lines; it shows as typed. Builders alone, and delivered from the outbox
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.blocks.common import typed_text
from bot.blocks.notifications import (
    BookingFacts,
    Person,
    build_booked,
    build_cancelled,
    build_manager_notice,
    build_reassigned_away,
    build_reassigned_customer,
    build_reassigned_to,
    build_reminder,
)
from bot.dispatch import senders_of
from services.delivery import dispatch_due
from tests.notifications.conftest import NOW, START, a_booking, book, client_factory

HOSTILE = (
    "Eve\n\n*SECURITY NOTICE* :rotating_light: _verify_ ~now~ `at` https://evil.example/login "
    "<https://evil.example|click here> <!channel> &amp;"
)
PIECES = ("SECURITY", "rotating_light", "evil.example", "!channel", "verify")
FACTS = BookingFacts(
    booking_id="0b1c2d3e-0000-4000-8000-000000000000",
    event_type="Intro call",
    start=START,
    end=START + timedelta(minutes=30),
    owner=Person("Alice", "U0ALICE"),
    customer=Person(HOSTILE),
)


def _texts(node: Any, kind: str) -> list[str]:
    """Every text object of ``kind`` (``mrkdwn`` or ``plain_text``) in some blocks."""
    if isinstance(node, dict):
        if node.get("type") == kind and "text" in node:
            return [node["text"]]
        return [text for value in node.values() for text in _texts(value, kind)]
    if isinstance(node, list):
        return [text for item in node for text in _texts(item, kind)]
    return []


def _assert_inert(text: str, blocks: list[dict[str, Any]], typed: str) -> None:
    for formatted in [text, *_texts(blocks, "mrkdwn")]:
        assert not any(piece in formatted for piece in PIECES), formatted
    shown = [t for t in _texts(blocks, "plain_text") if "SECURITY" in t or "ill" in t]
    assert shown == [" ".join(typed.split())]
    [element] = [e for e in _elements(blocks) if e.get("text") == shown[0]]
    assert element == {"type": "plain_text", "text": shown[0], "emoji": False}


def _elements(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [element for block in blocks for element in block.get("elements", [])]


@pytest.mark.parametrize(
    "message",
    [
        build_booked(FACTS, as_customer=False),
        build_manager_notice(FACTS, pool="Sales"),
        build_reminder(FACTS, before=timedelta(minutes=15)),
        build_reassigned_away(FACTS, to=Person("Bob", "U0BOB"), reason=None),
        build_reassigned_to(FACTS, from_=Person("Bob", "U0BOB"), reason=None),
        build_cancelled(FACTS, by=None),
    ],
    ids=["booked", "manager notice", "reminder", "reassigned away", "reassigned to", "cancelled"],
)
def test_a_guests_name_is_shown_as_typed_in_every_message_that_names_the_customer(message):
    kwargs = message.as_kwargs()

    _assert_inert(kwargs["text"], kwargs["blocks"], HOSTILE)


def test_a_typed_reason_is_shown_as_typed():
    reason = "Alice is ill\n*SECURITY NOTICE* https://evil.example :rotating_light:"
    kwargs = build_reassigned_customer(replace(FACTS, customer=None), reason=reason).as_kwargs()

    _assert_inert(kwargs["text"], kwargs["blocks"], reason)


def test_typed_text_keeps_every_character_on_one_line_and_is_never_empty():
    assert typed_text("  a\n\tb  *c*  ").to_dict() == {
        "type": "plain_text",
        "text": "a b *c*",
        "emoji": False,
    }
    assert typed_text("\n").text == "-"
    assert len(typed_text("x" * 5000).text or "") == 2000


def test_a_guest_booking_delivered_to_hosts_and_managers_shows_the_name_as_typed(workspace, slack):
    booking = book(workspace, replace(a_booking(customer=None), customer_name=HOSTILE))

    dispatch_due(workspace, senders_of(client_factory(slack)), now=NOW, lease=timedelta(minutes=5))

    posts = slack.calls_to("chat.postMessage")
    assert {call.args["channel"] for call in posts} >= {"U0ALICE", "U0BOSS", "C0ROOMS"}
    for call in posts:
        blocks = call.args["blocks"]
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
        _assert_inert(call.args["text"], blocks, HOSTILE)
    assert booking.customer_name == HOSTILE
