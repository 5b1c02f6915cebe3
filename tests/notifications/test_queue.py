"""Which outbox rows a booking, a cancellation and a reassignment queue, and for whom."""

from __future__ import annotations

from datetime import timedelta

from engine.records import Booking, OutboxStatus, Participant, Reassignment
from services.notifications import queue_booked, queue_cancelled, queue_reassigned
from storage.uow import UnitOfWork
from tests.notifications.conftest import NOW, START, TEAM, a_booking, book, workspace_config


def rows(engine, booking_id, *, status=None):
    with UnitOfWork(engine) as uow:
        found = uow.outbox.for_booking(TEAM, booking_id)
    return [m for m in found if status is None or m.status is status]


def summary(messages):
    return sorted((m.kind, m.recipient, m.payload.get("offset_minutes")) for m in messages)


def test_a_booking_confirms_to_people_notifies_managers_and_schedules_reminders(workspace):
    booking = book(workspace, a_booking(others=("carol",)))

    assert summary(rows(workspace, booking.id)) == sorted(
        [
            ("booked", "U0CUSTOMER", None),
            ("booked", "U0ALICE", None),
            ("booked", "U0CAROL", None),
            ("manager_notice", "U0BOSS", None),
            ("manager_notice", "U0DEPUTY", None),
            ("manager_notice", "C0ROOMS", None),
        ]
        + [("notice_started", who, None) for who in ("U0BOSS", "U0DEPUTY", "C0ROOMS")]
        + [
            ("reminder", user, offset)
            for user in ("U0CUSTOMER", "U0ALICE", "U0CAROL")
            for offset in (24 * 60, 15)
        ]
    )


def test_reminders_are_due_at_the_event_types_offsets_before_the_start(workspace):
    booking = book(
        workspace, a_booking(owner="carol", owner_pool=None, room=False, event_type="quick")
    )

    reminders = [m for m in rows(workspace, booking.id) if m.kind == "reminder"]
    assert {(m.recipient, m.due_at) for m in reminders} == {
        ("U0CUSTOMER", START - timedelta(hours=1)),
        ("U0CAROL", START - timedelta(hours=1)),
    }
    assert not [m for m in rows(workspace, booking.id) if m.kind == "manager_notice"]


def test_a_reminder_already_past_at_booking_time_is_not_queued(workspace):
    booking = book(workspace, a_booking(NOW + timedelta(hours=3), customer=None, room=False))

    reminders = [m for m in rows(workspace, booking.id) if m.kind == "reminder"]
    assert [(m.recipient, m.payload["offset_minutes"]) for m in reminders] == [("U0ALICE", 15)]


def test_a_guest_gets_no_slack_messages(workspace):
    booking = book(workspace, a_booking(customer=None))

    recipients = {m.recipient for m in rows(workspace, booking.id)}
    assert recipients == {"U0ALICE", "U0BOSS", "U0DEPUTY", "C0ROOMS"}


def test_a_customer_who_owns_the_page_is_told_once(workspace):
    booking = book(workspace, a_booking(customer="U0ALICE", room=False))

    alice = [m for m in rows(workspace, booking.id) if m.recipient == "U0ALICE"]
    assert summary(alice) == [
        ("booked", "U0ALICE", None),
        ("reminder", "U0ALICE", 15),
        ("reminder", "U0ALICE", 24 * 60),
    ]


def test_a_pool_with_a_channel_gets_one_notice_there_instead_of_manager_dms(db_engine):
    with UnitOfWork(db_engine) as uow:
        uow.config.save(workspace_config(sales_channel="C0SALES"), now=NOW)
        uow.commit()
    booking = book(db_engine, a_booking())

    notices = [m for m in rows(db_engine, booking.id) if m.kind == "manager_notice"]
    assert sorted((m.recipient, m.payload["pool"]) for m in notices) == [
        ("C0ROOMS", "rooms"),
        ("C0SALES", "sales"),
    ]


def test_queueing_a_booking_twice_adds_nothing(workspace):
    booking = book(workspace, a_booking())
    with UnitOfWork(workspace) as uow:
        queue_booked(uow, TEAM, booking, NOW)
        uow.commit()

    # booked, manager notices, their redraws at the start, reminders
    assert len(rows(workspace, booking.id)) == 2 + 3 + 3 + 2 * 2


