"""A workspace with one dynamic master page, a fixed clock, and the guest app over it.

Monday 7 December 2026, 08:00 UTC. Alice (Europe/London) works 09:00-12:00 on weekdays; the
master page "Book a demo" offers an intro call (30 minutes, a required "Topic" question) and
a deep dive (60 minutes), both with the pool "Demo team" of Alice alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from werkzeug.test import Client

from services.config import apply_config
from services.context import CommandLine, Services
from services.links import create_link, revoke_link
from web.app import GuestApp

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
PUBLIC_URL = "http://guest.test"
SECRET = b"test secret"
CONFIG = """\
workspace: {id: T0001, timezone: Europe/London, admins: [U0ADMIN]}
booking_pages:
  - {id: alice, kind: member, slack_user: U0ALICE, name: Alice Hart, timezone: Europe/London,
     hours: {mon-fri: ["09:00-12:00"]}}
event_types:
  - {id: intro, name: Intro call, duration: 30m, pages: [alice],
     form: [{id: topic, label: Topic, required: true}]}
  - {id: deep, name: Deep dive, duration: 1h, pages: [alice]}
pools:
  - {id: team, name: Demo team, method: pooled, members: [{page: alice}]}
master_pages:
  - id: demo
    name: Book a demo
    mode: dynamic
    one_time_links_only: true
    rules: [{event_type: intro, primary: {pool: team}}, {event_type: deep, primary: {pool: team}}]
"""
SECRET_NAMES = ("Book a demo", "Intro call", "Deep dive", "Alice", "alice", "demo", "team", "Topic")
"""Everything that lies behind a link: a refused link's page shows none of it."""

MakeLink = Callable[..., str]
ROOMS = """\
  - {id: room-a, kind: resource, name: Room A, timezone: Europe/London, capacity: 4,
     hours: {mon-fri: ["09:00-12:00"]}}
  - {id: room-b, kind: resource, name: Room B, timezone: Europe/London, capacity: 8,
     hours: {mon-fri: ["10:00-12:00"]}}
"""
ROOMS_CONFIG = (
    CONFIG.replace("event_types:", ROOMS + "event_types:")
    .replace(
        "pools:",
        "pools:\n  - {id: rooms, name: Rooms, method: pooled,"
        " members: [{page: room-a}, {page: room-b}]}",
    )
    .replace(
        "{event_type: intro, primary: {pool: team}}",
        "{event_type: intro, primary: {pool: team}, additional: [{pool: rooms}]}",
    )
)
"""The workspace with the intro call taking a room: Room A seats 4, Room B 8 (from 10:00)."""


@pytest.fixture
def services(sqlite_engine: Engine, tmp_path: Path) -> Services:
    config = tmp_path / "guest.yml"
    config.write_text(CONFIG)
    apply_config(sqlite_engine, config)
    return Services(engine=sqlite_engine, public_url=PUBLIC_URL, clock=lambda: NOW)


@pytest.fixture
def with_rooms(services: Services, tmp_path: Path) -> Services:
    """Apply ``ROOMS_CONFIG`` over the workspace."""
    path = tmp_path / "rooms.yml"
    path.write_text(ROOMS_CONFIG)
    apply_config(services.engine, path)
    return services


@pytest.fixture
def make_link(services: Services) -> MakeLink:
    """Create a link to "Book a demo" and return its token; keywords go to ``create_link``."""

    def make(**options: Any) -> str:
        options.setdefault("now", NOW)
        created = create_link(
            services.engine, "T0001", "demo", actor=CommandLine(), public_url=PUBLIC_URL, **options
        )
        return created.token

    return make


@pytest.fixture
def personal_link(make_link: MakeLink) -> str:
    return make_link(
        event_type="intro", name="Ann Lee", email="ann@example.com", form_answers={"topic": "Demo"}
    )


@pytest.fixture
def revoked_link(make_link: MakeLink, services: Services) -> str:
    token = make_link()
    revoke_link(services.engine, "T0001", token, actor=CommandLine(), now=NOW)
    return token


@pytest.fixture
def expired_link(make_link: MakeLink) -> str:
    return make_link(now=NOW - timedelta(days=31))


@pytest.fixture
def guest_app(services: Services) -> GuestApp:
    return GuestApp(services, secret=SECRET)


@pytest.fixture
def client(guest_app: GuestApp) -> Client:
    return Client(guest_app)
