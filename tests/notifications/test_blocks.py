"""The notification builders: who is named, the buttons, the time token, Slack's limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

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
    build_rescheduled,
    duration_text,
    when,
)
from bot.ids import CANCEL_BOOKING, NO_SHOW_BOOKING, REASSIGN_BOOKING, RESCHEDULE_BOOKING

START = datetime(2026, 12, 3, 15, tzinfo=UTC)
FACTS = BookingFacts(
    booking_id="0b1c2d3e-0000-4000-8000-000000000000",
    event_type="Intro <call>",
    start=START,
    end=START + timedelta(minutes=30),
    owner=Person("Alice", "U0ALICE"),
    participants=(Person("Room A"),),
    customer=Person("Gina Guest"),
    timezone="America/New_York",
)


def texts(message):
    return [block.to_dict().get("text", {}).get("text", "") for block in message.blocks]


def test_every_builder_gives_fallback_text_and_at_most_a_few_blocks():
    messages = [
        build_booked(FACTS, as_customer=True),
        build_booked(FACTS, as_customer=False),
        build_manager_notice(FACTS, pool="Sales"),
        build_reminder(FACTS, before=timedelta(minutes=15)),
        build_reassigned_away(FACTS, to=Person("Bob", "U0BOB"), reason="out sick"),
        build_reassigned_to(FACTS, from_=Person("Bob", "U0BOB"), reason=None),
        build_reassigned_customer(FACTS, reason="out sick"),
        build_cancelled(FACTS, by=Person("Boss", "U0BOSS")),
    ]
    for message in messages:
        assert message.text
        assert 1 <= len(message.blocks) <= 50
        assert "Intro &lt;call&gt;" in message.text  # mrkdwn escaped


def test_the_manager_notice_has_reassign_and_cancel_buttons_carrying_the_booking_id():
    kwargs = build_manager_notice(FACTS, pool="Sales").as_kwargs()
    [actions] = [block for block in kwargs["blocks"] if block["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        (REASSIGN_BOOKING, FACTS.booking_id),
        (CANCEL_BOOKING, FACTS.booking_id),
    ]


def test_a_cancelled_bookings_manager_notice_has_no_buttons():
    cancelled = BookingFacts(**{**_fields(FACTS), "cancelled": True})
    blocks = build_manager_notice(cancelled, pool="Sales").as_kwargs()["blocks"]
    assert not [block for block in blocks if block["type"] == "actions"]


def _fields(facts):
    return {name: getattr(facts, name) for name in facts.__slots__}


def test_slack_users_are_mentioned_and_others_named():
    message = build_booked(FACTS, as_customer=False)
    details = texts(message)[1]
    assert "*Host:* <@U0ALICE>" in details
    assert "*With:* Room A" in details
    assert "with a guest" in texts(message)[0]
    assert message.blocks[2].to_dict()["elements"] == [
        {"type": "mrkdwn", "text": "*Booked by:*"},
        {"type": "plain_text", "text": "Gina Guest", "emoji": False},
    ]


def test_times_use_slacks_date_token_with_a_fallback_in_the_given_zone():
    token = when(FACTS.start, FACTS.end, "America/New_York")
    assert token == (
        f"<!date^{int(START.timestamp())}^{{date_short_pretty}} at {{time}}"
        "|Thu 03 Dec 2026 10:00–10:30 EST>"
    )


def test_durations_read_as_words():
    assert duration_text(timedelta(hours=24)) == "1 day"
    assert duration_text(timedelta(minutes=15)) == "15 minutes"
    assert duration_text(timedelta(minutes=90)) == "1 hour 30 minutes"


def test_the_reason_of_a_reassignment_is_shown_as_typed():
    message = build_reassigned_customer(FACTS, reason="Alice <is> ill")
    reason = message.blocks[-2].to_dict()["elements"]
    assert reason == [
        {"type": "mrkdwn", "text": "*Reason:*"},
        {"type": "plain_text", "text": "Alice <is> ill", "emoji": False},
    ]
    assert "<@U0ALICE>" in texts(message)[0]


def _actions(message):
    return [
        (element["action_id"], element["value"])
        for block in message.as_kwargs()["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def test_reschedule_is_drawn_only_when_asked_for():
    for build in (
        lambda **kw: build_booked(FACTS, as_customer=True, **kw),
        lambda **kw: build_reminder(FACTS, before=timedelta(hours=1), **kw),
        lambda **kw: build_rescheduled(FACTS, was_start=START, was_end=START, still_in=True, **kw),
    ):
        assert _actions(build()) == []
        assert _actions(build(reschedule=True)) == [(RESCHEDULE_BOOKING, FACTS.booking_id)]


def test_a_reschedule_notice_names_the_old_time_and_tells_a_host_who_left_it():
    earlier = START - timedelta(days=1)
    kept = build_rescheduled(
        FACTS, was_start=earlier, was_end=earlier + timedelta(minutes=30), still_in=True
    )
    assert when(earlier, earlier + timedelta(minutes=30), FACTS.timezone) in kept.text
    left = build_rescheduled(
        FACTS, was_start=earlier, was_end=earlier, still_in=False, reschedule=True
    )
    assert "no more reminders" in left.text
    assert _actions(left) == []  # someone no longer in it cannot move it


def test_no_show_joins_the_notice_once_the_meeting_started_and_a_no_show_has_no_buttons():
    assert NO_SHOW_BOOKING not in {a for a, _ in _actions(build_manager_notice(FACTS, pool="S"))}
    started = build_manager_notice(FACTS, pool="S", started=True)
    assert (NO_SHOW_BOOKING, FACTS.booking_id) in _actions(started)
    marked = build_manager_notice(replace(FACTS, no_show=True), pool="S", started=True)
    assert _actions(marked) == []
    assert "marked a no-show" in marked.text
