"""Booking, cancelling and reassigning through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from engine.errors import BadInput, SlotUnavailable
from engine.model import BookingStatus
from services.booking import Customer, book
from services.booking_changes import cancel
from services.booking_reads import my_upcoming, upcoming_bookings
from services.booking_reassign import Candidate, reassign, reassign_candidates
from services.context import Actor, SlackUser
from services.errors import (
    Forbidden,
    LinkExpired,
    LinkRefused,
    LinkRevoked,
    LinkUnknown,
    LinkUsed,
)
from services.links import create_link, resolve_link, revoke_link
from services.reporting import pool_report
from services.slots import Choice, bookable, offered_slots, plan_link
from storage import config_cache
from storage.uow import UnitOfWork
from tests.services.booking_world import (
    ADMIN,
    BOSS,
    CLI,
    NOW,
    STRANGER,
    WS,
    at,
    book_at,
    counts,
    request,
    setup,
)


@pytest.fixture
def world(db_engine: Engine, tmp_path: Path) -> Engine:
    setup(db_engine, tmp_path)
    return db_engine


def _busy(engine: Engine, tmp_path: Path, page: str, start: datetime, end: datetime) -> None:
    block = {"page": page, "start": start.isoformat(), "end": end.isoformat()}
    setup(engine, tmp_path, lambda d: d.update(busy=[block]))


def _link(engine: Engine, master: str = "guest", **more: Any) -> str:
    more.setdefault("now", NOW)
    return create_link(engine, WS, master, actor=ADMIN, public_url="http://x", **more).token


def test_a_panel_booking_takes_distinct_pages_and_a_free_room(
    db_engine: Engine, tmp_path: Path
) -> None:
    _busy(db_engine, tmp_path, "room-a", at(1, 9), at(1, 10))
    booking = book_at(db_engine, "panel", "meet", at(1, 9))
    assert [(p.page, p.role.value, p.pool) for p in booking.participants] == [
        ("dave", "owner", None),
        ("erin", "participant", None),
        ("room-b", "participant", "rooms"),
    ]
    assert (booking.start, booking.end) == (at(1, 9), at(1, 10))


def test_a_panel_is_offered_only_while_everyone_and_a_room_are_free(
    db_engine: Engine, tmp_path: Path
) -> None:
    _busy(db_engine, tmp_path, "erin", at(1, 9), at(1, 12))
    slots = offered_slots(
        db_engine, WS, "panel", "meet", at(1, 0).date(), at(1, 0).date(), tz=None, now=NOW,
        actor=ADMIN,
    )  # fmt: skip
    assert slots[0].start == at(1, 12)
    with pytest.raises(SlotUnavailable):
        book_at(db_engine, "panel", "meet", at(1, 9))


def test_reassigning_the_room_keeps_the_time_and_moves_the_count(world: Engine) -> None:
    booking = book_at(world, "panel", "meet", at(1, 9))
    moved = reassign(
        world,
        WS,
        booking.id,
        to_page="room-b",
        seat_page="room-a",
        actor=SlackUser("U0FACIL"),
        now=NOW,
    )
    assert [p.page for p in moved.participants] == ["dave", "erin", "room-b"]
    assert (moved.start, moved.end, moved.owner) == (booking.start, booking.end, "dave")
    report = pool_report(world, WS, "rooms", actor=ADMIN, now=NOW)
    assert {m.page: (m.received, m.removed) for m in report.members} == {
        "room-a": (1, 1),
        "room-b": (1, 0),
    }


def test_a_reassignment_is_audited_and_queues_notices(world: Engine) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9))
    before = counts(world)
    reassign(world, WS, booking.id, to_page="carol", reason="holiday", actor=BOSS, now=NOW)
    after = counts(world)
    assert after["reassignments"] == before["reassignments"] + 1
    assert after["ledger"] == before["ledger"] + 2
    assert after["outbox"] > before["outbox"]
    with UnitOfWork(world) as uow:
        (record,) = uow.audit.for_booking(WS, booking.id)
    assert (record.from_page, record.to_page, record.by, record.reason, record.forced) == (
        "alice", "carol", "U0BOSS", "holiday", False
    )  # fmt: skip


def test_a_forced_reassignment_onto_a_busy_target_is_audited_as_forced(
    db_engine: Engine, tmp_path: Path
) -> None:
    setup(db_engine, tmp_path)
    booking = book_at(db_engine, "demo", "chat", at(1, 9))
    _busy(db_engine, tmp_path, "bob", at(1, 8), at(1, 10))
    reassign(db_engine, WS, booking.id, to_page="bob", force=True, actor=CLI, now=NOW)
    with UnitOfWork(db_engine) as uow:
        assert uow.audit.for_booking(WS, booking.id)[0].forced


def test_a_fixed_seat_moves_only_to_a_page_of_its_kind(world: Engine) -> None:
    booking = book_at(world, "panel", "meet", at(1, 9))
    with pytest.raises(BadInput) as caught:
        reassign(world, WS, booking.id, to_page="room-b", actor=ADMIN, now=NOW)
    assert caught.value.field == "to"
    moved = reassign(world, WS, booking.id, to_page="carol", actor=ADMIN, now=NOW)
    assert moved.owner == "carol"


def test_reassign_candidates_list_the_free_members_first_and_mark_the_busy(
    world: Engine,
) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9))  # alice
    book_at(world, "demo", "chat", at(1, 9))  # bob, busy then
    found = reassign_candidates(world, WS, booking.id, actor=BOSS, now=NOW)
    assert found == [Candidate("carol", "Carol", True), Candidate("bob", "Bob", False)]


def test_reassign_candidates_of_a_fixed_seat_are_the_pages_of_its_kind(world: Engine) -> None:
    booking = book_at(world, "panel", "meet", at(1, 9))
    found = reassign_candidates(world, WS, booking.id, actor=ADMIN, now=NOW)
    assert [c.page for c in found] == ["alice", "bob", "carol"]
    rooms = reassign_candidates(world, WS, booking.id, seat_page="room-a", actor=ADMIN, now=NOW)
    assert rooms == [Candidate("room-b", "Room B", True)]


def test_reassign_candidates_are_forbidden_to_strangers(world: Engine) -> None:
    booking = book_at(world, "demo", "chat", at(1, 9))
    with pytest.raises(Forbidden):
        reassign_candidates(world, WS, booking.id, actor=STRANGER, now=NOW)


def test_the_owner_and_the_customer_may_cancel_but_a_pool_manager_may_not(world: Engine) -> None:
    first = book_at(world, "demo", "chat", at(1, 9))  # alice's, customer U0CUST
    second = book_at(world, "demo", "chat", at(1, 9))  # bob's
    with pytest.raises(Forbidden):
        cancel(world, WS, first.id, actor=BOSS, now=NOW)
    assert cancel(world, WS, first.id, actor=SlackUser("U0ALICE"), now=NOW).status is (
        BookingStatus.CANCELLED
    )
    assert cancel(world, WS, second.id, actor=SlackUser("U0CUST"), now=NOW).cancelled_by == "U0CUST"


def test_cancelling_frees_the_time_and_counts_a_removal(world: Engine) -> None:
    booking = book_at(world, "desk", "chat", at(1, 9))
    before = counts(world)
    cancel(world, WS, booking.id, actor=ADMIN, now=NOW)
    after = counts(world)
    assert after["ledger"] == before["ledger"] + 1
    assert after["cancelled"] == 1
    again = book_at(world, "people", "intro", at(1, 9), pick="alice", form_answers={"topic": "x"})
    assert again.owner == "alice"


def test_upcoming_bookings_are_those_of_the_customer_and_of_the_host(world: Engine) -> None:
    mine = book_at(world, "demo", "chat", at(1, 9))  # alice hosts
    other = book_at(world, "demo", "chat", at(1, 10), customer=Customer("U0ALICE"))  # bob hosts
    gone = book_at(world, "demo", "chat", at(1, 11))  # carol hosts
    cancel(world, WS, gone.id, actor=ADMIN, now=NOW)
    assert [b.id for b in upcoming_bookings(world, WS, "U0ALICE", now=NOW)] == [mine.id, other.id]
    assert [b.id for b in upcoming_bookings(world, WS, "U0CUST", now=NOW)] == [mine.id]
    assert upcoming_bookings(world, WS, "U0CUST", now=at(1, 9, 30)) == []


def test_my_upcoming_marks_the_bookings_i_may_still_move(world: Engine) -> None:
    started = book_at(world, "demo", "chat", at(1, 9))  # alice hosts, U0CUST books
    later = book_at(world, "demo", "chat", at(1, 10))  # bob hosts
    hosted = book_at(world, "demo", "chat", at(1, 11), customer=Customer("U0ALICE"))

    mine = my_upcoming(world, WS, actor=SlackUser("U0CUST"), now=at(1, 9, 10))
    assert [b.id for b in mine.bookings] == [started.id, later.id]
    assert mine.reschedulable == {later.id}, "a booking that has started stays put"
    alice = my_upcoming(world, WS, actor=SlackUser("U0ALICE"), now=at(1, 9, 10))
    assert [b.id for b in alice.bookings] == [started.id, hosted.id]
    assert alice.reschedulable == {hosted.id}


def test_plan_link_opens_the_master_page_named_or_the_only_one(world: Engine) -> None:
    several = plan_link(world, WS, None, actor=ADMIN, now=NOW)
    assert several.master_page is None
    assert [choice.id for choice in several.linkable] == ["demo", "desk", "prio", "panel", "guest"]

    named = plan_link(world, WS, " GUEST ", actor=ADMIN, now=NOW)
    assert named.master_page == Choice("guest", "Guest")
    assert named.members is None, "the sales pool is not flexible: the link names nobody"
    assert plan_link(world, WS, "bytime", actor=ADMIN, now=NOW).master_page is None
    with pytest.raises(Forbidden):
        plan_link(world, WS, "guest", actor=STRANGER, now=NOW)


def test_find_member_by_time_books_the_picked_free_page(world: Engine) -> None:
    answers = {"topic": "pricing"}
    booking = book_at(world, "bytime", "intro", at(1, 9), pick="carol", form_answers=answers)
    assert booking.owner == "carol"
    assert booking.form_answers == answers
    with pytest.raises(BadInput):
        book_at(world, "bytime", "intro", at(1, 9), form_answers=answers)  # two still free


def test_pages_first_needs_a_pick_and_books_it(world: Engine) -> None:
    answers = {"topic": "x"}
    with pytest.raises(BadInput):
        book_at(world, "people", "intro", at(1, 9), form_answers=answers)
    assert book_at(world, "people", "intro", at(1, 9), pick="bob", form_answers=answers).owner == (
        "bob"
    )


def test_a_start_without_a_zone_is_bad_input(world: Engine) -> None:
    with pytest.raises(BadInput):
        book_at(world, "demo", "chat", datetime(2026, 12, 1, 9))


def test_a_guest_books_with_a_personalized_link_without_filling_anything(world: Engine) -> None:
    token = _link(world, name="Gus", email="gus@example.com", form_answers={"topic": "hi"})
    req = request("guest", "intro", at(1, 9), customer=Customer(), link_token=token)
    booking = book(world, req, actor=CLI, now=NOW)
    assert (booking.customer_name, booking.customer_email) == ("Gus", "gus@example.com")
    assert booking.form_answers == {"topic": "hi"}
    assert booking.link_id is not None
    with pytest.raises(LinkUsed) as caught:
        resolve_link(world, token, now=NOW)
    assert caught.value.code == "link_used"


def test_a_link_opens_only_its_master_page_and_event_type(world: Engine) -> None:
    token = _link(world, "demo", event_type="chat")
    with pytest.raises(BadInput):
        book(world, request("desk", "chat", at(1, 9), link_token=token), actor=CLI, now=NOW)
    view = resolve_link(world, token, now=NOW)
    assert (view.workspace_id, view.master_page, view.event_types) == (WS, "demo", ("chat",))


def test_resolving_a_link_tells_only_why_it_cannot_be_used(world: Engine) -> None:
    expiring = _link(world, expires_in=timedelta(hours=1))
    revoked = _link(world)
    revoke_link(world, WS, revoked, actor=ADMIN, now=NOW)
    cases = [
        (LinkExpired, "link_expired", expiring),
        (LinkRevoked, "link_revoked", revoked),
        (LinkUnknown, "link_unknown", "made-up"),
    ]
    for kind, code, token in cases:
        with pytest.raises(LinkRefused) as caught:
            resolve_link(world, token, now=NOW + timedelta(hours=2))
        assert (type(caught.value), caught.value.code) == (kind, code)
        assert not any(w in caught.value.message for w in ("guest", "sales", "intro", "Alice"))


def test_a_manager_creates_links_only_for_master_pages_using_their_pools(world: Engine) -> None:
    assert _link_by(world, BOSS, "demo")
    with pytest.raises(Forbidden):
        _link_by(world, BOSS, "desk")


def _link_by(engine: Engine, actor: Actor, master: str) -> str:
    return create_link(engine, WS, master, actor=actor, now=NOW, public_url="http://x").token


def test_the_catalogue_hides_link_only_pages_and_lists_pages_to_pick(world: Engine) -> None:
    found = {m.id: m for m in bookable(world, WS, actor=STRANGER)}
    assert set(found) == {"demo", "desk", "prio", "panel", "bytime", "people"}
    assert [c.id for c in found["people"].event_types[0].pages] == ["alice", "bob", "carol"]
    assert found["demo"].event_types[0].pages == ()
    token = _link(world)
    assert [m.id for m in bookable(world, WS, actor=STRANGER, link_token=token, now=NOW)] == [
        "guest"
    ]


def test_a_repeated_request_with_an_idempotency_key_returns_the_first_booking(
    world: Engine,
) -> None:
    first = book_at(world, "demo", "chat", at(1, 9), idempotency_key="abc")
    before = counts(world)
    assert book_at(world, "demo", "chat", at(1, 9), idempotency_key="abc") == first
    assert counts(world) == before


def test_two_customers_racing_for_one_page_get_one_booking(world: Engine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def attempt(n: int) -> str:
        try:
            book_at(world, "people", "intro", at(1, 9), pick="bob", form_answers={"topic": "x"})
        except SlotUnavailable:
            return "refused"
        return "booked"

    with ThreadPoolExecutor(4) as pool:
        results = sorted(pool.map(attempt, range(4)))
    assert results == ["booked", "refused", "refused", "refused"]


def _statements(engine: Engine, action: Any) -> int:
    from sqlalchemy import event

    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_offered_slots_load_in_the_same_few_statements_whatever_the_pool_size(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    def ask() -> None:
        day = at(1, 0).date()
        offered_slots(sqlite_engine, WS, "desk", "chat", day, day, tz=None, now=NOW, actor=ADMIN)

    def cold_and_warm() -> tuple[int, int]:
        config_cache.clear()
        return _statements(sqlite_engine, ask), _statements(sqlite_engine, ask)

    setup(sqlite_engine, tmp_path)
    small = cold_and_warm()

    def grow(data: dict[str, Any]) -> None:
        extra = [
            dict(data["booking_pages"][0], id=f"m{i}", slack_user=f"U0M{i}") for i in range(30)
        ]
        data["booking_pages"] += extra
        data["pools"][1]["members"] += [{"page": page["id"]} for page in extra]

    setup(sqlite_engine, tmp_path, grow)
    for i in range(10):
        book_at(sqlite_engine, "desk", "chat", at(1, 9 + i % 8))
    cold, warm = cold_and_warm()
    assert (cold, warm) == small
    # Cold: the configuration's rows, then the question's (stamps, bookings, busy blocks,
    # the ledger's counts and each member's latest receipt, ...).
    assert warm < cold <= 21, "a cached configuration costs one small query"


def test_a_long_buffer_booked_before_the_event_type_was_shortened_still_blocks(
    world: Engine, tmp_path: Path
) -> None:
    def buffered(hours: str) -> Any:
        def change(data: dict[str, Any]) -> None:
            data["event_types"][1]["buffer_after"] = hours

        return change

    # The meeting keeps its 48-hour buffer after the event type loses it: Dave, its owner,
    # stays busy until Thursday 3 December 10:00, two days past the booking's own time.
    setup(world, tmp_path, buffered("48h"))
    book_at(world, "panel", "meet", at(1, 9))
    setup(world, tmp_path, buffered("0m"))

    def starts(day: int) -> list[datetime]:
        slots = offered_slots(
            world,
            WS,
            "panel",
            "meet",
            at(day, 0).date(),
            at(day, 0).date(),
            tz=None,
            now=NOW,
            actor=ADMIN,
        )
        return [slot.start for slot in slots]

    assert starts(2) == []
    assert starts(3)[0] == at(3, 10)
    with pytest.raises(SlotUnavailable):
        book_at(world, "panel", "meet", at(3, 9))


def test_a_long_booking_that_starts_before_the_day_asked_about_still_blocks_it(
    world: Engine, tmp_path: Path
) -> None:
    def meeting(duration: str) -> Any:
        def change(data: dict[str, Any]) -> None:
            for page in data["booking_pages"]:
                page["hours"] = {"mon-sun": ["00:00-24:00"]}
            data["event_types"][1].update(duration=duration, step="1h")

        return change

    # A 20-hour meeting from Tuesday 12:00 holds Dave until Wednesday 08:00; the meeting
    # type is then shortened, but the stored booking keeps its length.
    setup(world, tmp_path, meeting("20h"))
    book_at(world, "panel", "meet", at(1, 12))
    setup(world, tmp_path, meeting("1h"))

    day = at(2, 0).date()
    slots = offered_slots(world, WS, "panel", "meet", day, day, tz=None, now=NOW, actor=ADMIN)
    assert slots[0].start == at(2, 8)
