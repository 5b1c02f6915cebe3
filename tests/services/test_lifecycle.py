"""Rescheduling, no-shows and listing bookings through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from engine.errors import (
    BookingCancelled,
    BookingNoShow,
    BookingStarted,
    NotFound,
    NotStarted,
    SlotUnavailable,
)
from engine.model import BookingStatus, LedgerKind
from engine.records import OutboxStatus
from services.booking import Customer
from services.booking_changes import cancel, mark_no_show, reschedule, reschedule_slots
from services.booking_reads import BookingFilter, list_bookings
from services.context import Actor, CommandLine, Guest, SlackUser
from services.errors import Forbidden
from services.reporting import pool_report
from storage.uow import UnitOfWork
from tests.services.booking_world import (
    ADMIN,
    BOSS,
    NOW,
    STRANGER,
    WS,
    at,
    book_at,
    counts,
    setup,
)

CUSTOMER = SlackUser("U0CUST")


@pytest.fixture
def world(db_engine: Engine, tmp_path: Path) -> Engine:
    setup(db_engine, tmp_path)
    return db_engine


def _busy(engine: Engine, tmp_path: Path, *blocks: tuple[str, datetime, datetime]) -> None:
    busy = [{"page": p, "start": s.isoformat(), "end": e.isoformat()} for p, s, e in blocks]
    setup(engine, tmp_path, lambda d: d.update(busy=busy))


def _ledger(engine: Engine) -> list[tuple[str, str, LedgerKind]]:
    """Return the workspace's ledger entries up to 9:00, sorted (a count stands for several)."""
    with UnitOfWork(engine) as uow:
        schedule = uow.schedules.load(WS, NOW, NOW, now=at(9, 0), pages=())
    return sorted(
        (entry.pool, entry.page, entry.kind)
        for entries in schedule.ledger.values()
        for entry in entries
        for _ in range(entry.count)
    )


def _outbox(engine: Engine, booking_id: str) -> list[Any]:
    with UnitOfWork(engine) as uow:
        return uow.outbox.for_booking(WS, booking_id)


def test_a_reschedule_keeps_the_id_and_the_free_page_and_moves_the_time(world: Engine) -> None:
    booking = book_at(world, "desk", "chat", at(1, 9))
    moved = reschedule(world, WS, booking.id, start=at(2, 14), actor=CUSTOMER, now=NOW)
    assert moved.id == booking.id
    assert (moved.start, moved.end) == (at(2, 14), at(2, 14, 30))
    assert [p.page for p in moved.participants] == [p.page for p in booking.participants]
    assert moved.customer_slack_user == "U0CUST"
    assert counts(world)["bookings"] == 1


def test_a_reschedule_frees_the_old_time_and_blocks_the_new_one(world: Engine) -> None:
    booking = book_at(world, "panel", "meet", at(1, 9))
    reschedule(world, WS, booking.id, start=at(1, 11), actor=ADMIN, now=NOW)
    again = book_at(world, "panel", "meet", at(1, 9))
    assert again.participants[0].page == "dave"
    with pytest.raises(SlotUnavailable):
        book_at(world, "panel", "meet", at(1, 11))


def test_a_pool_seat_whose_page_is_busy_is_refilled_with_ledger_entries(
    db_engine: Engine, tmp_path: Path
) -> None:
    _busy(db_engine, tmp_path, ("alice", at(2, 9), at(2, 12)))
    booking = book_at(db_engine, "desk", "chat", at(1, 9))
    assert booking.owner == "alice"
    moved = reschedule(db_engine, WS, booking.id, start=at(2, 10), actor=ADMIN, now=NOW)
    assert moved.owner in {"bob", "carol"}
    assert _ledger(db_engine) == sorted(
        [
            ("desk", "alice", LedgerKind.RECEIVED),
            ("desk", "alice", LedgerKind.REMOVED),
            ("desk", moved.owner, LedgerKind.RECEIVED),
        ]
    )


