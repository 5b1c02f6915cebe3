from __future__ import annotations

from dataclasses import replace

from engine.distribution import (
    MemberStats,
    cycle_bounds,
    member_stats,
    pool_report,
    pooled_order,
    priority_order,
    round_robin_line,
)
from engine.model import Cycle, Method, PoolMember, Priority
from tests.engine.factories import at, pool, received, removed

NOW = at("2026-06-15T12:00Z")


def rr(*members: PoolMember, correction: bool = True):
    return pool(
        "sales", method=Method.ROUND_ROBIN, members=members, automatic_correction=correction
    )


def test_a_weekly_cycle_runs_from_monday_midnight_in_the_workspace_zone():
    # 03:30Z on Monday 8 June is still Sunday 7 June 23:30 in New York (EDT, -04:00).
    start, end = cycle_bounds(Cycle.WEEKLY, "America/New_York", at("2026-06-08T03:30Z"))
    assert (start, end) == (at("2026-06-01T04:00Z"), at("2026-06-08T04:00Z"))


def test_a_monthly_cycle_turns_at_midnight_on_the_first_in_the_workspace_zone():
    # 23:30Z on 30 June is already 1 July 00:30 in London (BST, +01:00).
    start, end = cycle_bounds(Cycle.MONTHLY, "Europe/London", at("2026-06-30T23:30Z"))
    assert (start, end) == (at("2026-06-30T23:00Z"), at("2026-07-31T23:00Z"))


def test_a_monthly_cycle_still_holds_the_last_hour_of_the_month_before_the_zone_turns():
    start, end = cycle_bounds(Cycle.MONTHLY, "Europe/London", at("2026-06-30T22:30Z"))
    assert (start, end) == (at("2026-05-31T23:00Z"), at("2026-06-30T23:00Z"))


def test_a_quarterly_cycle_starts_on_the_first_of_january_april_july_or_october():
    assert cycle_bounds(Cycle.QUARTERLY, "UTC", at("2026-11-15T00:00Z")) == (
        at("2026-10-01T00:00Z"),
        at("2027-01-01T00:00Z"),
    )


def test_a_quarterly_cycle_turns_with_the_year_in_the_workspace_zone():
    # 12:00Z on 31 December 2026 is 1 January 2027 01:00 in Auckland (NZDT, +13:00).
    assert cycle_bounds(Cycle.QUARTERLY, "Pacific/Auckland", at("2026-12-31T12:00Z")) == (
        at("2026-12-31T11:00Z"),
        at("2027-03-31T11:00Z"),
    )


def test_a_continuous_cycle_never_resets():
    assert cycle_bounds(Cycle.CONTINUOUS, "UTC", NOW) == (None, None)


def test_member_stats_count_the_current_cycle_and_remember_the_last_booking():
    entries = [
        received("sales", "alice", "2026-05-30T10:00Z"),
        received("sales", "alice", "2026-06-02T10:00Z"),
        received("sales", "alice", "2026-06-03T10:00Z"),
        removed("sales", "alice", "2026-06-04T10:00Z"),
        received("other", "alice", "2026-06-05T10:00Z"),
        received("sales", "alice", "2026-06-20T10:00Z"),
    ]
    stats = member_stats(pool("sales", "alice", "bob"), entries, "UTC", NOW)
    assert stats == [
        MemberStats("alice", 2, 1, 1, at("2026-06-03T10:00Z")),
        MemberStats("bob", 0, 0, 0, None),
    ]


def test_the_pool_report_averages_net_over_active_members():
    members = (
        PoolMember("alice", joined=0),
        PoolMember("bob", joined=1),
        PoolMember("carol", active=False, joined=2),
    )
    entries = [
        received("sales", "alice", "2026-06-02T10:00Z"),
        received("sales", "alice", "2026-06-03T10:00Z"),
        received("sales", "bob", "2026-06-03T11:00Z"),
        received("sales", "carol", "2026-06-01T10:00Z"),
        received("sales", "carol", "2026-06-01T11:00Z"),
        received("sales", "carol", "2026-06-01T12:00Z"),
    ]
    report = pool_report(pool("sales", members=members), entries, "UTC", NOW)
    assert (report.cycle_start, report.cycle_end) == (
        at("2026-06-01T00:00Z"),
        at("2026-07-01T00:00Z"),
    )
    assert [(m.page, m.net) for m in report.members] == [("alice", 2), ("bob", 1), ("carol", 3)]
    assert report.average == 1.5


def test_a_former_member_reports_its_history_as_inactive_and_never_gets_a_turn():
    sales = replace(
        pool("sales", members=(PoolMember("alice"), PoolMember("bob", joined=2))),
        former=(PoolMember("carol", active=False, joined=1),),
    )
    entries = [received("sales", "carol", "2026-06-02T10:00Z")]

    report = pool_report(sales, entries, "UTC", NOW)

    assert [(m.page, m.received, m.active) for m in report.members] == [
        ("alice", 0, True),
        ("carol", 1, False),
        ("bob", 0, True),
    ]
    assert round_robin_line(sales, entries, "UTC", NOW) == ["alice", "bob"]


def test_round_robin_puts_the_lowest_score_first():
    entries = [received("sales", "alice", "2026-06-02T10:00Z")]
    assert round_robin_line(
        rr(PoolMember("alice", joined=0), PoolMember("bob", joined=1)), entries, "UTC", NOW
    ) == [
        "bob",
        "alice",
    ]