def test_cancelling_skips_pending_messages_and_tells_everyone(workspace):
    booking = book(workspace, a_booking())
    with UnitOfWork(workspace) as uow:
        uow.bookings.cancel(TEAM, booking.id, at=NOW, by="U0CUSTOMER")
        queue_cancelled(uow, TEAM, booking, NOW + timedelta(minutes=1))
        uow.commit()

    pending = rows(workspace, booking.id, status=OutboxStatus.PENDING)
    assert summary(pending) == sorted(
        ("cancelled", who, None)
        for who in ("U0CUSTOMER", "U0ALICE", "U0BOSS", "U0DEPUTY", "C0ROOMS")
    )
    skipped = rows(workspace, booking.id, status=OutboxStatus.SKIPPED)
    assert {m.kind for m in skipped} == {"booked", "manager_notice", "notice_started", "reminder"}


def reassign(engine, booking, to_page, *, reason=None, tell_customer=False, at=NOW, seat="alice"):
    after = Booking(
        **{
            **{f: getattr(booking, f) for f in booking.__slots__},
            "participants": tuple(
                Participant(to_page, p.seat, p.role, p.pool) if p.page == seat else p
                for p in booking.participants
            ),
        }
    )
    record = Reassignment(booking.id, seat, to_page, at, by="U0BOSS", reason=reason)
    with UnitOfWork(engine) as uow:
        uow.bookings.move_seat(TEAM, booking.id, seat, to_page)
        uow.audit.add(TEAM, record)
        queue_reassigned(uow, TEAM, booking, after, record, tell_customer, at)
        uow.commit()
    return after


def test_reassigning_moves_the_reminders_to_the_new_host(workspace):
    booking = book(workspace, a_booking(room=False))
    reassign(workspace, booking, "bob", at=NOW + timedelta(hours=1))

    pending = rows(workspace, booking.id, status=OutboxStatus.PENDING)
    assert summary(m for m in pending if m.recipient in ("U0ALICE", "U0BOB")) == [
        ("reassigned_away", "U0ALICE", None),
        ("reassigned_to", "U0BOB", None),
        ("reminder", "U0BOB", 15),
        ("reminder", "U0BOB", 24 * 60),
    ]
    skipped = rows(workspace, booking.id, status=OutboxStatus.SKIPPED)
    assert summary(skipped) == [
        ("booked", "U0ALICE", None),
        ("reminder", "U0ALICE", 15),
        ("reminder", "U0ALICE", 24 * 60),
    ]
    assert not [m for m in pending if m.kind == "reassigned_customer"]


def test_the_customer_is_told_of_a_reassignment_only_with_a_reason(workspace):
    quiet = book(workspace, a_booking(room=False))
    reassign(workspace, quiet, "bob", tell_customer=True)
    told = book(workspace, a_booking(START + timedelta(hours=2), room=False))
    reassign(workspace, told, "bob", tell_customer=True, reason="Alice is ill")

    assert not [m for m in rows(workspace, quiet.id) if m.kind == "reassigned_customer"]
    [notice] = [m for m in rows(workspace, told.id) if m.kind == "reassigned_customer"]
    assert (notice.recipient, notice.payload["reason"]) == ("U0CUSTOMER", "Alice is ill")


def test_reassigning_back_queues_the_first_hosts_reminders_again(workspace):
    booking = book(workspace, a_booking(room=False))
    moved = reassign(workspace, booking, "bob", at=NOW + timedelta(hours=1))
    reassign(workspace, moved, "alice", seat="bob", at=NOW + timedelta(hours=2))

    pending = rows(workspace, booking.id, status=OutboxStatus.PENDING)
    assert summary(m for m in pending if m.kind == "reminder" and m.recipient != "U0CUSTOMER") == [
        ("reminder", "U0ALICE", 15),
        ("reminder", "U0ALICE", 24 * 60),
    ]


def test_a_reassignment_that_started_with_past_reminders_queues_only_those_ahead(workspace):
    booking = book(workspace, a_booking(room=False))
    reassign(workspace, booking, "bob", at=START - timedelta(hours=2))

    bob = [
        m for m in rows(workspace, booking.id) if m.recipient == "U0BOB" and m.kind == "reminder"
    ]
    assert [m.payload["offset_minutes"] for m in bob] == [15]


def test_the_old_host_who_is_also_the_customer_keeps_the_customers_reminders(workspace):
    booking = book(workspace, a_booking(customer="U0ALICE", room=False))
    reassign(workspace, booking, "bob")

    alice = rows(workspace, booking.id, status=OutboxStatus.PENDING)
    assert summary(m for m in alice if m.recipient == "U0ALICE") == [
        ("booked", "U0ALICE", None),
        ("reassigned_away", "U0ALICE", None),
        ("reminder", "U0ALICE", 15),
        ("reminder", "U0ALICE", 24 * 60),
    ]
