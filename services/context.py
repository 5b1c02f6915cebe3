"""What every surface hands to the use cases: the database, the clock and who is acting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine


def system_clock() -> datetime:
    """Read the wall clock in UTC; the one place outside tests that does."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Services:
    """The shared dependencies of the Slack app, the worker and the guest pages."""

    engine: Engine
    public_url: str = "http://localhost:3000"
    clock: Callable[[], datetime] = field(default=system_clock)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks for a use case: a Slack user, the command line acting as an admin (§11), or
    the guest holding one booking's manage link (``guest_of`` names that booking)."""

    slack_user: str | None = None
    guest_of: str | None = None

    @property
    def is_cli(self) -> bool:
        return self.slack_user is None and self.guest_of is None
