from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from engine.model import (
    BusyBlock,
    LedgerEntry,
    LedgerKind,
    Occupancy,
    Page,
    PageKind,
    PoolMember,
    by_id,
)
from storage.uow import UnitOfWork
from tests.storage.conftest import T0, make_booking, sample_config

SINCE = T0
HOUR = timedelta(hours=1)
UNTIL = T0 + timedelta(days=1)


def load(engine, now=T0):
    with UnitOfWork(engine) as uow:
        return uow.schedules.load("T0001", SINCE, UNTIL, now=now)


def test_a_schedule_holds_the_configuration_and_the_confirmed_occupancy(configured):
    booking = make_booking(buffer_after=timedelta(minutes=10))
    cancelled = make_booking(T0 + timedelta(hours=2))
    # Past the longest booking horizon (60 days) and the week of widening.
    far_future = make_booking(T0 + timedelta(days=60 + 7 + 1))
    with UnitOfWork(configured) as uow:
        for b in (booking, cancelled, far_future):
            uow.bookings.add("T0001", b)
        uow.bookings.cancel("T0001", cancelled.id, at=T0, by=None)
        uow.commit()

    schedule = load(configured)

    cfg = sample_config()
    assert schedule.config == cfg
    assert schedule.workspace == cfg.workspace
    occupied = Occupancy(
        "alice",
        booking.start,
        booking.end,
        buffer_after=timedelta(minutes=10),
        booking_id=booking.id,
    )
    assert schedule.occupancy["alice"] == (occupied,)
    assert schedule.busy == {"alice": cfg.busy}


def test_a_schedule_of_some_pages_holds_only_the_bookings_their_answer_depends_on(configured):
    # T0 is Tuesday 1 December 2026, 15:00 UTC; the range asked about is that day. Alice
    # (New York) has per-day and per-week limits, so her whole local week counts: Monday 30
    # November to Sunday 6 December. Bob has none: his range plus the buffers that reach
    # into it counts; bob_near's own 5-hour buffer reaches back into the range.
    day = timedelta(days=1)
    bob_near = make_booking(T0 + day + timedelta(hours=4), pages=("bob",), buffer_before=5 * HOUR)
    bob_far = make_booking(T0 + 3 * day, pages=("bob",))
    alice_same_week = make_booking(T0 + 3 * day, pages=("alice",))
    alice_next_week = make_booking(T0 + 7 * day, pages=("alice",))
    room = make_booking(T0 + timedelta(hours=1), pages=("room-a",))
    with UnitOfWork(configured) as uow:
        for b in (bob_near, bob_far, alice_same_week, alice_next_week, room):
            uow.bookings.add("T0001", b)
        uow.commit()

    def loaded(ahead):
        with UnitOfWork(configured) as uow:
            schedule = uow.schedules.load(
                "T0001", SINCE, UNTIL, now=T0, pages=("alice", "bob"), ahead=ahead
            )
        return {page: {o.booking_id for o in found} for page, found in schedule.occupancy.items()}

    assert loaded(ahead=()) == {"alice": {alice_same_week.id}, "bob": {bob_near.id}}
    assert loaded(ahead=("bob",))["bob"] == {bob_near.id, bob_far.id}, "the horizon from now"


def test_a_member_dropped_from_a_pool_stays_in_the_schedule_as_inactive(configured):
    cfg = sample_config()
    sales = cfg.pools["sales"]
    dropped = replace(sales, members=sales.members[:1])
    with UnitOfWork(configured) as uow:
        uow.config.save(replace(cfg, pools={**cfg.pools, "sales": dropped}), now=T0)
        uow.commit()

    found = load(configured).pools["sales"]

    assert found.members == (sales.members[0],)
    assert found.former == (PoolMember("bob", active=False, joined=1),)


def test_the_ledger_holds_the_current_cycle_and_each_members_latest_received(configured):
    # T0 is 1 December 2026, 15:00 UTC: the monthly cycle of "sales" began at midnight.
    long_ago = T0 - timedelta(days=400)
    entries = [
        LedgerEntry("sales", "bob", LedgerKind.RECEIVED, long_ago - timedelta(days=1)),
        LedgerEntry("sales", "bob", LedgerKind.RECEIVED, long_ago),
        LedgerEntry("sales", "bob", LedgerKind.REMOVED, long_ago + timedelta(days=1)),
        LedgerEntry("sales", "alice", LedgerKind.RECEIVED, T0 - timedelta(days=5)),
        LedgerEntry("sales", "alice", LedgerKind.REMOVED, T0 - timedelta(days=4)),
        LedgerEntry("sales", "alice", LedgerKind.RECEIVED, T0 - timedelta(hours=3)),
        LedgerEntry("sales", "alice", LedgerKind.REMOVED, T0 - timedelta(hours=2)),
        LedgerEntry("rooms", "room-a", LedgerKind.RECEIVED, long_ago - timedelta(days=9)),
        LedgerEntry("rooms", "room-a", LedgerKind.RECEIVED, long_ago),
    ]
    with UnitOfWork(configured) as uow:
        uow.ledger.add("T0001", entries)
        uow.commit()

    ledger = load(configured).ledger

    assert ledger["sales"] == (entries[1], entries[5], entries[6]), "last cycle is left out"
    # A continuous pool counts everything, one entry per member and kind.
    assert ledger["rooms"] == (replace(entries[8], count=2),)


