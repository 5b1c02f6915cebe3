"""The App Home: distribution bars, my bookings, failed notices, and the 100-block limit."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot import ids
from bot.blocks.home import bar, build_home, fit
from engine.distribution import MemberStats, PoolReport
from engine.model import EventType, Method, Page, PageKind, Pool, PoolMember, Workspace
from engine.records import Booking, Participant, Role
from services.admin import HomeOverview
from services.notifications import FailedNotification
from tests.blocks.test_admin_blocks import check_view

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
WORKSPACE = Workspace("T0001", "Europe/London", ("U0ADMIN",))
PAGES = {
    "alice": Page("alice", PageKind.MEMBER, "Alice Archer", "Europe/London", slack_user="U0A"),
    "bob": Page("bob", PageKind.MEMBER, "Bob Brown", "Europe/London", slack_user="U0B"),
}
SALES = Pool("sales", "Sales", Method.ROUND_ROBIN, members=(PoolMember("alice"), PoolMember("bob")))
REPORT = PoolReport(
    pool="sales",
    cycle_start=datetime(2026, 3, 1, tzinfo=UTC),
    cycle_end=datetime(2026, 4, 1, tzinfo=UTC),
    members=(
        MemberStats("alice", received=6, removed=1, net=5, last_received=NOW),
        MemberStats("bob", received=3, removed=0, net=3, last_received=None),
    ),
    average=4.0,
)
INTRO = EventType("intro", "Intro call", timedelta(minutes=30))


def _booking(n: int) -> Booking:
    start = NOW + timedelta(days=1, hours=n)
    return Booking(
        id=f"b{n}",
        master_page="demo",
        event_type="intro",
        start=start,
        end=start + timedelta(minutes=30),
        participants=(Participant("alice", 0, Role.OWNER, "sales"),),
        created_at=NOW,
        customer_slack_user="U0ASHA",
    )


def _overview(**changes: object) -> HomeOverview:
    values: dict[str, object] = {
        "workspace": WORKSPACE,
        "admin": False,
        "reports": (),
        "bookings": (),
        "failed": (),
        "pages": PAGES,
        "event_types": {"intro": INTRO},
    }
    return HomeOverview(**(values | changes))  # type: ignore[arg-type]


def test_bars_are_scaled_to_the_largest_value() -> None:
    assert bar(6, 6) == "█" * 20
    assert bar(3, 6) == "█" * 10 + "░" * 10
    assert bar(0, 6) == "░" * 20
    assert bar(1, 1000) == "█" + "░" * 19


def test_a_manager_sees_each_members_bar_with_received_removed_and_net() -> None:
    data = check_view(build_home(_overview(reports=((SALES, REPORT),)), tz="Europe/London"))
    text = json.dumps(data, ensure_ascii=False)

    assert "Distribution this cycle" in text
    assert "Alice Archer " + "█" * 20 + "   6 in   1 out    5 net" in text
    assert "Bob Brown    " + "█" * 10 + "░" * 10 + "   3 in   0 out    3 net" in text
    assert "Team average: 4.0" in text
    assert "1 Mar – 1 Apr 2026" in text
    assert ids.ADMIN_OPEN_MENU not in text


def test_a_plain_member_sees_only_their_bookings_with_cancel_buttons() -> None:
    data = check_view(build_home(_overview(bookings=(_booking(1),)), tz="Asia/Kolkata"))
    text = json.dumps(data)

    assert "Distribution" not in text
    row = data["blocks"][-1]
    assert row["accessory"]["action_id"] == f"{ids.HOME_CANCEL}0"
    assert row["accessory"]["value"] == "b1"
    assert "*Intro call* with Alice Archer" in row["text"]["text"]
    assert "14:30" in row["text"]["text"]  # 09:00 UTC in Kolkata


def test_no_bookings_says_how_to_book() -> None:
    data = check_view(build_home(_overview(), tz="UTC"))

    assert "/book-room" in json.dumps(data)


def test_an_admin_gets_the_setup_button_and_the_failed_notifications() -> None:
    failed = tuple(
        FailedNotification(f"m{n}", "manager_notice", "C0SALES", None, NOW, 6, "channel_not_found")
        for n in range(12)
    )
    data = check_view(build_home(_overview(admin=True, failed=failed), tz="UTC"))
    text = json.dumps(data)

    assert ids.ADMIN_OPEN_MENU in text
    assert "manager notice to <#C0SALES>" in text
    assert "channel_not_found" in text
    assert "and 2 more" in text


def test_a_home_with_many_bookings_keeps_to_one_hundred_blocks() -> None:
    bookings = tuple(_booking(n) for n in range(150))

    data = check_view(build_home(_overview(bookings=bookings), tz="UTC"))

    assert len(data["blocks"]) == 100
    assert data["blocks"][-1]["type"] == "context"
    assert "and 53 more" in data["blocks"][-1]["elements"][0]["text"]


def test_fit_leaves_short_lists_alone() -> None:
    blocks = build_home(_overview(), tz="UTC").blocks

    assert fit(list(blocks)) == list(blocks)


def test_an_empty_workspace_tells_its_users_who_sets_it_up() -> None:
    data = json.dumps(check_view(build_home(_overview(pages={}), tz="UTC")))

    assert "isn't set up in this workspace yet" in data
    assert "/book-admin" in data
    assert ids.ADMIN_OPEN_MENU not in data


def test_an_empty_workspace_shows_its_admin_where_to_start() -> None:
    data = json.dumps(check_view(build_home(_overview(pages={}, admin=True), tz="UTC")))

    assert "Nothing is set up yet" in data
    assert ids.ADMIN_OPEN_MENU in data
    assert "isn't set up" not in data


def test_an_inactive_member_is_marked_in_the_distribution() -> None:
    bob = MemberStats("bob", received=3, removed=0, net=3, last_received=None, active=False)
    report = replace(REPORT, members=(REPORT.members[0], bob), average=5.0)

    text = json.dumps(
        check_view(build_home(_overview(reports=((SALES, report),)), tz="UTC")), ensure_ascii=False
    )

    assert "   3 in   0 out    3 net (inactive)" in text
    assert "   6 in   1 out    5 net (inactive)" not in text  # alice is active


def _pools(count: int, members: int = 10) -> tuple[tuple[Pool, PoolReport], ...]:
    pages = [f"m{n}" for n in range(members)]
    stats = tuple(MemberStats(page, n, 0, n, None) for n, page in enumerate(pages))
    return tuple(
        (
            Pool(f"p{n}", f"Pool {n}", Method.POOLED, members=tuple(map(PoolMember, pages))),
            PoolReport(f"p{n}", None, None, stats, 4.5),
        )
        for n in range(count)
    )


def _shown_pools(data: dict) -> list[str]:
    return [
        block["text"]["text"].split("*")[1]
        for block in data["blocks"]
        if block["type"] == "section" and block["text"]["text"].startswith("*Pool ")
    ]


def _turn(data: dict, direction: str) -> int | None:
    buttons = [
        element
        for block in data["blocks"]
        if block.get("block_id") == ids.HOME_POOLS
        for element in block["elements"]
    ]
    found = [b for b in buttons if b["action_id"] == ids.HOME_POOLS + direction]
    return int(found[0]["value"]) if found else None


def test_an_admin_of_two_hundred_pools_pages_through_all_of_them_within_slacks_limit() -> None:
    overview = _overview(admin=True, reports=_pools(200), bookings=(_booking(1),))
    seen: list[str] = []
    first: int | None = 0
    pages = 0
    while first is not None:
        data = check_view(build_home(overview, tz="UTC", pools_from=first))
        assert len(data["blocks"]) <= 100
        assert "more not shown" not in json.dumps(data)  # nothing cut off at the end
        assert "Your upcoming bookings" in json.dumps(data)
        seen += _shown_pools(data)
        pages += 1
        first = _turn(data, "next")
    assert seen == [f"Pool {n}" for n in range(200)]  # each once, in order
    assert pages > 1
    last = check_view(build_home(overview, tz="UTC", pools_from=199))
    assert _turn(last, "next") is None
    back = _turn(last, "prev")
    assert back is not None
    assert _shown_pools(check_view(build_home(overview, tz="UTC", pools_from=back)))[0] == (
        f"Pool {back}"
    )


def test_a_pool_too_big_for_a_page_still_gets_one_of_its_own() -> None:
    overview = _overview(admin=True, reports=_pools(3, members=600))
    for first in (0, 1, 2):
        data = check_view(build_home(overview, tz="UTC", pools_from=first))
        assert _shown_pools(data) == [f"Pool {first}"]
        assert len(data["blocks"]) <= 100


def test_a_few_pools_fit_on_one_page_without_buttons() -> None:
    data = check_view(build_home(_overview(admin=True, reports=_pools(3)), tz="UTC"))
    assert _shown_pools(data) == ["Pool 0", "Pool 1", "Pool 2"]
    assert _turn(data, "next") is None