def test_round_robin_with_automatic_correction_scores_received_minus_removed():
    entries = [
        received("sales", "alice", "2026-06-02T10:00Z"),
        received("sales", "alice", "2026-06-03T10:00Z"),
        removed("sales", "alice", "2026-06-04T10:00Z"),
        received("sales", "bob", "2026-06-01T10:00Z"),
        received("sales", "bob", "2026-06-01T11:00Z"),
    ]
    members = (PoolMember("alice", joined=0), PoolMember("bob", joined=1))
    assert round_robin_line(rr(*members), entries, "UTC", NOW) == ["alice", "bob"]


def test_round_robin_without_correction_scores_received_only():
    entries = [
        received("sales", "alice", "2026-06-02T10:00Z"),
        received("sales", "alice", "2026-06-03T10:00Z"),
        removed("sales", "alice", "2026-06-04T10:00Z"),
        received("sales", "bob", "2026-06-01T10:00Z"),
        received("sales", "bob", "2026-06-01T11:00Z"),
    ]
    members = (PoolMember("alice", joined=0), PoolMember("bob", joined=1))
    # Both received two: bob's last booking is older, so bob is next.
    assert round_robin_line(rr(*members, correction=False), entries, "UTC", NOW) == ["bob", "alice"]


def test_round_robin_breaks_equal_scores_by_the_oldest_last_booking():
    entries = [
        received("sales", "alice", "2026-06-03T10:00Z"),
        received("sales", "bob", "2026-06-02T10:00Z"),
    ]
    members = (PoolMember("alice", joined=0), PoolMember("bob", joined=1))
    assert round_robin_line(rr(*members), entries, "UTC", NOW) == ["bob", "alice"]


def test_round_robin_treats_never_received_as_the_oldest():
    # Alice's booking was last month: both score 0 this cycle, but bob never received one.
    entries = [received("sales", "alice", "2026-05-03T10:00Z")]
    members = (PoolMember("alice", joined=0), PoolMember("bob", joined=1))
    assert round_robin_line(rr(*members), entries, "UTC", NOW) == ["bob", "alice"]


def test_round_robin_breaks_remaining_ties_by_join_order():
    members = (PoolMember("bob", joined=0), PoolMember("alice", joined=1))
    assert round_robin_line(rr(*members), [], "UTC", NOW) == ["bob", "alice"]


def test_round_robin_breaks_equal_join_order_by_page_id():
    members = (PoolMember("bob", joined=0), PoolMember("alice", joined=0))
    assert round_robin_line(rr(*members), [], "UTC", NOW) == ["alice", "bob"]


def test_round_robin_leaves_inactive_members_out_of_the_line():
    members = (PoolMember("alice", active=False, joined=0), PoolMember("bob", joined=1))
    assert round_robin_line(rr(*members), [], "UTC", NOW) == ["bob"]


def test_pooled_prefers_the_longest_idle_member():
    entries = [
        received("sales", "alice", "2026-06-01T10:00Z"),
        received("sales", "alice", "2026-06-01T11:00Z"),
        received("sales", "bob", "2026-06-03T10:00Z"),
    ]
    members = (PoolMember("alice", joined=0), PoolMember("bob", joined=1))
    assert pooled_order(pool("sales", members=members), entries, "UTC", NOW) == ["alice", "bob"]


def test_pooled_puts_a_member_that_never_received_first():
    entries = [received("sales", "alice", "2026-06-01T10:00Z")]
    members = (PoolMember("alice", joined=0), PoolMember("bob", joined=1))
    assert pooled_order(pool("sales", members=members), entries, "UTC", NOW) == ["bob", "alice"]


def test_pooled_breaks_equal_idle_time_by_fewest_received_in_the_cycle():
    entries = [
        received("sales", "alice", "2026-06-01T10:00Z"),
        received("sales", "alice", "2026-06-03T10:00Z"),
        received("sales", "bob", "2026-06-03T10:00Z"),
    ]
    members = (PoolMember("alice", joined=0), PoolMember("bob", joined=1))
    assert pooled_order(pool("sales", members=members), entries, "UTC", NOW) == ["bob", "alice"]


def test_pooled_breaks_remaining_ties_by_join_order():
    members = (PoolMember("bob", joined=0), PoolMember("alice", joined=1))
    assert pooled_order(pool("sales", members=members), [], "UTC", NOW) == ["bob", "alice"]


def test_pooled_breaks_equal_join_order_by_page_id():
    members = (PoolMember("bob", joined=0), PoolMember("alice", joined=0))
    assert pooled_order(pool("sales", members=members), [], "UTC", NOW) == ["alice", "bob"]


def test_priority_puts_the_highest_priority_first_even_when_busier():
    entries = [received("sales", "bob", "2026-06-14T10:00Z")]
    members = (
        PoolMember("alice", Priority.HIGH, joined=0),
        PoolMember("bob", Priority.HIGHEST, joined=1),
    )
    assert priority_order(pool("sales", members=members), entries, "UTC", NOW) == ["bob", "alice"]


def test_priority_breaks_equal_priority_like_pooled():
    entries = [received("sales", "alice", "2026-06-14T10:00Z")]
    members = (
        PoolMember("alice", Priority.LOW, joined=0),
        PoolMember("bob", Priority.LOW, joined=1),
        PoolMember("carol", Priority.LOWEST, joined=2),
    )
    assert priority_order(pool("sales", members=members), entries, "UTC", NOW) == [
        "bob",
        "alice",
        "carol",
    ]
