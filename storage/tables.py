"""SQLModel tables: the only place that knows the database schema.

Every row belongs to one workspace (``workspace_id``). Configuration entities keep a UUID
primary key plus their configuration id (``key``), unique per workspace, a ``position`` (the
order of the configuration file) and ``archived_at``: an entity missing from an applied
configuration is archived, never deleted, so bookings and the ledger keep their history.
Durations are whole minutes; instants are ``UTCDateTime`` (aware, UTC).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, Text, UniqueConstraint, text, true
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlmodel import Field, SQLModel


class WorkspaceRow(SQLModel, table=True):
    """A Slack workspace (team); ``team_id`` is the configuration's ``workspace.id``.

    ``config_version`` grows with every configuration save that changes something (the key
    of the process-wide configuration cache). ``max_booking_buffer_min`` is never less than
    the longest buffer, before or after, of any stored booking, and ``max_booking_minutes``
    than the longest stored booking; neither shrinks (they bound how far a booking's busy
    time reaches beyond it, and how long before a range a booking reaching into it starts).
    """

    __tablename__ = "workspaces"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    team_id: str = Field(unique=True)
    timezone: str
    admins: list[str] = Field(sa_type=JSON)
    slack_admins: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    config_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    max_booking_buffer_min: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    max_booking_minutes: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class ScopedRow(SQLModel):
    """Columns of every row but a workspace's own: the UUID key and the workspace."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    workspace_id: uuid.UUID = Field(foreign_key="workspaces.id")


class ListedRow(ScopedRow):
    """A row kept in the order of the configuration file."""

    position: int


class ConfigEntityRow(ListedRow):
    """An entity of the configuration file, known by its id there (``key``)."""

    key: str
    archived_at: datetime | None = None


class PageRow(ConfigEntityRow, table=True):
    """A booking page; ``hours`` is seven lists of ``[start, end]`` minutes, Monday first."""

    __tablename__ = "booking_pages"
    __table_args__ = (UniqueConstraint("workspace_id", "key", name="uq_booking_pages_key"),)

    kind: str
    name: str
    timezone: str
    slack_user: str | None = None
    capacity: int | None = None
    hours: list[list[list[int]]] = Field(sa_type=JSON)
    overrides: dict[str, list[list[int]]] = Field(sa_type=JSON)
    max_per_day: int | None = None
    max_per_week: int | None = None
    location: str | None = None


class EventTypeRow(ConfigEntityRow, table=True):
    __tablename__ = "event_types"
    __table_args__ = (UniqueConstraint("workspace_id", "key", name="uq_event_types_key"),)

    name: str
    duration_min: int
    step_min: int | None = None
    buffer_before_min: int
    buffer_after_min: int
    min_notice_min: int
    max_days_ahead: int
    reminders_min: list[int] = Field(sa_type=JSON)
    form: list[dict[str, Any]] = Field(sa_type=JSON)
    location: str | None = None


class EventTypePageRow(ListedRow, table=True):
    """A page offered by an event type (static and customer-selection master pages)."""

    __tablename__ = "event_type_pages"

    event_type_id: uuid.UUID = Field(foreign_key="event_types.id", index=True)
    page_id: uuid.UUID = Field(foreign_key="booking_pages.id")


class PoolRow(ConfigEntityRow, table=True):
    __tablename__ = "pools"
    __table_args__ = (UniqueConstraint("workspace_id", "key", name="uq_pools_key"),)

    name: str
    method: str
    cycle: str
    automatic_correction: bool
    managers: list[str] = Field(sa_type=JSON)
    channel: str | None = None
    lookahead_min: int | None = None
    flexible: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})


class PoolMemberRow(ListedRow, table=True):
    """A page in a pool; ``archived_at`` marks a member dropped from the configuration.

    ``active`` is the configured flag; a member counts as active only when also not archived.
    ``join_seq`` is the join order (``PoolMember.joined``), ``joined_at`` when the row was made.
    """

    __tablename__ = "pool_members"
    __table_args__ = (UniqueConstraint("pool_id", "page_id", name="uq_pool_members_page"),)

    pool_id: uuid.UUID = Field(foreign_key="pools.id")
    page_id: uuid.UUID = Field(foreign_key="booking_pages.id")
    priority: str
    active: bool
    join_seq: int
    joined_at: datetime
    archived_at: datetime | None = None


