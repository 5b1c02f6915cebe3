"""A small company for the booking tests: pools of every method, a panel, links, selection.

Every page works 09:00–17:00 Monday to Friday in London, where winter time is UTC, so a
slot's UTC time reads as its local time. ``NOW`` is Monday 30 November 2026, 08:00 UTC.

=========  ===========================================================================
master     what it books
=========  ===========================================================================
demo       chat (30m) with the round-robin pool ``sales`` (alice, bob, carol; U0BOSS)
desk       chat with the pooled pool ``desk`` (alice, bob, carol)
prio       chat with the priority pool ``prio`` (alice low, bob high, carol high)
panel      meet (60m): dave owns, erin joins, plus a room of the pooled pool ``rooms``
guest      intro (30m, form: topic required) with ``sales``; one-time links only
bytime     intro, static find_member_by_time over alice, bob, carol
people     intro, pages_first over alice, bob, carol
=========  ===========================================================================
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, text

from engine.records import Booking
from services.booking import BookingRequest, Customer, book
from services.config import apply_config
from services.context import CommandLine, SlackUser
from services.slots import offered_slots

WS = "T0001"
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
ADMIN = SlackUser("U0ADMIN")
CLI = CommandLine()
BOSS = SlackUser("U0BOSS")
STRANGER = SlackUser("U0NOBODY")
HOURS = {"mon-fri": ["09:00-17:00"]}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Return 30 November 2026 (``day`` 30) or ``day`` December 2026 at hour:minute UTC."""
    month = 11 if day == 30 else 12
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _member(page: str, user: str, name: str) -> dict[str, Any]:
    return {
        "id": page,
        "kind": "member",
        "slack_user": user,
        "name": name,
        "timezone": "Europe/London",
        "hours": HOURS,
    }


def _room(page: str, name: str) -> dict[str, Any]:
    return {
        "id": page,
        "kind": "resource",
        "name": name,
        "timezone": "Europe/London",
        "hours": HOURS,
    }


def _dynamic(master: str, event_type: str, primary: dict[str, str], **more: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {"event_type": event_type, "primary": primary}
    if "additional" in more:
        rule["additional"] = more.pop("additional")
    return {"id": master, "name": master.title(), "mode": "dynamic", "rules": [rule], **more}


def world() -> dict[str, Any]:
    """Return the configuration data of the test company."""
    trio = [{"page": "alice"}, {"page": "bob"}, {"page": "carol"}]
    return {
        "workspace": {"id": WS, "timezone": "Europe/London", "admins": ["U0ADMIN"]},
        "booking_pages": [
            _member("alice", "U0ALICE", "Alice"),
            _member("bob", "U0BOB", "Bob"),
            _member("carol", "U0CAROL", "Carol"),
            _member("dave", "U0DAVE", "Dave"),
            _member("erin", "U0ERIN", "Erin"),
            _room("room-a", "Room A"),
            _room("room-b", "Room B"),
        ],
        "event_types": [
            {"id": "chat", "name": "Chat", "duration": "30m"},
            {"id": "meet", "name": "Meeting", "duration": "1h"},
            {
                "id": "intro",
                "name": "Intro",
                "duration": "30m",
                "pages": ["alice", "bob", "carol"],
                "form": [
                    {"id": "topic", "label": "Topic", "required": True},
                    {"id": "notes", "label": "Notes"},
                ],
            },
        ],
        "pools": [
            {
                "id": "sales",
                "name": "Sales",
                "method": "round_robin",
                "managers": ["U0BOSS"],
                "members": copy.deepcopy(trio),
            },
            {"id": "desk", "name": "Desk", "method": "pooled", "members": copy.deepcopy(trio)},
            {
                "id": "prio",
                "name": "Prio",
                "method": "pooled_priority",
                "members": [
                    {"page": "alice", "priority": "low"},
                    {"page": "bob", "priority": "high"},
                    {"page": "carol", "priority": "high"},
                ],
            },
            {
                "id": "rooms",
                "name": "Rooms",
                "method": "pooled",
                "managers": ["U0FACIL"],
                "members": [{"page": "room-a"}, {"page": "room-b"}],
            },
        ],
        "master_pages": [
            _dynamic("demo", "chat", {"pool": "sales"}),
            _dynamic("desk", "chat", {"pool": "desk"}),
            _dynamic("prio", "chat", {"pool": "prio"}),
            _dynamic(
                "panel", "meet", {"page": "dave"}, additional=[{"page": "erin"}, {"pool": "rooms"}]
            ),
            _dynamic("guest", "intro", {"pool": "sales"}, one_time_links_only=True),
            {
                "id": "bytime",
                "name": "By time",
                "mode": "static",
                "method": "find_member_by_time",
                "event_types": ["intro"],
            },
            {"id": "people", "name": "People", "mode": "pages_first", "event_types": ["intro"]},
        ],
    }


def setup(
    engine: Engine, tmp_path: Path, change: Callable[[dict[str, Any]], object] | None = None
) -> None:
    """Apply the test company (first changed in place by ``change``) to ``engine``."""
    data = world()
    if change is not None:
        change(data)
    path = tmp_path / f"world-{len(list(tmp_path.glob('world-*.yml')))}.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    apply_config(engine, path)


def request(master: str, event_type: str, start: datetime, **more: Any) -> BookingRequest:
    """Return a booking request of the Slack user U0CUST unless ``customer`` is given."""
    more.setdefault("customer", Customer(slack_user="U0CUST"))
    return BookingRequest(WS, master, event_type, start, **more)


def book_at(
    engine: Engine,
    master: str,
    event_type: str,
    start: datetime,
    *,
    now: datetime = NOW,
    **more: Any,
) -> Booking:
    """Book as an admin at ``start``."""
    return book(engine, request(master, event_type, start, **more), actor=ADMIN, now=now)


def first_slot(
    engine: Engine, master: str, event_type: str, day: date, *, now: datetime = NOW
) -> datetime:
    """Return the first start offered on ``day``."""
    slots = offered_slots(engine, WS, master, event_type, day, day, tz=None, now=now, actor=ADMIN)
    assert slots, f"nothing offered on {day}"
    return slots[0].start


TABLES = ("bookings", "booking_participants", "ledger", "outbox", "reassignments")


def counts(engine: Engine) -> dict[str, int]:
    """Count what a use case writes: rows of each table, cancelled bookings and used links."""
    queries = {name: f"SELECT count(*) FROM {name}" for name in TABLES}
    queries["cancelled"] = "SELECT count(*) FROM bookings WHERE status = 'cancelled'"
    queries["links_used"] = "SELECT count(*) FROM one_time_links WHERE used_at IS NOT NULL"
    queries["links_revoked"] = "SELECT count(*) FROM one_time_links WHERE revoked_at IS NOT NULL"
    queries["links"] = "SELECT count(*) FROM one_time_links"
    with engine.connect() as connection:
        return {name: connection.execute(text(sql)).scalar_one() for name, sql in queries.items()}
