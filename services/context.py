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
class CommandLine:
    """The command line without ``--by``: it acts as an admin of the workspace it names."""

    @property
    def slack_user(self) -> None:
        """No Slack user acts (what a booking records as made or cancelled by)."""
        return None


@dataclass(frozen=True, slots=True)
class SlackUser:
    """A Slack user: the one who sent a Slack request, or the command line's ``--by``.

    ``slack`` lets the role checks ask Slack whether the user is one of the workspace's
    owners or admins (the Slack app hands it in); ``--by`` has none, so there only the
    configured roles count.
    """

    id: str
    slack: SlackRoles | None = field(default=None, compare=False, repr=False)

    @property
    def slack_user(self) -> str:
        """The Slack user who acts."""
        return self.id


@dataclass(frozen=True, slots=True)
class Guest:
    """The holder of a link on the guest pages: a booking's manage link (``booking`` names
    that booking) or a one-time link (``booking`` is None: the guest holds none yet).

    The link is the guest's whole authority: a guest is never an admin.
    """

    booking: str | None = None

    @property
    def slack_user(self) -> None:
        """No Slack user acts."""
        return None


Actor = CommandLine | SlackUser | Guest
"""Who asks for a use case; every role check matches on all three (``services.roles``)."""

LINK_GUEST = Guest()
"""The guest of a one-time link on the guest pages: the link is their authority, no role."""
