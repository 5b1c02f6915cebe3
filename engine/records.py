"""The domain's stored records: bookings, links, time off, outbox messages, calendar connections.

Storage reads and writes them, services decide with them and the surfaces show them; none
of those owns them, so they live here, below storage, on the standard library alone (the
scheduling engine itself has no use for them). Like ``engine.model`` these are frozen
dataclasses; ids of stored rows are UUID strings and pages, pools, event types and master
pages are named by their configuration ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from engine.model import BookingStatus


class Role(StrEnum):
    """A page's part in a booking: the owner (the primary seat) or a participant."""

    OWNER = "owner"
    PARTICIPANT = "participant"


class Channel(StrEnum):
    """Who delivers an outbox row: the Slack dispatcher, the mailer or the CalDAV writer."""

    SLACK = "slack"
    EMAIL = "email"
    CALDAV = "caldav"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Participant:
    """A page a booking occupies; ``seat`` is its position in the rule, ``pool`` its source."""

    page: str
    seat: int
    role: Role
    pool: str | None = None


@dataclass(frozen=True, slots=True)
class Booking:
    """A booking with its participants in seat order (the owner first)."""

    id: str
    master_page: str
    event_type: str
    start: datetime
    end: datetime
    participants: tuple[Participant, ...]
    created_at: datetime
    status: BookingStatus = BookingStatus.CONFIRMED
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    customer_slack_user: str | None = None
    customer_name: str | None = None
    customer_email: str | None = None
    customer_timezone: str | None = None
    attendees: int = 1
    form_answers: Mapping[str, str] = field(default_factory=dict)
    idempotency_key: str | None = None
    link_id: str | None = None
    created_by: str | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    location: str | None = None

    @property
    def owner(self) -> str:
        return next(p.page for p in self.participants if p.role is Role.OWNER)


@dataclass(frozen=True, slots=True)
class Reassignment:
    """The audit record of moving one seat of a booking from one page to another."""

    booking_id: str
    from_page: str
    to_page: str
    at: datetime
    by: str | None = None
    reason: str | None = None
    forced: bool = False


@dataclass(frozen=True, slots=True)
class OneTimeLink:
    """A one-time link; the secret is never stored, only ``token_hash``."""

    id: str
    token_hash: str
    master_page: str
    created_at: datetime
    event_type: str | None = None
    guest_name: str | None = None
    guest_email: str | None = None
    form_answers: Mapping[str, str] | None = None
    member: str | None = None
    expires_at: datetime | None = None
    created_by: str | None = None
    revoked_at: datetime | None = None
    used_at: datetime | None = None
    booking_id: str | None = None


@dataclass(frozen=True, slots=True)
class TimeOff:
    """Whole local dates ``first_day``..``last_day`` (both included) a page is away."""

    id: str
    page: str
    first_day: date
    last_day: date
    created_at: datetime
    reason: str | None = None
    created_by: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A notification to deliver once; ``dedupe_key`` names it uniquely in its workspace.

    ``in_doubt_since``: an earlier attempt, claimed then, may have posted the message.
    ``channel`` names the deliverer (``slack``, ``email``); ``handed`` is what an earlier
    attempt handed to the mail server (an email's MIME text), sent again as is.
    """

    id: str
    kind: str
    recipient: str
    due_at: datetime
    dedupe_key: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    booking_id: str | None = None
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    claimed_until: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    slack_ts: str | None = None
    in_doubt_since: datetime | None = None
    channel: Channel = Channel.SLACK
    handed: str | None = None


@dataclass(frozen=True, slots=True)
class CalendarConnection:
    """A stored connection; ``secret`` is the sealed URL and credentials, ``busy`` its blocks."""

    id: str
    kind: str
    pages: tuple[str, ...]
    shown_url: str
    secret: str
    write: bool
    created_at: datetime
    due_at: datetime
    created_by: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    window_end: datetime | None = None
    claimed_until: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    failing_since: datetime | None = None
    failure_told: bool = False
    busy: int = 0