class MasterPageRow(ConfigEntityRow, table=True):
    __tablename__ = "master_pages"
    __table_args__ = (UniqueConstraint("workspace_id", "key", name="uq_master_pages_key"),)

    name: str
    mode: str
    method: str | None = None
    one_time_links_only: bool


class RuleRow(ListedRow, table=True):
    """A dynamic rule of a master page: one per offered event type."""

    __tablename__ = "master_page_rules"

    master_page_id: uuid.UUID = Field(foreign_key="master_pages.id", index=True)
    event_type_id: uuid.UUID = Field(foreign_key="event_types.id")


class SeatRow(ListedRow, table=True):
    """A seat of a rule: the primary or an additional member, either a page or a pool."""

    __tablename__ = "master_page_rule_seats"
    __table_args__ = (
        CheckConstraint(
            "(page_id IS NULL) <> (pool_id IS NULL)", name="ck_master_page_rule_seats_target"
        ),
    )

    rule_id: uuid.UUID = Field(foreign_key="master_page_rules.id", index=True)
    role: str
    page_id: uuid.UUID | None = Field(default=None, foreign_key="booking_pages.id")
    pool_id: uuid.UUID | None = Field(default=None, foreign_key="pools.id")


class MasterPageEventTypeRow(ListedRow, table=True):
    """An event type offered by a non-dynamic master page."""

    __tablename__ = "master_page_event_types"

    master_page_id: uuid.UUID = Field(foreign_key="master_pages.id", index=True)
    event_type_id: uuid.UUID = Field(foreign_key="event_types.id")


class LinkRow(ScopedRow, table=True):
    """A one-time link; only the SHA-256 of its secret is stored."""

    __tablename__ = "one_time_links"

    token_hash: str = Field(unique=True)
    master_page_id: uuid.UUID = Field(foreign_key="master_pages.id")
    event_type_id: uuid.UUID | None = Field(default=None, foreign_key="event_types.id")
    guest_name: str | None = None
    guest_email: str | None = None
    form_answers: dict[str, str] | None = Field(default=None, sa_type=JSON)
    # The page a flexible round-robin seat gives the link's booking. Not a foreign key:
    # SQLite adds one only by copying the table, which bookings.link_id points into.
    member_page_id: uuid.UUID | None = None
    expires_at: datetime | None = None
    created_by: str | None = None
    created_at: datetime
    revoked_at: datetime | None = None
    used_at: datetime | None = None
    # Not a foreign key: bookings.link_id already points here, and a cycle would need
    # ALTER TABLE constraints that SQLite does not have.
    booking_id: uuid.UUID | None = None


class BookingRow(ScopedRow, table=True):
    """A booking; its buffers are kept so later edits of the event type do not move it."""

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("workspace_id", "idempotency_key", name="uq_bookings_idempotency_key"),
        Index("ix_bookings_customer", "workspace_id", "customer_slack_user", "start_at"),
        # When each page last received a booking of an event type on a master page (static
        # pooled, storage.schedule): one index range a question.
        Index(
            "ix_bookings_last_received",
            "workspace_id",
            "master_page_id",
            "event_type_id",
            "owner_page_id",
            "created_at",
        ),
    )

    master_page_id: uuid.UUID = Field(foreign_key="master_pages.id")
    event_type_id: uuid.UUID = Field(foreign_key="event_types.id")
    owner_page_id: uuid.UUID = Field(foreign_key="booking_pages.id")
    start_at: datetime
    end_at: datetime
    status: str
    buffer_before_min: int
    buffer_after_min: int
    customer_slack_user: str | None = None
    customer_name: str | None = None
    customer_email: str | None = None
    customer_timezone: str | None = None
    attendees: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    form_answers: dict[str, str] = Field(sa_type=JSON)
    idempotency_key: str | None = None
    link_id: uuid.UUID | None = Field(default=None, foreign_key="one_time_links.id")
    created_at: datetime
    created_by: str | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    location: str | None = None


