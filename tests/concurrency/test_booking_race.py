"""Customers booking at the same instant, on SQLite (one file) and on PostgreSQL.

Each test releases its requests together from a barrier (``harness.race``), then checks
what every caller was told and what the database holds. The outcome must be one that the
same requests made one at a time, in some order, would give.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from benchmarks.datasets import install, single_page, small_pool
from engine.model import Method
from services.context import CommandLine
from services.links import create_link, token_hash
from storage.uow import UnitOfWork
from tests.concurrency.harness import (
    booked,
    booker,
    ledger_received,
    overlapping_pairs,
    race,
    request,
    summary,
)

ADMIN = CommandLine()  # the command line acts as an admin


def test_twenty_customers_racing_for_one_slot_get_one_booking_and_nineteen_refusals(db_engine):
    scenario = single_page()
    install(db_engine, scenario)
    start = scenario.now + timedelta(days=1, hours=4)
    do_book = booker(db_engine, scenario.now)

    outcomes = race(20, lambda i: do_book(request(scenario.workspace_id, "solo", "call", start, i)))

    assert summary(outcomes) == Counter({"booked": 1, "slot_unavailable": 19})
    [winner] = booked(outcomes)
    assert (winner.start, winner.owner) == (start, "solo")
    assert overlapping_pairs(db_engine) == []
    with UnitOfWork(db_engine) as uow:
        assert uow.bookings.get(scenario.workspace_id, winner.id) == winner


@pytest.mark.parametrize("method", [Method.POOLED, Method.POOLED_PRIORITY, Method.ROUND_ROBIN])
def test_twenty_customers_on_a_five_member_pool_get_each_member_exactly_once(db_engine, method):
    scenario = small_pool(5, method=method)
    install(db_engine, scenario)
    start = scenario.now + timedelta(days=1, hours=4)
    do_book = booker(db_engine, scenario.now)

    outcomes = race(20, lambda i: do_book(request(scenario.workspace_id, "team", "call", start, i)))

    assert summary(outcomes) == Counter({"booked": 5, "slot_unavailable": 15})
    owners = sorted(b.owner for b in booked(outcomes))
    assert owners == ["m0", "m1", "m2", "m3", "m4"]
    assert overlapping_pairs(db_engine) == []
    # One ledger entry per booking, written in the booking's transaction.
    assert ledger_received(db_engine) == Counter({b.id: 1 for b in booked(outcomes)})


def test_a_daily_limit_holds_when_ten_customers_book_different_slots_of_one_day(db_engine):
    scenario = single_page(max_per_day=3)
    install(db_engine, scenario)
    day = scenario.now + timedelta(days=1) - timedelta(hours=scenario.now.hour)
    do_book = booker(db_engine, scenario.now)

    outcomes = race(
        10,
        lambda i: do_book(
            request(scenario.workspace_id, "solo", "call", day + timedelta(hours=8 + i), i)
        ),
    )

    assert summary(outcomes) == Counter({"booked": 3, "slot_unavailable": 7})


def _linked_page():
    # A pool of one: links to a page-only master page are refused even to admins by
    # services.roles.require_master_page_manager (reported), and the race is the same.
    return small_pool(1)


def _link(engine, scenario):
    created = create_link(
        engine,
        scenario.workspace_id,
        scenario.master_page,
        actor=ADMIN,
        now=scenario.now,
        public_url="http://localhost:3000",
    )
    return created.token


def test_a_one_time_link_used_by_ten_requests_for_different_times_books_once(db_engine):
    scenario = _linked_page()
    install(db_engine, scenario)
    token = _link(db_engine, scenario)
    do_book = booker(db_engine, scenario.now)

    # Ten different free times: the slot never stands in the way, only the link can.
    outcomes = race(
        10,
        lambda i: do_book(
            request(
                scenario.workspace_id,
                scenario.master_page,
                "call",
                scenario.now + timedelta(days=1, hours=i),
                i,
                link_token=token,
            )
        ),
    )

    assert summary(outcomes) == Counter({"booked": 1, "link_used": 9})
    [winner] = booked(outcomes)
    with UnitOfWork(db_engine) as uow:
        link = uow.links.get(scenario.workspace_id, token_hash(token))
        assert link is not None
        assert link.booking_id == winner.id
        stored = uow.bookings.get(scenario.workspace_id, winner.id)
        assert stored is not None
        assert stored.link_id == link.id


def test_a_one_time_link_used_by_ten_requests_for_one_time_books_once(db_engine):
    scenario = _linked_page()
    install(db_engine, scenario)
    token = _link(db_engine, scenario)
    start = scenario.now + timedelta(days=2)
    do_book = booker(db_engine, scenario.now)

    outcomes = race(
        10,
        lambda i: do_book(
            request(scenario.workspace_id, scenario.master_page, "call", start, i, link_token=token)
        ),
    )

    # Both reasons are true for the losers; a link promises one booking, not which is told.
    counts = summary(outcomes)
    assert counts["booked"] == 1
    assert counts["link_used"] + counts["slot_unavailable"] == 9


def test_ten_requests_with_one_idempotency_key_make_one_booking_and_all_get_it(db_engine):
    # A five-member pool: without the key, ten requests would make five bookings.
    scenario = small_pool(5)
    install(db_engine, scenario)
    start = scenario.now + timedelta(days=1, hours=4)
    do_book = booker(db_engine, scenario.now)

    outcomes = race(
        10,
        lambda i: do_book(
            request(scenario.workspace_id, "team", "call", start, "SAME", idempotency_key="k-1")
        ),
    )

    assert summary(outcomes) == Counter({"booked": 10})
    assert len({b.id for b in booked(outcomes)}) == 1
    assert ledger_received(db_engine).total() == 1
    with UnitOfWork(db_engine) as uow:
        first = uow.bookings.by_idempotency_key(scenario.workspace_id, "k-1")
        assert first is not None
        assert first.id == booked(outcomes)[0].id


def test_keyed_requests_that_lose_the_slot_are_refused_not_given_another_booking(db_engine):
    # Two idempotency keys (two requests each) race eight plain requests for one time: one
    # booking in all; only the requests carrying the winner's key may be handed it.
    scenario = single_page()
    install(db_engine, scenario)
    start = scenario.now + timedelta(days=1, hours=4)
    do_book = booker(db_engine, scenario.now)

    def attempt(i):
        key = f"key-{i % 2}" if i < 4 else None
        req = request(scenario.workspace_id, "solo", "call", start, i, idempotency_key=key)
        return do_book(req)

    outcomes = race(12, attempt)

    winners = booked(outcomes)
    assert len({b.id for b in winners}) == 1
    key = winners[0].idempotency_key
    assert len(winners) == (2 if key is not None else 1)
    assert summary(outcomes)["slot_unavailable"] == 12 - len(winners)
    assert overlapping_pairs(db_engine) == []
