"""Delivery through the fake Slack Web API with a controlled clock: who gets what, and once."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import timedelta

import pytest
from slack_sdk import WebClient

from bot.dispatch import METADATA_EVENT_TYPE, senders_of
from engine.records import OutboxStatus
from services.delivery import MAX_ATTEMPTS, dispatch_due
from services.notifications import failed_notifications, queue_cancelled
from storage.uow import UnitOfWork
from tests.notifications.conftest import (
    NOW,
    START,
    TEAM,
    a_booking,
    book,
    client_factory,
)
from tests.notifications.test_queue import reassign

LEASE = timedelta(minutes=5)


def dispatch(engine, slack, now, **options):
    return dispatch_due(engine, senders_of(client_factory(slack)), now=now, lease=LEASE, **options)


def outbox(engine, booking_id):
    with UnitOfWork(engine) as uow:
        return {m.id: m for m in uow.outbox.for_booking(TEAM, booking_id)}


def delivered(engine, slack, booking_id):
    """Return (kind, recipient) of each successful post of this booking, from its metadata."""
    rows = outbox(engine, booking_id)
    return Counter(
        (rows[oid].kind, rows[oid].recipient)
        for oid in slack.outbox_ids().elements()
        if oid in rows
    )


def test_every_notification_of_a_booking_reaches_the_right_people_once(workspace, slack):
    booking = book(workspace, a_booking(others=("carol",)))

    dispatch(workspace, slack, NOW)
    dispatch(workspace, slack, NOW)  # nothing left to send
    dispatch(workspace, slack, START - timedelta(hours=24))
    dispatch(workspace, slack, START - timedelta(minutes=15))
    dispatch(workspace, slack, START - timedelta(minutes=14))
    dispatch(workspace, slack, START)  # the manager notices are redrawn with No-show

    people = ("U0CUSTOMER", "U0ALICE", "U0CAROL")
    managers = ("U0BOSS", "U0DEPUTY", "C0ROOMS")
    assert delivered(workspace, slack, booking.id) == Counter(
        [("booked", who) for who in people]
        + [("manager_notice", who) for who in managers]
        + [("reminder", who) for who in people] * 2
    )
    assert set(slack.outbox_ids().values()) == {1}
    assert {m.status for m in outbox(workspace, booking.id).values()} == {OutboxStatus.SENT}
    updates = slack.calls_to("chat.update")
    assert sorted(c.args["channel"] for c in updates) == ["C0ROOMS", "DU0BOSS", "DU0DEPUTY"]
    assert all("booking:no_show" in str(c.args["blocks"]) for c in updates)


def test_a_notice_posted_before_the_start_has_no_no_show_button(workspace, slack):
    book(workspace, a_booking())
    dispatch(workspace, slack, NOW)
    notices = [c for c in slack.calls_to("chat.postMessage") if "booking:reassign" in str(c.args)]
    assert notices
    assert not any("booking:no_show" in str(c.args) for c in notices)
    assert slack.calls_to("chat.update") == []


def test_a_dm_goes_to_the_user_id_and_carries_the_outbox_id_in_its_metadata(workspace, slack):
    booking = book(workspace, a_booking(customer=None, room=False))
    dispatch(workspace, slack, NOW)

    [post] = [p for p in slack.posted if p["channel"] == "DU0ALICE"]
    [call] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "U0ALICE"]
    [row] = [m for m in outbox(workspace, booking.id).values() if m.recipient == "U0ALICE"][:1]
    assert post["metadata"] == {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {"outbox_id": post["metadata"]["event_payload"]["outbox_id"]},
    }
    sent = outbox(workspace, booking.id)[post["metadata"]["event_payload"]["outbox_id"]]
    assert (sent.kind, sent.status, sent.slack_ts) == ("booked", OutboxStatus.SENT, post["ts"])
    assert call.args["blocks"]
    assert row.recipient == "U0ALICE"


def test_the_manager_notice_carries_reassign_and_cancel_buttons_for_the_booking(workspace, slack):
    booking = book(workspace, a_booking())
    dispatch(workspace, slack, NOW)

    [post] = slack.posts_to("DU0BOSS")
    [actions] = [block for block in post["blocks"] if block["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [
        ("booking:reassign", booking.id),
        ("booking:cancel", booking.id),
    ]
    [channel_post] = slack.posts_to("C0ROOMS")
    assert "Rooms" in channel_post["text"]


def test_reminders_after_a_reassignment_go_to_the_new_host_and_name_it(workspace, slack):
    booking = book(workspace, a_booking(room=False))
    dispatch(workspace, slack, NOW)
    reassign(workspace, booking, "bob", at=NOW + timedelta(hours=1))
    dispatch(workspace, slack, NOW + timedelta(hours=1))
    dispatch(workspace, slack, START - timedelta(minutes=15))

    got = delivered(workspace, slack, booking.id)
    assert got[("reminder", "U0BOB")] == 1
    assert got[("reminder", "U0ALICE")] == 0
    assert got[("reassigned_away", "U0ALICE")] == got[("reassigned_to", "U0BOB")] == 1
    [customer_reminder] = [p for p in slack.posts_to("DU0CUSTOMER") if "Reminder" in p["text"]]
    assert "<@U0BOB>" in customer_reminder["blocks"][1]["text"]["text"]
    assert "15 minutes" in customer_reminder["text"]


def test_a_cancelled_booking_sends_cancellations_and_no_reminders(workspace, slack):
    booking = book(workspace, a_booking(room=False))
    dispatch(workspace, slack, NOW)
    with UnitOfWork(workspace) as uow:
        uow.bookings.cancel(TEAM, booking.id, at=NOW, by="U0CUSTOMER")
        queue_cancelled(uow, TEAM, booking, NOW)
        uow.commit()
    dispatch(workspace, slack, NOW)
    dispatch(workspace, slack, START - timedelta(minutes=1))

    got = delivered(workspace, slack, booking.id)
    assert not [key for key in got if key[0] == "reminder"]
    assert sorted(who for kind, who in got if kind == "cancelled") == [
        "U0ALICE",
        "U0BOSS",
        "U0CUSTOMER",
        "U0DEPUTY",
    ]


def test_a_rate_limit_waits_for_retry_after_and_then_sends_once(workspace, slack):
    booking = book(workspace, a_booking(owner="carol", owner_pool=None, room=False, customer=None))
    slack.fail_next("chat.postMessage", retry_after=7)

    first = dispatch(workspace, slack, NOW)
    early = dispatch(workspace, slack, NOW + timedelta(seconds=6))
    # Due Retry-After after the round's own time (real seconds, many on a loaded machine).
    late = dispatch(workspace, slack, NOW + timedelta(seconds=30))

    assert (first.retried, early.claimed, late.sent) == (1, 0, 1)
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert list(slack.outbox_ids().values()) == [1]
    [row] = [m for m in outbox(workspace, booking.id).values() if m.kind == "booked"]
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)
    assert not slack.calls_to("conversations.history")  # a 429 leaves no doubt


def test_many_rate_limits_never_make_a_message_fail(workspace, slack):
    book(workspace, a_booking(owner="carol", owner_pool=None, room=False, customer=None))
    slack.fail_next("chat.postMessage", retry_after=1, times=MAX_ATTEMPTS + 3)

    at = NOW
    for _ in range(MAX_ATTEMPTS + 3):
        assert dispatch(workspace, slack, at).retried == 1
        at += timedelta(seconds=30)  # past Retry-After plus the round's own time, however slow
    assert dispatch(workspace, slack, at).sent == 1


@pytest.mark.parametrize("error", ["channel_not_found", "user_not_found", "account_inactive"])
def test_an_error_that_will_not_heal_fails_at_once_with_its_reason(workspace, slack, error):
    book(workspace, a_booking(owner="carol", owner_pool=None, room=False, customer=None))
    slack.fail_next("chat.postMessage", error=error)

    assert dispatch(workspace, slack, NOW).failed == 1
    assert dispatch(workspace, slack, NOW + timedelta(hours=1)).claimed == 0
    [failed] = failed_notifications(workspace, TEAM)
    assert (failed.kind, failed.recipient, failed.attempts) == ("booked", "U0CAROL", 1)
    assert error in failed.error


def test_server_errors_back_off_then_fail_after_the_attempt_limit(workspace, slack):
    booking = book(workspace, a_booking(owner="carol", owner_pool=None, room=False, customer=None))
    slack.fail_next("chat.postMessage", status=500, error="internal_error", times=MAX_ATTEMPTS)

    waits, at = [], NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        result = dispatch(workspace, slack, at)
        [row] = [m for m in outbox(workspace, booking.id).values() if m.kind == "booked"]
        if attempt < MAX_ATTEMPTS:
            assert (result.retried, row.status, row.attempts) == (1, OutboxStatus.PENDING, attempt)
            waits.append(row.due_at - at)
            assert dispatch(workspace, slack, row.due_at - timedelta(seconds=1)).claimed == 0
            at = row.due_at
        else:
            assert (result.failed, row.status) == (1, OutboxStatus.FAILED)
    assert all(later > earlier for earlier, later in itertools.pairwise(waits))
    assert timedelta(seconds=15) <= waits[0] <= timedelta(seconds=30)
    # A 5xx may have posted: every retry first looked for the message in the DM's history.
    assert len(slack.calls_to("conversations.history")) == MAX_ATTEMPTS - 1
    [failed] = failed_notifications(workspace, TEAM)
    assert "HTTP 500" in failed.error
    assert "gave up after 6 attempts" in failed.error


def test_a_network_error_is_retried_and_leaves_the_message_in_doubt(workspace):
    booking = book(workspace, a_booking(owner="carol", owner_pool=None, room=False, customer=None))
    dead = WebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/", timeout=2)
    result = dispatch_due(workspace, senders_of(lambda team: dead), now=NOW, lease=LEASE)
    assert result.retried == 1
    [row] = [m for m in outbox(workspace, booking.id).values() if m.kind == "booked"]
    assert "network error" in row.last_error
    assert row.in_doubt_since == NOW


def test_after_downtime_missed_reminders_go_out_once_and_stale_ones_are_skipped(workspace, slack):
    soon = book(workspace, a_booking(START, room=False, customer=None))
    started = book(
        workspace, a_booking(START - timedelta(hours=1), owner="bob", room=False, customer=None)
    )
    # The app was down from NOW until 10 minutes before START.
    restart = START - timedelta(minutes=10)
    dispatch(workspace, slack, restart)
    dispatch(workspace, slack, restart + timedelta(seconds=5))

    soon_rows = outbox(workspace, soon.id).values()
    started_rows = outbox(workspace, started.id).values()
    reminders = [p for p in slack.posts_to("DU0ALICE") if "Reminder" in p["text"]]
    assert len(reminders) == 1
    assert "10 minutes" in reminders[0]["text"]
    assert {(m.payload["offset_minutes"], m.status) for m in soon_rows if m.kind == "reminder"} == {
        (15, OutboxStatus.SENT),
        (24 * 60, OutboxStatus.SKIPPED),
    }
    assert {m.status for m in started_rows if m.kind == "reminder"} == {OutboxStatus.SKIPPED}
    assert not [p for p in slack.posts_to("DU0BOB") if "Reminder" in p["text"]]