def test_a_page_the_customer_picked_refuses_a_time_it_is_not_free(
    db_engine: Engine, tmp_path: Path
) -> None:
    _busy(db_engine, tmp_path, ("bob", at(2, 9), at(2, 12)))
    booking = book_at(
        db_engine, "bytime", "intro", at(1, 9), pick="bob", form_answers={"topic": "x"}
    )
    before = counts(db_engine)
    with pytest.raises(SlotUnavailable, match="'bob' is not free"):
        reschedule(db_engine, WS, booking.id, start=at(2, 10), actor=ADMIN, now=NOW)
    assert counts(db_engine) == before
    moved = reschedule(db_engine, WS, booking.id, start=at(2, 14), actor=ADMIN, now=NOW)
    assert moved.owner == "bob"


def test_the_booking_itself_does_not_count_towards_its_pages_daily_limit(
    db_engine: Engine, tmp_path: Path
) -> None:
    def limit(data: dict[str, Any]) -> None:
        for page in data["booking_pages"]:
            page["max_per_day"] = 1

    setup(db_engine, tmp_path, limit)
    booking = book_at(db_engine, "panel", "meet", at(1, 9))
    moved = reschedule(db_engine, WS, booking.id, start=at(1, 14), actor=ADMIN, now=NOW)
    assert [p.page for p in moved.participants] == [p.page for p in booking.participants]


def test_the_reschedule_picker_offers_the_booking_s_own_time_and_others(world: Engine) -> None:
    booking = book_at(world, "panel", "meet", at(1, 9))
    day = at(1, 0).date()
    slots = reschedule_slots(world, WS, booking.id, day, day, tz=None, actor=ADMIN, now=NOW)
    starts = [slot.start for slot in slots]
    assert at(1, 9) in starts  # its own time is free once it is left out
    assert at(1, 16) in starts


def test_a_start_that_is_not_offered_is_refused_and_writes_nothing(world: Engine) -> None:
    booking = book_at(world, "desk", "chat", at(1, 9))
    before = counts(world)
    for start in (at(1, 9, 10), at(5, 10), at(1, 18)):  # off the grid, Saturday, after hours
        with pytest.raises(SlotUnavailable):
            reschedule(world, WS, booking.id, start=start, actor=ADMIN, now=NOW)
    assert counts(world) == before


def test_moving_to_the_time_it_already_has_changes_nothing(world: Engine) -> None:
    booking = book_at(world, "desk", "chat", at(1, 9))
    before = counts(world)
    assert reschedule(world, WS, booking.id, start=at(1, 9), actor=ADMIN, now=NOW) == booking
    assert counts(world) == before


def test_two_reschedules_into_one_slot_the_second_is_refused(world: Engine) -> None:
    first = book_at(world, "panel", "meet", at(1, 9))
    second = book_at(world, "panel", "meet", at(1, 10))
    reschedule(world, WS, first.id, start=at(1, 14), actor=ADMIN, now=NOW)
    with pytest.raises(SlotUnavailable):
        reschedule(world, WS, second.id, start=at(1, 14), actor=ADMIN, now=NOW)


def test_who_may_reschedule(world: Engine) -> None:
    booking = book_at(world, "desk", "chat", at(1, 9))
    owner = SlackUser("U0" + booking.owner.upper())
    for actor in (STRANGER, BOSS, Guest("another-booking")):
        with pytest.raises(Forbidden):
            reschedule(world, WS, booking.id, start=at(1, 10), actor=actor, now=NOW)
    for number, actor in enumerate((CUSTOMER, owner, ADMIN, Guest(booking.id))):
        moved = reschedule(world, WS, booking.id, start=at(2, 9 + number), actor=actor, now=NOW)
        assert moved.start == at(2, 9 + number)


def test_a_started_cancelled_or_unknown_booking_cannot_be_rescheduled(world: Engine) -> None:
    booking = book_at(world, "desk", "chat", at(1, 9))
    with pytest.raises(BookingStarted):
        reschedule(world, WS, booking.id, start=at(2, 9), actor=ADMIN, now=at(1, 9, 5))
    cancel(world, WS, booking.id, actor=ADMIN, now=NOW)
    with pytest.raises(BookingCancelled):
        reschedule(world, WS, booking.id, start=at(2, 9), actor=ADMIN, now=NOW)
    with pytest.raises(NotFound):
        reschedule(world, WS, "not-a-booking", start=at(2, 9), actor=ADMIN, now=NOW)


