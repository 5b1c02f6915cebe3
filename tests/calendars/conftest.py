"""A small workspace, real feed and CalDAV servers, and the app's secret for calendar tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine

from services.config import apply_config
from tests.calendars.servers import FeedServer, Radicale, feed_server, radicale_server

TEAM = "T0CAL"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
ICS = Path(__file__).parent / "ics"

CONFIG = {
    "workspace": {"id": TEAM, "timezone": "Europe/London", "admins": ["U0ADMIN"]},
    "booking_pages": [
        {
            "id": "alice",
            "kind": "member",
            "slack_user": "U0ALICE",
            "name": "Alice",
            "timezone": "Europe/London",
            "hours": {"mon-fri": ["09:00-17:00"]},
        },
        {
            "id": "bob",
            "kind": "member",
            "slack_user": "U0BOB",
            "name": "Bob",
            "timezone": "America/New_York",
            "hours": {"mon-fri": ["09:00-17:00"]},
        },
        {
            "id": "room",
            "kind": "resource",
            "name": "Room",
            "timezone": "Europe/London",
            "hours": {"mon-fri": ["08:00-18:00"]},
        },
    ],
    "event_types": [
        {
            "id": "meet",
            "name": "Meeting",
            "duration": "1h",
            "max_days_ahead": 14,
            "pages": ["alice"],
        }
    ],
    "master_pages": [
        {
            "id": "meet-alice",
            "name": "Meet Alice",
            "mode": "dynamic",
            "rules": [{"event_type": "meet", "primary": {"page": "alice"}}],
        }
    ],
    "busy": [{"page": "alice", "start": "2026-12-07T16:00:00Z", "end": "2026-12-07T17:00:00Z"}],
}


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ROUNDTABLE_SECRET", "calendar-test-secret")
    monkeypatch.delenv("CALENDAR_SYNC_MINUTES", raising=False)
    return "calendar-test-secret"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "cal.yml"
    path.write_text(yaml.safe_dump(CONFIG))
    return path


@pytest.fixture
def world(db_engine: Engine, config_file: Path, secret: str) -> Engine:
    """The workspace applied to a fresh database (SQLite, then PostgreSQL)."""
    apply_config(db_engine, config_file)
    return db_engine


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with feed_server() as server:
        yield server


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Radicale]:
    folder = tmp_path / "radicale"
    folder.mkdir()
    with radicale_server(folder) as server:
        yield server
