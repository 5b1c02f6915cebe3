"""A small valid configuration file, and ways to break it, for the configuration tests."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ACME = Path(__file__).parents[2] / "examples" / "acme.yml"


def small_config() -> dict[str, Any]:
    """Return the data of a small valid file using every section of the configuration file."""
    return {
        "workspace": {"id": "T0001", "timezone": "Europe/London", "admins": ["U0ADMIN"]},
        "booking_pages": [
            {
                "id": "alice",
                "kind": "member",
                "slack_user": "U0ALICE",
                "name": "Alice",
                "timezone": "America/New_York",
                "hours": {"mon-fri": ["09:00-12:00", "13:00-17:00"]},
                "overrides": {"2026-12-24": []},
            },
            {
                "id": "bob",
                "kind": "member",
                "slack_user": "U0BOB",
                "name": "Bob",
                "timezone": "Asia/Kolkata",
                "hours": {"mon-fri": ["10:00-18:00"]},
            },
            {
                "id": "room-a",
                "kind": "resource",
                "name": "Room A",
                "timezone": "Europe/London",
                "capacity": 8,
                "hours": {"mon-fri": ["08:00-18:00"]},
            },
        ],
        "event_types": [
            {"id": "intro", "name": "Intro call", "duration": "30m", "pages": ["alice", "bob"]}
        ],
        "pools": [
            {
                "id": "sales",
                "name": "Sales",
                "method": "round_robin",
                "members": [{"page": "alice", "priority": "high"}, {"page": "bob"}],
            },
            {"id": "rooms", "name": "Rooms", "method": "pooled", "members": [{"page": "room-a"}]},
        ],
        "master_pages": [
            {
                "id": "demo",
                "name": "Book a demo",
                "mode": "dynamic",
                "rules": [
                    {
                        "event_type": "intro",
                        "primary": {"pool": "sales"},
                        "additional": [{"pool": "rooms"}],
                    }
                ],
            },
            {
                "id": "support",
                "name": "Support",
                "mode": "static",
                "method": "pooled",
                "event_types": ["intro"],
            },
        ],
        "busy": [{"page": "alice", "start": "2026-12-01T14:00:00Z", "end": "2026-12-01T15:00:00Z"}],
    }


def small_config_text(change: Callable[[dict[str, Any]], object] | None = None) -> str:
    """Return the YAML of ``small_config()``, first changed in place by ``change``."""
    data = copy.deepcopy(small_config())
    if change is not None:
        change(data)
    return yaml.safe_dump(data, sort_keys=False)