def test_a_reschedule_replaces_the_reminders_and_tells_everyone(world: Engine) -> None:
    booking = book_at(world, "panel", "meet", at(2, 9))
    moved = reschedule(world, WS, booking.id, start=at(3, 14), actor=ADMIN, now=NOW)
    messages = _outbox(world, moved.id)
    reminders = [m for m in messages if m.kind == "reminder"]
    pending = {(m.recipient, m.due_at) for m in reminders if m.status is OutboxStatus.PENDING}
    people = {"U0CUST", "U0DAVE", "U0ERIN"}
    assert pending == {
        (user, at(3, 14) - offset)
        for user in people
        for offset in (timedelta(hours=24), timedelta(minutes=15))
    }
    old = [m for m in reminders if m.due_at < at(2, 9)]
    assert len(old) == 6
    assert all(m.status is OutboxStatus.SKIPPED for m in old)
    told = [m for m in messages if m.kind == "rescheduled"]
    assert {m.recipient for m in told} == people | {"U0FACIL"}
    assert {m.payload["from_start"] for m in told} == {at(2, 9).isoformat()}
    booked = [m for m in messages if m.kind == "booked"]
    assert all(m.status is OutboxStatus.PENDING for m in booked)  # rendered at send time
    redraws = {(m.due_at, m.status) for m in messages if m.kind == "notice_started"}
    assert redraws == {(at(2, 9), OutboxStatus.SKIPPED), (at(3, 14), OutboxStatus.PENDING)}


def test_a_host_whose_seat_was_refilled_is_told_and_loses_the_reminders(
    db_engine: Engine, tmp_path: Path
) -> None:
    _busy(db_engine, tmp_path, ("alice", at(3, 9), at(3, 17)))
    booking = book_at(db_engine, "desk", "chat", at(2, 9))
    moved = reschedule(db_engine, WS, booking.id, start=at(3, 10), actor=ADMIN, now=NOW)
    messages = _outbox(db_engine, moved.id)
    assert "U0ALICE" in {m.recipient for m in messages if m.kind == "rescheduled"}
    alice_pending = [
        m for m in messages if m.recipient == "U0ALICE" and m.status is OutboxStatus.PENDING
    ]
    assert {m.kind for m in alice_pending} <= {"booked", "rescheduled"}


def test_a_no_show_is_marked_once_the_meeting_started_and_counts_as_removed(
    world: Engine,
) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9), now=at(1, 7))  # December's cycle
    with pytest.raises(NotStarted):
        mark_no_show(world, WS, booking.id, actor=ADMIN, now=at(1, 8, 59))
    marked = mark_no_show(world, WS, booking.id, actor=BOSS, now=at(1, 9, 10))
    assert marked.status is BookingStatus.NO_SHOW
    assert _ledger(world) == sorted(
        [
            ("sales", booking.owner, LedgerKind.RECEIVED),
            ("sales", booking.owner, LedgerKind.NO_SHOW),
            ("sales", booking.owner, LedgerKind.REMOVED),
        ]
    )
    report = pool_report(world, WS, "sales", actor=ADMIN, now=at(1, 12))
    row = next(m for m in report.members if m.page == booking.owner)
    assert (row.received, row.removed, row.net, row.no_show) == (1, 1, 0, 1)
    with pytest.raises(BookingNoShow):
        mark_no_show(world, WS, booking.id, actor=ADMIN, now=at(1, 9, 20))
    with pytest.raises(BookingNoShow):
        reschedule(world, WS, booking.id, start=at(2, 9), actor=ADMIN, now=at(1, 9, 20))