def test_the_ledger_counts_a_cycles_entries_in_the_database_up_to_now(configured):
    received = [
        LedgerEntry("sales", "alice", LedgerKind.RECEIVED, T0 - timedelta(hours=hours))
        for hours in (5, 4, 3)
    ]
    later = LedgerEntry("sales", "alice", LedgerKind.RECEIVED, T0 + HOUR)
    removed = LedgerEntry("sales", "alice", LedgerKind.REMOVED, T0 - HOUR)
    with UnitOfWork(configured) as uow:
        uow.ledger.add("T0001", [*received, later, removed])
        uow.commit()

    ledger = load(configured).ledger

    assert ledger["sales"] == (replace(received[-1], count=3), removed), "not yet: not counted"


def test_the_ledger_holds_only_the_pools_asked_about(configured, sql_log):
    entries = [
        LedgerEntry("sales", "alice", LedgerKind.RECEIVED, T0 - HOUR),
        LedgerEntry("rooms", "room-a", LedgerKind.RECEIVED, T0 - HOUR),
    ]
    with UnitOfWork(configured) as uow:
        uow.ledger.add("T0001", entries)
        uow.commit()

    def ledger(pools):
        with UnitOfWork(configured) as uow:
            config = uow.config.configuration("T0001")
            sql_log.clear()
            found = uow.schedules.fill(config, SINCE, UNTIL, now=T0, pools=pools).ledger
            return found, len(sql_log.statements)

    rooms, with_pool = ledger(["rooms"])
    nothing, without = ledger([])
    assert rooms == {"rooms": (entries[1],)}
    assert nothing == {}
    assert without == with_pool - 1, "no pool asked about, no ledger query"


def test_loading_a_schedule_takes_the_same_statements_for_any_team_size(db_engine, sql_log):
    def grow(size):
        cfg = sample_config()
        extra = tuple(
            Page(id=f"p{i}", kind=PageKind.MEMBER, name=f"P{i}", timezone="UTC")
            for i in range(size)
        )
        sales = cfg.pools["sales"]
        sales = replace(sales, members=sales.members + tuple(PoolMember(p.id) for p in extra))
        busy = tuple(
            BusyBlock(p.id, T0 + timedelta(hours=1), T0 + timedelta(hours=2)) for p in extra
        )
        with UnitOfWork(db_engine) as uow:
            uow.config.save(
                replace(
                    cfg,
                    pages={**cfg.pages, **by_id(extra)},
                    pools={**cfg.pools, "sales": sales},
                    busy=busy,
                ),
                now=T0,
            )
            for i, page in enumerate(extra):
                start = T0 + timedelta(days=size % 5, hours=i % 8)
                uow.bookings.add("T0001", make_booking(start, pages=(page.id,)))
                given = T0 - timedelta(hours=i % 8 + 1)  # today: in the cycle, before now
                uow.ledger.add("T0001", [LedgerEntry("sales", page.id, LedgerKind.RECEIVED, given)])
            uow.commit()

    def statements():
        sql_log.clear()
        schedule = load(db_engine)
        return len(sql_log.statements), schedule

    grow(2)
    small, schedule = statements()
    assert len(schedule.occupancy) == 2
    grow(20)
    large, schedule = statements()
    assert len(schedule.occupancy) == 20
    assert sum(entry.count for entry in schedule.ledger["sales"]) == 22
    assert small == large


def test_another_workspaces_rows_never_reach_a_schedule(configured):
    with UnitOfWork(configured) as uow:
        uow.config.save(sample_config("T0002"), now=T0)
        uow.bookings.add("T0002", make_booking())
        uow.ledger.add(
            "T0002", [LedgerEntry("sales", "alice", LedgerKind.RECEIVED, datetime.now(UTC))]
        )
        uow.commit()

    schedule = load(configured)

    assert schedule.occupancy == {}
    assert schedule.ledger == {}
