"""Who gets a booking through the booking service, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from engine.model import LedgerEntry, LedgerKind
from services.booking_changes import cancel
from services.context import SlackUser
from services.errors import Forbidden
from services.reporting import pool_report, pool_reports
from storage.uow import UnitOfWork
from tests.services.booking_world import ADMIN, NOW, WS, at, book_at, first_slot, setup


def _report(engine: Engine, pool: str, now=NOW) -> dict[str, tuple[int, int, int]]:
    report = pool_report(engine, WS, pool, actor=ADMIN, now=now)
    return {m.page: (m.received, m.removed, m.net) for m in report.members}


def _busy(engine: Engine, tmp_path: Path, *blocks: tuple[str, Any, Any]) -> None:
    """Add busy blocks by re-applying the world with them."""

    def change(data: dict[str, Any]) -> None:
        data["busy"] = [
            {"page": page, "start": start.isoformat(), "end": end.isoformat()}
            for page, start, end in blocks
        ]

    setup(engine, tmp_path, change)


def test_round_robin_keeps_thirty_bookings_within_one_of_each_other(
    db_engine: Engine, tmp_path: Path
) -> None:
    setup(db_engine, tmp_path)
    owners: Counter[str] = Counter()
    for _ in range(30):
        start = first_slot(db_engine, "demo", "chat", at(30, 0).date())
        owners[book_at(db_engine, "demo", "chat", start).owner] += 1
        assert max(owners.values()) - min(owners.get(p, 0) for p in ("alice", "bob", "carol")) <= 1
    assert owners == {"alice": 10, "bob": 10, "carol": 10}
    assert _report(db_engine, "sales") == {p: (10, 0, 10) for p in ("alice", "bob", "carol")}


def test_round_robin_serves_the_line_in_join_order_at_first(
    db_engine: Engine, tmp_path: Path
) -> None:
    setup(db_engine, tmp_path)
    owners = [book_at(db_engine, "demo", "chat", at(30, 9)).owner for _ in range(3)]
    assert owners == ["alice", "bob", "carol"]


def test_with_automatic_correction_a_member_whose_booking_was_cancelled_gets_the_next_one(
    db_engine: Engine, tmp_path: Path
) -> None:
    setup(db_engine, tmp_path)
    made = [book_at(db_engine, "demo", "chat", at(30, 9)) for _ in range(3)]
    cancel(db_engine, WS, made[1].id, actor=ADMIN, now=NOW)
    assert book_at(db_engine, "demo", "chat", at(30, 10)).owner == "bob"
    assert _report(db_engine, "sales")["bob"] == (2, 1, 1)


def test_without_automatic_correction_a_cancelled_booking_still_counts(
    db_engine: Engine, tmp_path: Path
) -> None:
    setup(db_engine, tmp_path, lambda d: d["pools"][0].update(automatic_correction=False))
    made = [book_at(db_engine, "demo", "chat", at(30, 9)) for _ in range(3)]
    cancel(db_engine, WS, made[1].id, actor=ADMIN, now=NOW)
    assert book_at(db_engine, "demo", "chat", at(30, 10)).owner == "alice"


def test_a_member_added_mid_cycle_is_next_in_line(db_engine: Engine, tmp_path: Path) -> None:
    setup(db_engine, tmp_path)
    for _ in range(3):
        book_at(db_engine, "demo", "chat", at(30, 9))
    setup(db_engine, tmp_path, lambda d: d["pools"][0]["members"].append({"page": "dave"}))
    assert book_at(db_engine, "demo", "chat", at(30, 10)).owner == "dave"


def test_a_page_removed_since_this_process_last_booked_is_no_obstacle(
    db_engine: Engine, tmp_path: Path
) -> None:
    # The process guesses the pages to lock from the configuration it read last, which
    # still names carol after she is removed: her page is skipped, not an error.
    setup(db_engine, tmp_path)
    assert book_at(db_engine, "demo", "chat", at(30, 9)).owner == "alice"

    def without_carol(data: dict[str, Any]) -> None:
        data["booking_pages"] = [p for p in data["booking_pages"] if p["id"] != "carol"]
        data["event_types"][2]["pages"].remove("carol")
        for pool in data["pools"]:
            pool["members"] = [m for m in pool["members"] if m["page"] != "carol"]

    setup(db_engine, tmp_path, without_carol)
    owners = [book_at(db_engine, "demo", "chat", at(30, 10)).owner for _ in range(2)]
    assert owners == ["bob", "alice"]


def test_round_robin_skips_a_member_without_a_slot_in_the_horizon(
    db_engine: Engine, tmp_path: Path
) -> None:
    _busy(db_engine, tmp_path, ("alice", NOW, NOW + timedelta(days=90)))
    assert book_at(db_engine, "demo", "chat", at(30, 9)).owner == "bob"


def test_the_cycle_rolls_over_at_midnight_of_the_first_in_the_workspace_zone(
    db_engine: Engine, tmp_path: Path
) -> None:
    # Tokyo is UTC+9 all year: December starts there at 2026-11-30T15:00Z.
    setup(db_engine, tmp_path, lambda d: d["workspace"].update(timezone="Asia/Tokyo"))
    assert book_at(db_engine, "demo", "chat", at(30, 9)).owner == "alice"
    before, after = at(30, 14, 59), at(30, 15)
    assert _report(db_engine, "sales", before)["alice"] == (1, 0, 1)
    report = pool_report(db_engine, WS, "sales", actor=ADMIN, now=after)
    assert (report.cycle_start, report.cycle_end) == (at(30, 15), at(30, 15) + timedelta(days=31))
    assert {m.page: m.received for m in report.members} == {"alice": 0, "bob": 0, "carol": 0}
    # A new cycle: everybody is back at zero, and alice, served last, waits longest.
    assert book_at(db_engine, "demo", "chat", at(1, 9), now=after).owner == "bob"


def test_pooled_availability_gives_the_booking_to_the_longest_idle_free_member(
    db_engine: Engine, tmp_path: Path
) -> None:
    setup(db_engine, tmp_path)
    owners = [
        book_at(db_engine, "desk", "chat", at(1, 9 + i), now=NOW + timedelta(minutes=i)).owner
        for i in range(4)
    ]
    assert owners == ["alice", "bob", "carol", "alice"]


def test_pooled_availability_passes_over_a_busy_member(db_engine: Engine, tmp_path: Path) -> None:
    _busy(db_engine, tmp_path, ("alice", at(1, 9), at(1, 10)))
    assert book_at(db_engine, "desk", "chat", at(1, 9)).owner == "bob"
    assert book_at(db_engine, "desk", "chat", at(1, 10), now=NOW + timedelta(1)).owner == "alice"


def _ledger(engine: Engine, *entries: LedgerEntry) -> None:
    with UnitOfWork(engine) as uow:
        uow.ledger.add(WS, entries)
        uow.commit()


def test_pooled_ties_on_idle_time_go_to_the_fewest_received_in_the_cycle(
    db_engine: Engine, tmp_path: Path
) -> None:
    setup(db_engine, tmp_path)
    last = NOW - timedelta(hours=1)
    _ledger(
        db_engine,
        LedgerEntry("desk", "alice", LedgerKind.RECEIVED, last - timedelta(hours=1)),
        LedgerEntry("desk", "alice", LedgerKind.RECEIVED, last),
        LedgerEntry("desk", "bob", LedgerKind.RECEIVED, last),
        LedgerEntry("desk", "carol", LedgerKind.RECEIVED, last),
        LedgerEntry("desk", "carol", LedgerKind.RECEIVED, last - timedelta(hours=2)),
    )
    assert book_at(db_engine, "desk", "chat", at(1, 9)).owner == "bob"


def test_pooled_ties_on_idle_time_and_counts_go_to_the_member_who_joined_first(
    db_engine: Engine, tmp_path: Path
) -> None:
    setup(
        db_engine,
        tmp_path,
        lambda d: d["pools"][1].update(members=[{"page": "carol"}, {"page": "bob"}]),
    )
    assert book_at(db_engine, "desk", "chat", at(1, 9)).owner == "carol"


def test_priority_gives_the_booking_to_the_free_member_of_highest_priority(
    db_engine: Engine, tmp_path: Path
) -> None:
    _busy(db_engine, tmp_path, ("bob", at(1, 9), at(1, 10)), ("carol", at(1, 10), at(1, 11)))
    # bob and carol are both high; never served and equal counts, bob joined first.
    assert book_at(db_engine, "prio", "chat", at(1, 11)).owner == "bob"
    assert book_at(db_engine, "prio", "chat", at(1, 9)).owner == "carol"
    # At 10:00 carol is busy and bob is idle the longest of the high ones.
    assert book_at(db_engine, "prio", "chat", at(1, 10), now=NOW + timedelta(1)).owner == "bob"


def test_priority_falls_back_to_a_lower_priority_when_the_higher_are_busy(
    db_engine: Engine, tmp_path: Path
) -> None:
    _busy(db_engine, tmp_path, ("bob", at(1, 9), at(1, 10)), ("carol", at(1, 9), at(1, 10)))
    assert book_at(db_engine, "prio", "chat", at(1, 9)).owner == "alice"


def test_priority_ties_go_to_the_longest_idle(db_engine: Engine, tmp_path: Path) -> None:
    setup(db_engine, tmp_path)
    _ledger(db_engine, LedgerEntry("prio", "bob", LedgerKind.RECEIVED, NOW - timedelta(hours=1)))
    assert book_at(db_engine, "prio", "chat", at(1, 9)).owner == "carol"


def test_the_ledger_records_every_pool_seat_as_received(db_engine: Engine, tmp_path: Path) -> None:
    setup(db_engine, tmp_path)
    booking = book_at(db_engine, "panel", "meet", at(1, 9))
    assert _report(db_engine, "rooms")[booking.participants[2].page] == (1, 0, 1)
    assert _report(db_engine, "sales") == {p: (0, 0, 0) for p in ("alice", "bob", "carol")}


def test_reports_of_several_pools_read_together_equal_each_read_alone(
    db_engine: Engine, tmp_path: Path
) -> None:
    setup(db_engine, tmp_path)
    book_at(db_engine, "demo", "chat", at(1, 9))
    book_at(db_engine, "panel", "meet", at(1, 9))
    pools = ["rooms", "sales"]

    together = pool_reports(db_engine, WS, pools, actor=ADMIN, now=NOW)

    assert together == [pool_report(db_engine, WS, pool, actor=ADMIN, now=NOW) for pool in pools]
    assert [report.pool for report in together] == pools
    assert sum(m.received for report in together for m in report.members) == 2
    with pytest.raises(Forbidden):
        pool_reports(db_engine, WS, pools, actor=SlackUser("U0BOSS"), now=NOW)  # manages sales only