class ParticipantRow(ScopedRow, table=True):
    """A page a booking occupies, with copies of the booking's time and buffers.

    The time lets PostgreSQL forbid overlaps; time and buffers together let a schedule load
    read a page's bookings from ``ix_booking_participants_page_start`` alone.
    """

    __tablename__ = "booking_participants"
    __table_args__ = (
        # Covers schedule loads (storage.schedule): one index range scan a page, no join.
        Index(
            "ix_booking_participants_page_start",
            "workspace_id",
            "page_id",
            "start_at",
            "end_at",
            "confirmed",
            "buffer_before_min",
            "buffer_after_min",
            "booking_id",
        ),
        ExcludeConstraint(
            ("workspace_id", "="),
            ("page_id", "="),
            (text("tstzrange(start_at, end_at, '[)')"), "&&"),
            name="ex_booking_participants_overlap",
            using="gist",
            where=text("confirmed"),
        ).ddl_if(dialect="postgresql"),
    )

    booking_id: uuid.UUID = Field(foreign_key="bookings.id", index=True)
    page_id: uuid.UUID = Field(foreign_key="booking_pages.id")
    seat: int
    pool_id: uuid.UUID | None = Field(default=None, foreign_key="pools.id")
    role: str
    start_at: datetime
    end_at: datetime
    confirmed: bool
    buffer_before_min: int = Field(sa_column_kwargs={"server_default": "0"})
    buffer_after_min: int = Field(sa_column_kwargs={"server_default": "0"})


class LedgerRow(ScopedRow, table=True):
    """A distribution event of a pool: a booking received by or removed from a page."""

    __tablename__ = "ledger"
    __table_args__ = (
        # A cycle's entries counted per member and kind from the index alone (storage.schedule).
        Index("ix_ledger_pool_at", "pool_id", "at", "page_id", "kind"),
        # A member's latest receipt in one probe (storage.schedule), however long the history.
        Index("ix_ledger_latest", "pool_id", "page_id", "kind", "at"),
    )

    pool_id: uuid.UUID = Field(foreign_key="pools.id")
    page_id: uuid.UUID = Field(foreign_key="booking_pages.id")
    kind: str
    at: datetime
    booking_id: uuid.UUID | None = Field(default=None, foreign_key="bookings.id")


class ReassignmentRow(ScopedRow, table=True):
    """The audit of one reassignment."""

    __tablename__ = "reassignments"

    booking_id: uuid.UUID = Field(foreign_key="bookings.id", index=True)
    from_page_id: uuid.UUID = Field(foreign_key="booking_pages.id")
    to_page_id: uuid.UUID = Field(foreign_key="booking_pages.id")
    by: str | None = None
    at: datetime
    reason: str | None = None
    forced: bool


