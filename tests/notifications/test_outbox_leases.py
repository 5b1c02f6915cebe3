"""The outbox's leases: doubt is kept until an attempt's outcome is known, released rows return."""

from __future__ import annotations

from datetime import timedelta

from engine.records import OutboxStatus
from storage.uow import UnitOfWork
from tests.notifications.conftest import NOW, TEAM, a_booking, book

LEASE = timedelta(minutes=5)


def one_message_booking():
    """Carol's booking for a guest: one confirmation due now, reminders days ahead."""
    return a_booking(owner="carol", owner_pool=None, room=False, customer=None)


def claim(engine, now):
    """Claim what is due, as the dispatcher does."""
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        claimed = uow.outbox.claim_due(now=now, lease=LEASE, limit=100)
        uow.commit()
    return [message for _, message in claimed]


def test_a_claim_puts_the_message_in_doubt_until_it_is_marked(workspace):
    book(workspace, one_message_booking())
    [first] = claim(workspace, NOW)
    assert first.in_doubt_since == NOW

    [again] = claim(workspace, NOW + LEASE)
    assert (again.id, again.in_doubt_since, again.attempts) == (first.id, NOW, 2)

    with UnitOfWork(workspace) as uow:
        uow.outbox.mark_sent(TEAM, again.id, at=NOW + LEASE, slack_ts="1.2")
        uow.commit()
    with UnitOfWork(workspace) as uow:
        [sent] = [m for m in uow.outbox.for_booking(TEAM, first.booking_id) if m.id == first.id]
    assert (sent.status, sent.in_doubt_since, sent.slack_ts) == (OutboxStatus.SENT, None, "1.2")


def test_a_failure_in_doubt_keeps_the_first_doubt_and_an_uncounted_one_gives_the_attempt_back(
    workspace,
):
    book(workspace, one_message_booking())
    [message] = claim(workspace, NOW)
    with UnitOfWork(workspace) as uow:
        uow.outbox.mark_failed(TEAM, message.id, error="http 500", retry_at=NOW, in_doubt=True)
        uow.commit()
    [message] = claim(workspace, NOW + timedelta(seconds=1))
    assert (message.in_doubt_since, message.attempts) == (NOW, 2)

    with UnitOfWork(workspace) as uow:
        uow.outbox.mark_failed(TEAM, message.id, error="ratelimited", retry_at=NOW, counted=False)
        uow.commit()
    [message] = claim(workspace, NOW + timedelta(seconds=2))
    assert (message.in_doubt_since, message.attempts) == (NOW + timedelta(seconds=2), 2)


def test_a_released_message_is_pending_again_without_an_attempt(workspace):
    book(workspace, one_message_booking())
    [message] = claim(workspace, NOW)
    with UnitOfWork(workspace) as uow:
        uow.outbox.release(TEAM, message.id)
        uow.commit()
    [again] = claim(workspace, NOW)
    assert (again.id, again.attempts) == (message.id, 1)


def test_failed_messages_are_listed_per_workspace(workspace):
    book(workspace, one_message_booking())
    [message] = claim(workspace, NOW)
    with UnitOfWork(workspace) as uow:
        uow.outbox.mark_failed(TEAM, message.id, error="channel_not_found", retry_at=None)
        uow.commit()
    with UnitOfWork(workspace) as uow:
        [failed] = uow.outbox.failed(TEAM)
    assert (failed.id, failed.status, failed.last_error) == (
        message.id,
        OutboxStatus.FAILED,
        "channel_not_found",
    )
