from __future__ import annotations

import uuid
from datetime import timedelta

from engine.records import OneTimeLink, OutboxMessage, OutboxStatus
from storage.uow import UnitOfWork
from tests.storage.conftest import T0, make_booking


def a_link(**fields) -> OneTimeLink:
    return OneTimeLink(
        id=str(uuid.uuid4()),
        token_hash=uuid.uuid4().hex * 2,
        master_page="demo",
        created_at=T0,
        **fields,
    )


def a_message(key: str, due=T0, **fields) -> OutboxMessage:
    return OutboxMessage(
        id=str(uuid.uuid4()),
        kind="reminder",
        recipient="U0ALICE",
        due_at=due,
        dedupe_key=key,
        **fields,
    )


def test_a_personalized_link_reads_back_equal(configured):
    link = a_link(
        event_type="intro",
        guest_name="Gina",
        guest_email="gina@example.com",
        form_answers={"topic": "pricing"},
        expires_at=T0 + timedelta(days=30),
        created_by="U0ADMIN",
    )
    with UnitOfWork(configured) as uow:
        uow.links.add("T0001", link)
        uow.commit()

    with UnitOfWork(configured) as uow:
        assert uow.links.workspace_of(link.token_hash) == "T0001"
        assert uow.links.get("T0001", link.token_hash) == link
        assert uow.links.get("T0001", "unknown") is None


def test_a_link_is_used_once(configured):
    link = a_link()
    first, second = make_booking(), make_booking(T0 + timedelta(hours=1))
    with UnitOfWork(configured) as uow:
        uow.links.add("T0001", link)
        uow.bookings.add("T0001", first)
        uow.bookings.add("T0001", second)

        assert uow.links.mark_used("T0001", link.id, first.id, at=T0)
        assert not uow.links.mark_used("T0001", link.id, second.id, at=T0)
        assert not uow.links.revoke("T0001", link.token_hash, at=T0)
        stored = uow.links.get("T0001", link.token_hash)

    assert stored is not None
    assert (stored.used_at, stored.booking_id) == (T0, first.id)


def test_a_revoked_link_cannot_be_used(configured):
    link = a_link()
    booking = make_booking()
    with UnitOfWork(configured) as uow:
        uow.links.add("T0001", link)
        uow.bookings.add("T0001", booking)

        assert uow.links.revoke("T0001", link.token_hash, at=T0)
        assert not uow.links.mark_used("T0001", link.id, booking.id, at=T0)


def test_a_message_with_a_known_dedupe_key_is_queued_once(configured):
    with UnitOfWork(configured) as uow:
        uow.outbox.add("T0001", [a_message("m1")])
        uow.outbox.add("T0001", [a_message("m1"), a_message("m2")])
        uow.commit()

    with UnitOfWork(configured) as uow:
        claimed = uow.outbox.claim_due(now=T0, lease=timedelta(minutes=1))

    assert sorted(m.dedupe_key for _, m in claimed) == ["m1", "m2"]


def test_claiming_leases_due_messages_until_the_lease_runs_out(configured):
    booking = make_booking()
    with UnitOfWork(configured) as uow:
        uow.bookings.add("T0001", booking)
        uow.outbox.add(
            "T0001",
            [
                a_message("due", booking_id=booking.id),
                a_message("later", due=T0 + timedelta(hours=1), booking_id=booking.id),
            ],
        )
        uow.commit()
    lease = timedelta(minutes=5)

    with UnitOfWork(configured) as uow:
        uow.begin_write()
        [(team, message)] = uow.outbox.claim_due(now=T0, lease=lease)
        assert uow.outbox.claim_due(now=T0 + timedelta(minutes=1), lease=lease) == []
        [(_, again)] = uow.outbox.claim_due(now=T0 + lease, lease=lease)
        uow.commit()

    assert (team, message.dedupe_key, message.status) == ("T0001", "due", OutboxStatus.CLAIMED)
    assert (again.id, again.attempts) == (message.id, 2)


def test_sent_failed_and_skipped_messages_are_recorded(configured):
    booking = make_booking()
    messages = [a_message(key, booking_id=booking.id) for key in ("a", "b", "c", "d")]
    with UnitOfWork(configured) as uow:
        uow.bookings.add("T0001", booking)
        uow.outbox.add("T0001", messages)
        uow.outbox.mark_sent("T0001", messages[0].id, at=T0, slack_ts="1.2")
        uow.outbox.mark_failed("T0001", messages[1].id, error="boom", retry_at=None)
        uow.outbox.mark_failed(
            "T0001", messages[2].id, error="429", retry_at=T0 + timedelta(minutes=1)
        )
        assert uow.outbox.skip_pending("T0001", booking.id, recipient="U0ALICE") == 2
        stored = uow.outbox.for_booking("T0001", booking.id)

    assert [(m.dedupe_key, m.status) for m in stored] == [
        ("a", OutboxStatus.SENT),
        ("b", OutboxStatus.FAILED),
        ("d", OutboxStatus.SKIPPED),
        ("c", OutboxStatus.SKIPPED),
    ]
    assert (stored[0].sent_at, stored[0].slack_ts, stored[1].last_error) == (T0, "1.2", "boom")
