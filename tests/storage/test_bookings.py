from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest

from engine.errors import Aborted, Duplicate, NotFound, Overlap
from engine.model import BookingStatus
from engine.records import Reassignment
from storage.uow import UnitOfWork
from tests.storage.conftest import T0, make_booking, sample_config


def add(engine, *bookings, workspace="T0001"):
    with UnitOfWork(engine) as uow:
        for booking in bookings:
            uow.bookings.add(workspace, booking)
        uow.commit()


def test_a_booking_reads_back_equal(configured):
    booking = make_booking(
        buffer_after=timedelta(minutes=10),
        customer_slack_user="U0CUSTOMER",
        customer_timezone="Europe/Paris",
        form_answers={"topic": "pricing"},
        idempotency_key="k1",
        created_by="U0CUSTOMER",
    )
    add(configured, booking)

    with UnitOfWork(configured) as uow:
        assert uow.bookings.get("T0001", booking.id) == booking
        assert uow.bookings.by_idempotency_key("T0001", "k1") == booking
        assert uow.bookings.get("T0001", "not-a-uuid") is None


def test_a_customers_confirmed_bookings_not_yet_ended_leave_out_the_others(configured):
    ended = make_booking(T0 - timedelta(days=1), customer_slack_user="U1")
    cancelled = make_booking(T0 + timedelta(hours=1), customer_slack_user="U1")
    later = make_booking(T0 + timedelta(days=1), customer_slack_user="U1")
    soon = make_booking(T0, customer_slack_user="U1")
    someone_else = make_booking(T0 + timedelta(hours=2), customer_slack_user="U2")
    add(configured, ended, cancelled, later, soon, someone_else)

    with UnitOfWork(configured) as uow:
        uow.bookings.cancel("T0001", cancelled.id, at=T0, by="U1")
        upcoming = uow.bookings.matching(
            "T0001", customer="U1", ends_after=T0, status=BookingStatus.CONFIRMED
        )

    assert [b.id for b in upcoming] == [soon.id, later.id]


def test_cancelling_records_who_and_when(configured):
    booking = make_booking()
    add(configured, booking)

    with UnitOfWork(configured) as uow:
        uow.bookings.cancel("T0001", booking.id, at=T0, by="U0ADMIN")
        uow.commit()
    with UnitOfWork(configured) as uow:
        stored = uow.bookings.get("T0001", booking.id)

    expected = replace(
        booking, status=BookingStatus.CANCELLED, cancelled_at=T0, cancelled_by="U0ADMIN"
    )
    assert stored == expected


def test_moving_the_owners_seat_makes_the_new_page_the_owner(configured):
    booking = make_booking()
    add(configured, booking)

    with UnitOfWork(configured) as uow:
        uow.bookings.move_seat("T0001", booking.id, "alice", "bob")
        uow.audit.add("T0001", Reassignment(booking.id, "alice", "bob", T0, "U0BOSS", "sick"))
        uow.commit()
    with UnitOfWork(configured) as uow:
        moved = uow.bookings.get("T0001", booking.id)
        audit = uow.audit.for_booking("T0001", booking.id)

    assert moved is not None
    assert moved.owner == "bob"
    assert [p.page for p in moved.participants] == ["bob", "room-a"]
    assert audit == [Reassignment(booking.id, "alice", "bob", T0, "U0BOSS", "sick")]


def test_moving_a_seat_the_page_does_not_hold_is_not_found(configured):
    booking = make_booking()
    add(configured, booking)

    with UnitOfWork(configured) as uow, pytest.raises(NotFound):
        uow.bookings.move_seat("T0001", booking.id, "bob", "alice")


def test_a_booking_naming_an_unknown_page_is_not_found(configured):
    with UnitOfWork(configured) as uow, pytest.raises(NotFound, match="nobody"):
        uow.bookings.add("T0001", make_booking(pages=("nobody",)))


def test_another_workspace_never_sees_a_booking(configured):
    with UnitOfWork(configured) as uow:
        uow.config.save(sample_config("T0002"), now=T0)
        uow.commit()
    booking = make_booking(idempotency_key="same", customer_slack_user="U1")
    add(configured, booking)
    twin = make_booking(idempotency_key="same", customer_slack_user="U1")
    add(configured, twin, workspace="T0002")

    with UnitOfWork(configured) as uow:
        assert uow.bookings.get("T0002", booking.id) is None
        assert uow.bookings.by_idempotency_key("T0002", "same") == twin
        assert uow.bookings.matching("T0002", customer="U1", ends_after=T0) == [twin]
        with pytest.raises(NotFound):
            uow.bookings.cancel("T0002", booking.id, at=T0, by=None)


def test_an_idempotency_key_is_used_once_per_workspace(configured):
    add(configured, make_booking(idempotency_key="k"))

    with pytest.raises(Duplicate):
        add(configured, make_booking(T0 + timedelta(hours=1), idempotency_key="k"))


@pytest.mark.postgres
def test_postgres_refuses_overlapping_confirmed_bookings_of_one_page(postgres_engine):
    with UnitOfWork(postgres_engine) as uow:
        uow.config.save(sample_config(), now=T0)
        uow.commit()
    add(postgres_engine, make_booking(T0, pages=("alice",)))

    with pytest.raises(Overlap, match="ex_booking_participants_overlap"):
        add(postgres_engine, make_booking(T0 + timedelta(minutes=15), pages=("bob", "alice")))


@pytest.mark.postgres
def test_a_deadlock_on_postgres_leaves_the_unit_of_work_as_aborted(postgres_engine):
    with UnitOfWork(postgres_engine) as uow:
        uow.config.save(sample_config(), now=T0)
        uow.commit()
    both_hold_one = threading.Barrier(2, timeout=20)
    outcomes: list[str] = []

    def lock(first: str, second: str) -> None:
        try:
            with UnitOfWork(postgres_engine) as uow:
                uow.lock_pages("T0001", [first])
                both_hold_one.wait()
                uow.lock_pages("T0001", [second])  # one of the two waits for the other
                uow.commit()
            outcomes.append("committed")
        except Aborted:
            outcomes.append("aborted")

    threads = [
        threading.Thread(target=lock, args=("alice", "bob")),
        threading.Thread(target=lock, args=("bob", "alice")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["aborted", "committed"]


@pytest.mark.postgres
def test_postgres_allows_back_to_back_and_cancelled_overlaps(postgres_engine):
    with UnitOfWork(postgres_engine) as uow:
        uow.config.save(sample_config(), now=T0)
        uow.commit()
    first = make_booking(T0, pages=("alice",))
    add(postgres_engine, first)
    with UnitOfWork(postgres_engine) as uow:
        uow.bookings.cancel("T0001", first.id, at=T0, by=None)
        uow.commit()

    add(
        postgres_engine,
        make_booking(T0, pages=("alice",)),
        make_booking(T0 + timedelta(minutes=30), pages=("alice",)),
        make_booking(T0 - timedelta(minutes=30), pages=("alice",)),
    )
