"""Real processes: a dispatcher that dies mid-round, and two dispatchers on one database."""

from __future__ import annotations

import multiprocessing
import uuid
from datetime import timedelta

import pytest

from bot.dispatch import senders_of
from engine.records import Booking, OutboxMessage, OutboxStatus, Participant, Role
from services.delivery import dispatch_due
from storage.uow import UnitOfWork
from tests.notifications import workers
from tests.notifications.conftest import NOW, TEAM, a_booking, book, client_factory

LEASE = workers.LEASE
spawn = multiprocessing.get_context("spawn")


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def run(target, *args) -> int:
    process = spawn.Process(target=target, args=args)
    process.start()
    process.join(timeout=60)
    assert process.exitcode is not None, "the worker process hung"
    return process.exitcode


def one_message_booking(engine) -> Booking:
    return book(engine, a_booking(owner="carol", owner_pool=None, room=False, customer=None))


def the_row(engine, booking) -> OutboxMessage:
    with UnitOfWork(engine) as uow:
        [row] = [m for m in uow.outbox.for_booking(TEAM, booking.id) if m.kind == "booked"]
    return row


def test_a_sender_killed_between_claim_and_send_is_resent_once_after_the_lease(workspace, slack):
    booking = one_message_booking(workspace)
    assert run(workers.die_after_claiming, url_of(workspace), NOW.isoformat()) == 17
    assert the_row(workspace, booking).status is OutboxStatus.CLAIMED

    during = dispatch_due(
        workspace, senders_of(client_factory(slack)), now=NOW + LEASE / 2, lease=LEASE
    )
    after = dispatch_due(workspace, senders_of(client_factory(slack)), now=NOW + LEASE, lease=LEASE)

    assert (during.claimed, after.sent, after.found_sent) == (0, 1, 0)
    assert list(slack.outbox_ids().values()) == [1]
    # The dead sender might have posted: the history was searched first.
    [search] = slack.calls_to("conversations.history")
    assert search.args["channel"] == "DU0CAROL"
    assert float(search.args["oldest"]) < NOW.timestamp()
    row = the_row(workspace, booking)
    assert (row.status, row.attempts, row.in_doubt_since) == (OutboxStatus.SENT, 2, None)


def test_a_sender_killed_after_posting_is_not_posted_again(workspace, slack):
    booking = one_message_booking(workspace)
    code = run(workers.die_after_posting, url_of(workspace), slack.base_url, NOW.isoformat())
    assert code == 17
    [first] = slack.posted

    after = dispatch_due(workspace, senders_of(client_factory(slack)), now=NOW + LEASE, lease=LEASE)

    assert (after.sent, after.found_sent) == (0, 1)
    assert len(slack.calls_to("chat.postMessage")) == 1
    row = the_row(workspace, booking)
    assert (row.status, row.slack_ts) == (OutboxStatus.SENT, first["ts"])


@pytest.mark.postgres
def test_two_dispatcher_processes_on_postgresql_send_500_reminders_exactly_once(
    postgres_engine, slack
):
    from tests.notifications.conftest import workspace_config

    engine = postgres_engine
    with UnitOfWork(engine) as uow:
        uow.config.save(workspace_config(), now=NOW)
        uow.commit()
    ids = many_due_reminders(engine, bookings=250)
    slack.post_delay = 0.002

    barrier, results = spawn.Barrier(2), spawn.Queue()
    processes = [
        spawn.Process(
            target=workers.drain_together,
            args=(url_of(engine), slack.base_url, NOW.isoformat(), 20, barrier, results),
        )
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    reports = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0

    sent = slack.outbox_ids()
    assert set(sent) == ids
    assert set(sent.values()) == {1}
    assert sum(report[1] for report in reports) == 500
    assert all(report[1] > 0 for report in reports), reports  # both took part
    with UnitOfWork(engine) as uow:
        pending = uow.outbox.claim_due(now=NOW + LEASE * 2, lease=LEASE, limit=10)
    assert pending == []  # every row was marked: none is left to a lease


def many_due_reminders(engine, *, bookings: int) -> set[str]:
    """Store Carol's bookings for distinct customers, each with two reminders due at NOW."""
    ids: set[str] = set()
    with UnitOfWork(engine) as uow:
        for i in range(bookings):
            start = NOW + timedelta(days=1, minutes=30 * i)
            booking = Booking(
                id=str(uuid.uuid4()),
                master_page="demo",
                event_type="quick",
                start=start,
                end=start + timedelta(minutes=15),
                participants=(Participant("carol", 0, Role.OWNER),),
                created_at=NOW,
                customer_slack_user=f"U{i:05d}",
            )
            uow.bookings.add(TEAM, booking)
            messages = [
                OutboxMessage(
                    id=str(uuid.uuid4()),
                    kind="reminder",
                    recipient=user,
                    due_at=NOW - timedelta(seconds=i % 7),
                    dedupe_key=f"reminder:{booking.id}:{user}:60",
                    payload={"part": "customer", "offset_minutes": 60},
                    booking_id=booking.id,
                )
                for user in (booking.customer_slack_user, "U0CAROL")
            ]
            uow.outbox.add(TEAM, messages)
            ids |= {m.id for m in messages}
        uow.commit()
    return ids