def test_without_automatic_correction_a_no_show_is_counted_but_not_removed(
    db_engine: Engine, tmp_path: Path
) -> None:
    def no_correction(data: dict[str, Any]) -> None:
        data["pools"][0]["automatic_correction"] = False

    setup(db_engine, tmp_path, no_correction)
    booking = book_at(db_engine, "demo", "chat", at(1, 9), now=at(1, 7))
    mark_no_show(db_engine, WS, booking.id, actor=ADMIN, now=at(1, 10))
    report = pool_report(db_engine, WS, "sales", actor=ADMIN, now=at(1, 12))
    row = next(m for m in report.members if m.page == booking.owner)
    assert (row.received, row.removed, row.no_show) == (1, 0, 1)


def test_who_may_mark_a_no_show(world: Engine) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9))
    later = at(1, 10)
    for actor in (STRANGER, SlackUser("U0CUST"), Guest(booking.id), SlackUser("U0FACIL")):
        with pytest.raises(Forbidden):
            mark_no_show(world, WS, booking.id, actor=actor, now=later)
    owner = SlackUser("U0" + booking.owner.upper())
    assert mark_no_show(world, WS, booking.id, actor=owner, now=later).status.value == "no_show"


def test_a_no_show_keeps_its_time_blocked(world: Engine) -> None:
    booking = book_at(world, "panel", "meet", at(1, 9))
    mark_no_show(world, WS, booking.id, actor=ADMIN, now=at(1, 9, 5))
    with pytest.raises(SlotUnavailable):
        book_at(world, "panel", "meet", at(1, 9), now=NOW)


def test_bookings_are_listed_soonest_first_as_far_as_the_actor_may_see(world: Engine) -> None:
    late = book_at(world, "demo", "chat", at(2, 9))  # sales: managed by U0BOSS
    early = book_at(world, "panel", "meet", at(1, 9), customer=Customer(slack_user="U0KIM"))
    rooms = next(p.page for p in early.participants if p.pool == "rooms")

    def ids(actor: Actor, **wanted: Any) -> list[str]:
        return [b.id for b in list_bookings(world, WS, BookingFilter(**wanted), actor=actor)]

    assert ids(ADMIN) == [early.id, late.id]
    assert ids(CommandLine()) == [early.id, late.id]
    assert ids(SlackUser("U0KIM")) == [early.id]
    assert ids(CUSTOMER) == [late.id]
    assert ids(BOSS) == [late.id]  # a manager of the pool
    assert ids(SlackUser("U0FACIL")) == [early.id]  # rooms
    assert ids(SlackUser("U0DAVE")) == [early.id]  # a host
    assert ids(STRANGER) == []
    assert ids(ADMIN, page=rooms) == [early.id]
    assert ids(ADMIN, customer_slack="U0CUST") == [late.id]
    assert ids(ADMIN, ends_after=at(1, 10)) == [late.id]
    assert ids(ADMIN, starts_before=at(1, 10)) == [early.id]
    assert ids(ADMIN, mine=True) == []
    cancel(world, WS, early.id, actor=ADMIN, now=NOW)
    assert ids(ADMIN, status=BookingStatus.CANCELLED) == [early.id]
    assert ids(ADMIN, status=BookingStatus.CONFIRMED) == [late.id]
    with pytest.raises(NotFound):
        ids(ADMIN, page="zed")


def test_two_moves_at_one_instant_each_queue_their_messages(world: Engine) -> None:
    booking = book_at(world, "panel", "meet", at(2, 9))
    reschedule(world, WS, booking.id, start=at(3, 14), actor=ADMIN, now=NOW)
    reschedule(world, WS, booking.id, start=at(4, 10), actor=ADMIN, now=NOW)
    messages = _outbox(world, booking.id)
    pending = {
        m.due_at for m in messages if m.kind == "reminder" and m.status is OutboxStatus.PENDING
    }
    assert pending == {at(4, 10) - timedelta(hours=24), at(4, 10) - timedelta(minutes=15)}
    told = [m for m in messages if m.kind == "rescheduled" and m.recipient == "U0CUST"]
    assert sorted(m.payload["from_start"] for m in told) == [
        at(2, 9).isoformat(),
        at(3, 14).isoformat(),
    ]
