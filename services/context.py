"""What every surface hands to the use cases: the database, the clock and who is acting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

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


class SlackRoles(Protocol):
    """What the role checks ask Slack, through the Web API client of the acting user's request."""

    def is_workspace_admin(self, workspace_id: str, user_id: str) -> bool:
        """Tell whether the user is an owner or admin of the Slack workspace."""
        ...


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks for a use case: a Slack user, the command line acting as an admin, or a
    guest: the holder of one booking's manage link (``guest_of`` names that booking) or of a
    one-time link (``LINK_GUEST``: ``guest_of`` is empty, as the guest holds no booking yet).
    A guest is never an admin.

    ``slack`` lets the role checks ask Slack about the user (the Slack app hands it in); the
    command line's ``--by`` has none, so there only the configured roles count.
    """

    slack_user: str | None = None
    guest_of: str | None = None
    slack: SlackRoles | None = field(default=None, compare=False, repr=False)

    @property
    def is_cli(self) -> bool:
        return self.slack_user is None and self.guest_of is None


LINK_GUEST = Actor(guest_of="")
"""The guest of a one-time link on the guest pages: the link is their authority, no role."""