class OutboxRow(ScopedRow, table=True):
    """A notification to deliver; ``claimed_until`` is the lease of the sending process.

    ``in_doubt_since`` is when the first delivery attempt whose outcome is unknown was
    claimed (a sender that died, a timeout, a 5xx); the next sender looks for the message in
    Slack before posting it again. ``channel`` names the deliverer: ``slack`` (the
    dispatcher), ``email`` (the mailer), ``caldav`` (calendar writes, whose ``recipient`` is a
    connection id). ``handed`` is an email as handed to the mail server, so a retry in doubt
    sends it again byte for byte.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("workspace_id", "dedupe_key", name="uq_outbox_dedupe_key"),
        Index("ix_outbox_status_due", "status", "due_at"),
    )

    booking_id: uuid.UUID | None = Field(default=None, foreign_key="bookings.id", index=True)
    kind: str
    recipient: str
    due_at: datetime
    payload: dict[str, Any] = Field(sa_type=JSON)
    status: str
    attempts: int
    claimed_until: datetime | None = None
    last_error: str | None = None
    dedupe_key: str
    sent_at: datetime | None = None
    slack_ts: str | None = None
    in_doubt_since: datetime | None = None
    channel: str = Field(default="slack", sa_column_kwargs={"server_default": "slack"})
    handed: str | None = Field(default=None, sa_type=Text)


class CalendarConnectionRow(ScopedRow, table=True):
    """A calendar a booking page reads its busy times from: an ICS feed or CalDAV.

    ``secret`` is a Fernet token (``services.secret``) of the source's URL and credentials;
    ``shown_url`` is what may be printed (no credentials, no query; an ICS feed's path too
    is hidden, as feeds carry their secret there). ``etag``/``last_modified`` are the
    source's validators from the last successful read (an ICS feed's ETag and Last-Modified,
    a CalDAV collection's ctag), sent back so that an unchanged source is not read again;
    ``window_end`` is how far ahead that read expanded the events (a later sync that needs
    more reads the source in full).
    ``due_at`` is when the sync job next reads it, ``claimed_until`` the lease of the
    process reading it now. ``failing_since`` is the first failure since the last success;
    ``failure_told`` says the page's member was told about it.
    """

    __tablename__ = "calendar_connections"

    kind: str
    shown_url: str
    secret: str
    write: bool
    created_at: datetime
    created_by: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    window_end: datetime | None = None
    due_at: datetime
    claimed_until: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    failing_since: datetime | None = None
    failure_told: bool = False


class CalendarPageRow(ScopedRow, table=True):
    """A booking page served by a calendar connection (one connection may serve several)."""

    __tablename__ = "calendar_connection_pages"
    __table_args__ = (
        UniqueConstraint("connection_id", "page_id", name="uq_calendar_connection_pages_page"),
    )

    connection_id: uuid.UUID = Field(foreign_key="calendar_connections.id", index=True)
    page_id: uuid.UUID = Field(foreign_key="booking_pages.id", index=True)


class BusyBlockRow(ListedRow, table=True):
    """An external busy block; ``source`` is ``config`` for blocks of the configuration file.

    Blocks read from a calendar have ``source`` ``calendar`` and name their connection;
    ``config apply`` never touches them.
    """

    __tablename__ = "busy_blocks"
    __table_args__ = (Index("ix_busy_blocks_page_start", "workspace_id", "page_id", "start_at"),)

    page_id: uuid.UUID = Field(foreign_key="booking_pages.id")
    start_at: datetime
    end_at: datetime
    source: str
    connection_id: uuid.UUID | None = Field(
        default=None, foreign_key="calendar_connections.id", index=True
    )


class TimeOffRow(ScopedRow, table=True):
    """Time off of a booking page: whole local dates ``first_day``..``last_day`` in its zone."""

    __tablename__ = "time_off"
    __table_args__ = (Index("ix_time_off_page_last_day", "workspace_id", "page_id", "last_day"),)

    page_id: uuid.UUID = Field(foreign_key="booking_pages.id")
    first_day: date
    last_day: date
    reason: str | None = None
    created_by: str | None = None
    created_at: datetime


class PageChangeRow(SQLModel, table=True):
    """A stamp per booking page that changes whenever its bookings, busy blocks or time off do.

    Written by database triggers (migration 0013), never by the application: any process's
    change to ``booking_participants``, ``busy_blocks`` or ``time_off`` gives the row's page a
    new random stamp in the same transaction. A page never changed has no row.
    """

    __tablename__ = "page_changes"

    workspace_id: uuid.UUID = Field(primary_key=True)
    page_id: uuid.UUID = Field(primary_key=True)
    stamp: int = Field(sa_type=BigInteger)


class FeedRow(ScopedRow, table=True):
    """A page's bookings feed; only the SHA-256 of its secret token is stored."""

    __tablename__ = "booking_feeds"

    page_id: uuid.UUID = Field(foreign_key="booking_pages.id", unique=True)
    token_hash: str = Field(unique=True)
    created_at: datetime
