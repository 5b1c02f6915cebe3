"""Deliver the outbox on APScheduler 3: claimed, rendered, sent, marked.

``dispatch_due`` is one round: claim up to ``limit`` due rows (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, the one write lock on SQLite) with a lease, render each from its booking as it is
now, hand it to the deliverer of its ``channel`` and mark it. Slack's deliverer is here;
others (email: ``bot.mail``) are handed in by channel, and a process claims only rows of the
channels it can deliver. ``start_dispatcher`` runs rounds on a scheduler every few seconds,
in ``roundtable serve`` (a ``BackgroundScheduler``) and ``roundtable worker`` (a
``BlockingScheduler``), and at once when a commit of the same process queues rows
(``storage.uow.on_queued``). The truth is the outbox table, so any number of processes can
run the job; a row is worked on by one process at a time.

A deliverer takes the claimed row with its booking and configuration and returns
``Delivered``, or raises ``Retry`` (try again later, maybe in doubt) or ``GiveUp`` (failed
for good); the round records the outcome and applies the back-off below to every channel.

Sending
    DMs go to ``channel=<user id>`` (Slack opens the app's DM), channel notices to the channel.
    Every message carries ``metadata = {"event_type": "roundtable_outbox", "event_payload":
    {"outbox_id": …}}`` and its ``ts`` is recorded when sent.

At send time
    A reminder whose meeting has started (say, after downtime), whose booking was cancelled,
    or whose recipient left the booking is marked ``skipped``; so is one that a later
    reminder of the same booking supersedes (after downtime only the last due one goes out,
    saying how long is really left); so are confirmations and manager notices of a
    cancelled booking. Everything else is rendered from the booking as it is then, so a
    reminder after a reassignment names the new host. Outcomes are committed a few at a
    time (``_Marks``); a post not yet recorded when the process dies is found again below.

Failures (each logged)
    429: back at ``now + Retry-After`` and not counted as an attempt: rate limits never make a
    message fail. 5xx, network errors, timeouts and unknown Slack errors: exponential back-off
    with jitter (30 s, 1 min, 2 min, … up to 1 h) until ``MAX_ATTEMPTS`` (6) attempts, then
    ``failed`` with the reason. Errors that will not heal (``channel_not_found``,
    ``user_not_found``, ``account_inactive``, ``not_in_channel``, ``is_archived``, …): ``failed``
    at once; ``services.notifications.failed_notifications`` lists them for the App Home.
    Token errors (``invalid_auth``, ``token_revoked``) are retried like 5xx: an operator can
    fix the token within the back-off, and nothing is dropped while they do.

Never twice (dedupe)
    A claim puts the row in doubt (``in_doubt_since``) until an outcome is recorded; a 5xx or
    a network error keeps it in doubt (Slack may have posted). A row claimed again while in
    doubt (its sender died between posting and marking, or got no answer) is first looked
    for: ``conversations.history`` of its channel (``conversations.open`` finds a user's DM)
    since the doubt began, minus ``CLOCK_SLACK``, with ``include_all_metadata``; if our
    metadata names the row, it is marked sent with that ``ts`` instead of posted again.

    Limits, where a message can still arrive twice: the history search needs the history
    scopes (``im:history``, ``channels:history``, ``groups:history``); without them, or when
    the search fails with a Slack error, the message is posted again (at least once wins over
    at most once, and it is logged). The search reads at most ``HISTORY_PAGES`` pages of 200
    messages. A sender slower than its lease (``DEFAULT_LEASE``) can race the next claimer;
    each round stops starting new sends once half its lease is used and gives the rest back.
    slack_sdk's own connection-error retry (one, by default) can repeat a request that did
    reach Slack.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.blocks.notifications import (
    BookingFacts,
    NotificationMessage,
    Person,
    build_booked,
    build_calendar_failing,
    build_cancelled,
    build_manager_notice,
    build_reassigned_away,
    build_reassigned_customer,
    build_reassigned_to,
    build_reminder,
    build_rescheduled,
)
from engine.model import BookingStatus, PageKind, WorkspaceConfig
from engine.records import Booking, Channel, OutboxMessage
from services.context import system_clock
from services.notifications import DEFAULT_REMINDERS, Kind, Part, people, recipients
from storage.repositories import OutboxRepository
from storage.uow import UnitOfWork, on_queued

log = logging.getLogger("roundtable.dispatch")

ClientFor = Callable[[str], WebClient]
"""Give the Web API client of a workspace (by Slack team id)."""


@dataclass(frozen=True, slots=True)
class Delivered:
    """A delivered message: ``ref`` names it where it went (a Slack ``ts``); ``found`` when an
    earlier attempt had delivered it already."""

    ref: str | None = None
    found: bool = False


Deliver = Callable[
    [str, OutboxMessage, Booking | None, WorkspaceConfig, datetime, datetime], Delivered
]
"""Deliver one claimed row: (team, message, its booking, configuration, claimed at, now);
the booking is ``None`` only for rows about none (``calendar_failing``, Slack's).

Raises ``Retry`` or ``GiveUp``."""

METADATA_EVENT_TYPE = "roundtable_outbox"
DEFAULT_INTERVAL_SECONDS = 5.0
DEFAULT_LEASE = timedelta(minutes=5)
DEFAULT_LIMIT = 50
MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
DEFAULT_RETRY_AFTER = timedelta(seconds=30)
CLOCK_SLACK = timedelta(minutes=10)
HISTORY_PAGES = 5
JOB_ID = "roundtable:dispatch-outbox"

# Slack errors that the same request will meet again: fail at once, with the reason.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "users_not_found",
        "account_inactive",
        "user_disabled",
        "not_in_channel",
        "is_archived",
        "cannot_dm_bot",
        "restricted_action",
        "missing_scope",
        "no_permission",
        "invalid_blocks",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_arguments",
        "team_access_not_granted",
        "method_deprecated",
    }
)


@dataclass(frozen=True, slots=True)
class DispatchResult:
    """What one round did with the rows it claimed."""

    claimed: int = 0
    sent: int = 0
    found_sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0

    def __add__(self, other: DispatchResult) -> DispatchResult:
        return DispatchResult(
            *(getattr(self, name) + getattr(other, name) for name in self.__slots__)
        )


def deliverers_of(
    client_for: ClientFor | None, more: Mapping[str, Deliver] | None = None
) -> dict[str, Deliver]:
    """Return the deliverers by channel: Slack's (with ``client_for``) and ``more``."""
    found: dict[str, Deliver] = {}
    if client_for is not None:
        found[Channel.SLACK.value] = slack_deliverer(client_for)
    return found | dict(more or {})


def dispatch_due(
    engine: Engine,
    client_for: ClientFor | None,
    *,
    now: datetime,
    lease: timedelta = DEFAULT_LEASE,
    limit: int = DEFAULT_LIMIT,
    deliverers: Mapping[str, Deliver] | None = None,
) -> DispatchResult:
    """Claim up to ``limit`` due notifications, send them and record each outcome.

    Slack rows go through ``client_for`` (``None``: this process does not post to Slack);
    ``deliverers`` deliver the other channels (``email``). Only rows of those channels are
    claimed. ``now`` is the time of the claim; the round's later decisions (is a meeting
    under way, when to retry) use ``now`` plus the time spent so far.
    """
    by_channel = deliverers_of(client_for, deliverers)
    if not by_channel:
        return DispatchResult()
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        channels = [Channel(channel) for channel in sorted(by_channel)]
        claimed = uow.outbox.claim_due(now=now, lease=lease, limit=limit, channels=channels)
        uow.commit()
    if not claimed:
        return DispatchResult()
    started = time.monotonic()
    contexts = _load(engine, claimed)
    result = DispatchResult(claimed=len(claimed))
    with _Marks(engine) as marks:
        for index, (team, message) in enumerate(claimed):
            elapsed = timedelta(seconds=time.monotonic() - started)
            if elapsed > lease / 2:
                # Past half the lease another process may soon claim these rows: give back.
                for later_team, later in claimed[index:]:
                    marks.add(_released(later_team, later.id))
                return replace(result, released=len(claimed) - index)
            result += _dispatch_one(
                marks, by_channel, team, message, contexts.get(team), now, now + elapsed
            )
    return result


def drain(
    engine: Engine,
    client_for: ClientFor | None,
    *,
    clock: Callable[[], datetime] = system_clock,
    lease: timedelta = DEFAULT_LEASE,
    limit: int = DEFAULT_LIMIT,
    deliverers: Mapping[str, Deliver] | None = None,
) -> DispatchResult:
    """Run rounds until one claims less than a full batch; return the sum."""
    total = DispatchResult()
    while True:
        result = dispatch_due(
            engine,
            client_for,
            now=clock(),
            lease=lease,
            limit=limit,
            deliverers=deliverers,
        )
        total += result
        if result.claimed < limit:
            return total


@dataclass(slots=True)
class _Dispatcher:
    """A registered job's parts, and its wake-up state (see ``_Dispatcher.wake``)."""

    engine: Engine
    lease: timedelta
    limit: int
    deliverers: Mapping[str, Deliver]
    clock: Callable[[], datetime] = field(default=system_clock)
    scheduler: Any = None
    job_id: str = ""
    unhook: Callable[[], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    running: bool = False
    woken: bool = False

    def wake(self) -> None:
        """Deliver now: run the job at once, or once more after the round under way.

        Called by the committing thread when it queued rows; a round already under way may
        have claimed before that commit, so it runs again instead of leaving them for the
        next poll.
        """
        with self.lock:
            self.woken = True
            if self.running:
                return
        try:
            self.scheduler.modify_job(self.job_id, next_run_time=system_clock())
        except Exception:  # the job is gone (stopping) or the scheduler is shut: polling stays
            log.debug("could not wake the outbox job %s", self.job_id, exc_info=True)

    def run(self) -> DispatchResult:
        """Drain the outbox until no wake-up came in during the last drain."""
        total = DispatchResult()
        with self.lock:
            self.running = True
        try:
            while True:
                with self.lock:
                    self.woken = False
                total += drain(
                    self.engine,
                    None,  # Slack's deliverer, when there is one, is among ``deliverers``
                    clock=self.clock,
                    lease=self.lease,
                    limit=self.limit,
                    deliverers=self.deliverers,
                )
                with self.lock:
                    if not self.woken:
                        self.running = False
                        return total
        finally:
            with self.lock:
                self.running = False


# What a scheduled job reaches by name: APScheduler jobs take plain values only (STYLE), so
# start_dispatcher registers the engine and the client factory here and the job looks up.
_DISPATCHERS: dict[str, _Dispatcher] = {}


def run_dispatch_job(name: str) -> None:
    """The scheduled job: drain the outbox with the dispatcher registered as ``name``."""
    dispatcher = _DISPATCHERS.get(name)
    if dispatcher is None:
        log.warning("no dispatcher named %r is registered; the job does nothing", name)
        return
    result = dispatcher.run()
    if result.claimed:
        log.info("outbox round: %s", result)


def start_dispatcher(
    scheduler: Any,
    engine: Engine,
    client_for: ClientFor | None,
    *,
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
    lease: timedelta = DEFAULT_LEASE,
    limit: int = DEFAULT_LIMIT,
    clock: Callable[[], datetime] = system_clock,
    name: str = "default",
    deliverers: Mapping[str, Deliver] | None = None,
) -> Any:
    """Add the outbox job to an APScheduler 3 scheduler (started or not); return the job.

    The job runs at once (catching up on what fell due while the app was down), then every
    ``interval_seconds``, and at once after a commit on ``engine`` in this process queues
    rows; a run still going when the next is due makes that one skip (a wake-up during a
    run makes it drain once more). ``client_for`` and ``deliverers`` as for ``dispatch_due``.
    """
    stop_dispatcher(scheduler, name=name)
    job_id = f"{JOB_ID}:{name}"
    dispatcher = _Dispatcher(
        engine,
        lease,
        limit,
        deliverers_of(client_for, deliverers),
        clock,
        scheduler=scheduler,
        job_id=job_id,
    )
    _DISPATCHERS[name] = dispatcher
    dispatcher.unhook = on_queued(engine, dispatcher.wake)
    return scheduler.add_job(
        run_dispatch_job,
        "interval",
        seconds=interval_seconds,
        args=[name],
        id=job_id,
        name="deliver due notifications",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        next_run_time=system_clock(),  # the scheduler's own time, whatever ``clock`` says
    )


def stop_dispatcher(scheduler: Any, *, name: str = "default") -> None:
    """Remove the outbox job added by ``start_dispatcher`` (the scheduler keeps running)."""
    dispatcher = _DISPATCHERS.pop(name, None)
    if dispatcher is not None and dispatcher.unhook is not None:
        dispatcher.unhook()
    if scheduler.get_job(f"{JOB_ID}:{name}") is not None:
        scheduler.remove_job(f"{JOB_ID}:{name}")


@dataclass(frozen=True, slots=True)
class _Context:
    """A workspace's configuration and the bookings of the claimed rows.

    ``notices`` holds the ts of each posted manager notice a claimed ``notice_started`` row
    redraws, by (booking id, recipient).
    """

    cfg: WorkspaceConfig
    bookings: Mapping[str, Booking]
    notices: Mapping[tuple[str, str], str] = field(default_factory=dict)


def _load(engine: Engine, claimed: list[tuple[str, OutboxMessage]]) -> dict[str, _Context]:
    contexts: dict[str, _Context] = {}
    with UnitOfWork(engine) as uow:
        for team in {team for team, _ in claimed}:
            mine = [m for t, m in claimed if t == team]
            ids = {m.booking_id for m in mine if m.booking_id}
            notices: dict[tuple[str, str], str] = {}
            for booking_id in {
                m.booking_id for m in mine if m.kind == Kind.NOTICE_STARTED and m.booking_id
            }:
                for sent in uow.outbox.for_booking(team, booking_id):
                    if sent.kind == Kind.MANAGER_NOTICE and sent.slack_ts:
                        notices[(booking_id, sent.recipient)] = sent.slack_ts
            contexts[team] = _Context(
                uow.config.load(team), uow.bookings.get_many(team, ids), notices
            )
    return contexts


def _released(team: str, message_id: str) -> Callable[[OutboxRepository], None]:
    return lambda outbox: outbox.release(team, message_id)


class _Marks:
    """Outcomes to record, committed a few at a time (a commit costs more than a send).

    A message posted but not yet recorded when the process dies is in doubt, and the next
    claimer finds it in Slack's history; batching only widens that window a little.
    """

    BATCH = 10
    SECONDS = 0.5

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pending: list[Callable[[OutboxRepository], None]] = []
        self._since = time.monotonic()

    def add(self, mark: Callable[[OutboxRepository], None]) -> None:
        """Record an outcome: ``mark`` is applied to the outbox in a coming transaction."""
        self._pending.append(mark)
        if len(self._pending) >= self.BATCH or time.monotonic() - self._since > self.SECONDS:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            with UnitOfWork(self._engine) as uow:
                uow.begin_write()  # the marks read before they write (see begin_write)
                for mark in self._pending:
                    mark(uow.outbox)
                uow.commit()
        self._pending.clear()
        self._since = time.monotonic()

    def __enter__(self) -> _Marks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()


class Retry(Exception):
    """Try again later; ``in_doubt`` when it may have been delivered, ``counted`` unless a 429.

    ``after`` overrides the back-off (a ``Retry-After``).
    """

    def __init__(
        self, reason: str, *, after: timedelta | None, in_doubt: bool, counted: bool = True
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after
        self.in_doubt = in_doubt
        self.counted = counted


class GiveUp(Exception):
    """The same request will fail again: mark the row failed with this reason."""


def _dispatch_one(
    marks: _Marks,
    deliverers: Mapping[str, Deliver],
    team: str,
    message: OutboxMessage,
    context: _Context | None,
    claimed_at: datetime,
    now: datetime,
) -> DispatchResult:
    if context is None:
        return _skip(marks, team, message, "the workspace is gone")
    booking = None
    if message.kind != Kind.CALENDAR_FAILING:  # the one kind about no booking
        if message.booking_id is not None:
            booking = context.bookings.get(message.booking_id)
        if booking is None:
            return _skip(marks, team, message, "the booking is gone")
        reason = _skip_reason(message, booking, context.cfg, now)
        if reason is not None:
            return _skip(marks, team, message, reason)
        if message.kind == Kind.NOTICE_STARTED:
            notice = context.notices.get((booking.id, message.recipient))
            if notice is None:
                return _skip(marks, team, message, "the manager notice was not posted")
            message = replace(message, slack_ts=notice)  # Slack's deliverer updates it
    try:
        delivered = deliverers[message.channel](
            team, message, booking, context.cfg, claimed_at, now
        )
    except Retry as retry:
        return _retry(marks, team, message, retry, now)
    except GiveUp as give_up:
        return _fail(marks, team, message, str(give_up))
    ref = delivered.ref
    marks.add(lambda outbox: outbox.mark_sent(team, message.id, at=now, slack_ts=ref))
    if delivered.found:
        log.info("outbox %s was already delivered (%s); not sending it again", message.id, ref)
        return DispatchResult(found_sent=1)
    return DispatchResult(sent=1)


def _in_doubt(message: OutboxMessage, claimed_at: datetime) -> bool:
    """Tell whether an earlier attempt, claimed before this round, may have delivered it."""
    return message.in_doubt_since is not None and message.in_doubt_since < claimed_at


def slack_deliverer(client_for: ClientFor) -> Deliver:
    """Post rows to Slack; a row in doubt is first looked for in its channel's history.

    A ``notice_started`` row carries the ts of the manager notice it redraws: that message
    is updated in place (an update repeated after a crash changes nothing).
    """

    def deliver(
        team: str,
        message: OutboxMessage,
        booking: Booking | None,
        cfg: WorkspaceConfig,
        claimed_at: datetime,
        now: datetime,
    ) -> Delivered:
        if booking is None:
            content = render_calendar_failing(message)
        else:
            content = render(message, booking, cfg, now)
        client = client_for(team)
        if message.kind == Kind.NOTICE_STARTED and message.slack_ts is not None:
            _update(client, message, message.slack_ts, content)
            return Delivered(message.slack_ts)
        ts = _find_posted(client, message) if _in_doubt(message, claimed_at) else None
        if ts is not None:
            return Delivered(ts, found=True)
        return Delivered(_post(client, message, content))

    return deliver


def _skip_reason(
    message: OutboxMessage, booking: Booking, cfg: WorkspaceConfig, now: datetime
) -> str | None:
    kind = message.kind
    cancelled = booking.status is BookingStatus.CANCELLED
    involved = {r.slack_id for r in recipients(cfg, booking, message.channel)}
    if kind == Kind.REMINDER:
        if cancelled:
            return "the booking was cancelled"
        if booking.start <= now:
            return "the meeting had already started"
        if message.recipient not in involved:
            return "the recipient is no longer in the booking"
        if _superseded(message, booking, cfg, now):
            return "a later reminder of the same booking is due too"
    if kind in (Kind.BOOKED, Kind.MANAGER_NOTICE) and cancelled:
        return "the booking was cancelled"
    if kind == Kind.NOTICE_STARTED and booking.status is not BookingStatus.CONFIRMED:
        return "the booking is no longer confirmed"
    if kind == Kind.BOOKED and message.recipient not in involved:
        return "the recipient is no longer in the booking"
    return None


def _superseded(
    message: OutboxMessage, booking: Booking, cfg: WorkspaceConfig, now: datetime
) -> bool:
    """Tell whether a smaller offset's reminder is due too (after downtime): send only that."""
    offset = timedelta(minutes=int(message.payload.get("offset_minutes", 0)))
    event_type = next((e for e in cfg.event_types if e.id == booking.event_type), None)
    offsets = event_type.reminders if event_type is not None else DEFAULT_REMINDERS
    return any(other < offset and booking.start - other <= now for other in offsets)


def render(
    message: OutboxMessage, booking: Booking, cfg: WorkspaceConfig, now: datetime
) -> NotificationMessage:
    """Render an outbox row from its booking as it is at ``now``.

    A reminder says how long until the start as of ``now`` (whole minutes, rounded up), so a
    reminder sent late after downtime does not say "in 15 minutes" five minutes before.

    Raises:
        ValueError: the row's kind is unknown (a newer version queued it).
    """
    facts = booking_facts(booking, cfg)
    payload = message.payload
    pages = {page.id: page for page in cfg.pages}

    def person(page_id: str | None) -> Person:
        page = pages.get(page_id or "")
        if page is None:
            return Person(page_id or "someone")
        return Person(page.name, page.slack_user if page.kind is PageKind.MEMBER else None)

    kind = Kind(message.kind)
    # Reschedule is drawn for whoever may use it: the customer, the owner and admins.
    movable = (
        booking.status is BookingStatus.CONFIRMED
        and booking.start > now
        and (
            payload.get("part") in (Part.CUSTOMER, Part.OWNER)
            or message.recipient in cfg.workspace.admins
        )
    )
    if kind is Kind.BOOKED:
        customer = payload.get("part") == Part.CUSTOMER
        return build_booked(facts, as_customer=customer, reschedule=movable)
    if kind in (Kind.MANAGER_NOTICE, Kind.NOTICE_STARTED):
        pool = next((p.name for p in cfg.pools if p.id == payload.get("pool")), "Pool")
        return build_manager_notice(facts, pool=pool, started=booking.start <= now)
    if kind is Kind.REMINDER:
        minutes = -(-(booking.start - now) // timedelta(minutes=1))
        return build_reminder(facts, before=timedelta(minutes=max(minutes, 0)), reschedule=movable)
    if kind is Kind.RESCHEDULED:
        return build_rescheduled(
            facts,
            was_start=datetime.fromisoformat(payload["from_start"]),
            was_end=datetime.fromisoformat(payload["from_end"]),
            still_in=message.recipient in {r.slack_id for r in people(cfg, booking)}
            or payload.get("part") == Part.MANAGER,
            reschedule=movable,
        )
    reason = payload.get("reason")
    if kind is Kind.REASSIGNED_AWAY:
        return build_reassigned_away(facts, to=person(payload.get("to_page")), reason=reason)
    if kind is Kind.REASSIGNED_TO:
        return build_reassigned_to(facts, from_=person(payload.get("from_page")), reason=reason)
    if kind is Kind.REASSIGNED_CUSTOMER:
        return build_reassigned_customer(facts, reason=reason or "")
    by = booking.cancelled_by
    return build_cancelled(facts, by=Person(by, by) if by else None)


def render_calendar_failing(message: OutboxMessage) -> NotificationMessage:
    """Render the notice that a calendar connection has failed for a day (no booking)."""
    payload = message.payload
    return build_calendar_failing(
        pages=[str(name) for name in payload.get("pages", [])],
        shown_url=str(payload.get("shown_url", "")),
        error=str(payload.get("error", "")),
        since=datetime.fromisoformat(str(payload["since"])),
    )


def booking_facts(booking: Booking, cfg: WorkspaceConfig) -> BookingFacts:
    """Return what notifications say about a booking, from the workspace's configuration."""
    pages = {page.id: page for page in cfg.pages}
    event_type = next((e.name for e in cfg.event_types if e.id == booking.event_type), None)

    def person(page_id: str) -> Person:
        page = pages.get(page_id)
        if page is None:
            return Person(page_id)
        return Person(page.name, page.slack_user if page.kind is PageKind.MEMBER else None)

    if booking.customer_slack_user:
        customer: Person | None = Person(
            booking.customer_name or booking.customer_slack_user, booking.customer_slack_user
        )
    elif booking.customer_name:
        customer = Person(booking.customer_name)
    else:
        customer = None
    return BookingFacts(
        booking_id=booking.id,
        event_type=event_type or booking.event_type,
        start=booking.start,
        end=booking.end,
        owner=person(booking.owner),
        participants=tuple(person(p.page) for p in booking.participants if p.page != booking.owner),
        customer=customer,
        timezone=cfg.workspace.timezone,
        cancelled=booking.status is BookingStatus.CANCELLED,
        no_show=booking.status is BookingStatus.NO_SHOW,
        location=booking.location,
    )


def _update(
    client: WebClient, message: OutboxMessage, ts: str, content: NotificationMessage
) -> None:
    with _slack_call("chat.update", posting=False):
        channel = message.recipient
        if channel[:1] in ("U", "W"):
            opened = client.conversations_open(users=channel)
            channel = str(opened["channel"]["id"])
        client.chat_update(channel=channel, ts=ts, **content.as_kwargs())


def _post(client: WebClient, message: OutboxMessage, content: NotificationMessage) -> str:
    with _slack_call("chat.postMessage", posting=True):
        response = client.chat_postMessage(
            channel=message.recipient,
            metadata={
                "event_type": METADATA_EVENT_TYPE,
                "event_payload": {"outbox_id": message.id},
            },
            unfurl_links=False,
            unfurl_media=False,
            **content.as_kwargs(),
        )
    return str(response["ts"])


def _find_posted(client: WebClient, message: OutboxMessage) -> str | None:
    """Return the ts of this row's message if an earlier attempt posted it, else ``None``."""
    assert message.in_doubt_since is not None
    oldest = f"{(message.in_doubt_since - CLOCK_SLACK).timestamp():.6f}"
    try:
        with _slack_call("history search", posting=False):
            channel = message.recipient
            if channel[:1] in ("U", "W"):
                opened = client.conversations_open(users=channel)
                channel = str(opened["channel"]["id"])
            cursor: str | None = None
            for _ in range(HISTORY_PAGES):
                page = client.conversations_history(
                    channel=channel,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
                for posted in page.get("messages") or []:
                    if _is_ours(posted, message.id):
                        return str(posted["ts"])
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not page.get("has_more") or cursor is None:
                    return None
    except GiveUp as error:
        # Without history access (a missing scope, say) we cannot tell; posting again can
        # show the message twice, dropping it could lose it: at least once wins.
        log.warning(
            "outbox %s: cannot search %s for an earlier post (%s); posting it again",
            message.id,
            message.recipient,
            error,
        )
        return None
    log.warning(
        "outbox %s: no earlier post in the last %d pages of %s; posting it again",
        message.id,
        HISTORY_PAGES,
        message.recipient,
    )
    return None


def _is_ours(posted: Mapping[str, Any], outbox_id: str) -> bool:
    metadata = posted.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return bool(
        metadata.get("event_type") == METADATA_EVENT_TYPE and payload.get("outbox_id") == outbox_id
    )


@contextmanager
def _slack_call(what: str, *, posting: bool) -> Iterator[None]:
    """Turn what a Web API call raises into ``Retry`` or ``GiveUp``.

    ``posting``: the call posts the message, so a 5xx or a lost answer leaves it in doubt
    while a refusal (429, ``ok: false``) means it was not posted. A failed history search
    keeps an earlier doubt whatever the error.
    """
    try:
        yield
    except SlackApiError as error:
        raise _classify(what, error, posting=posting) from error
    except (OSError, HTTPException) as error:
        # Timeouts, refused or reset connections: the request may or may not have landed.
        reason = f"{what}: network error: {type(error).__name__}: {error}"
        raise Retry(reason, after=None, in_doubt=True) from error


def _classify(what: str, error: SlackApiError, *, posting: bool) -> Retry | GiveUp:
    response = error.response
    status = response.status_code
    code = response.get("error") if isinstance(response.data, dict) else None
    if status == 429:
        after = _retry_after(response.headers)
        reason = f"{what}: rate limited for {int(after.total_seconds())}s"
        return Retry(reason, after=after, in_doubt=not posting, counted=False)
    if status >= 500:
        return Retry(f"{what}: Slack answered HTTP {status} ({code})", after=None, in_doubt=True)
    if code in PERMANENT_ERRORS:
        return GiveUp(f"{what}: {code}")
    # Slack refused (ok: false), so nothing was posted; an unknown error may heal.
    return Retry(f"{what}: {code or f'HTTP {status}'}", after=None, in_doubt=not posting)


def _retry_after(headers: Mapping[str, Any]) -> timedelta:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return timedelta(seconds=max(int(raw), 1))
            except ValueError:
                break
    return DEFAULT_RETRY_AFTER


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """Return the wait after the ``attempts``-th failed attempt: doubling, capped, jittered.

    Between half and all of ``BACKOFF_BASE * 2 ** (attempts - 1)`` (at most ``BACKOFF_CAP``),
    so processes that failed together do not retry together.
    """
    full = min(BACKOFF_BASE * (1 << min(max(attempts - 1, 0), 16)), BACKOFF_CAP)
    jitter = rng.random() if rng is not None else random.random()
    return full * (0.5 + 0.5 * jitter)


def _retry(
    marks: _Marks, team: str, message: OutboxMessage, retry: Retry, now: datetime
) -> DispatchResult:
    if retry.counted and message.attempts >= MAX_ATTEMPTS:
        return _fail(
            marks, team, message, f"{retry.reason} (gave up after {message.attempts} attempts)"
        )
    after = retry.after if retry.after is not None else backoff(message.attempts)
    log.warning(
        "outbox %s (%s to %s): %s; retrying in %ss (attempt %d)",
        message.id,
        message.kind,
        message.recipient,
        retry.reason,
        int(after.total_seconds()),
        message.attempts,
    )
    marks.add(
        lambda outbox: outbox.mark_failed(
            team,
            message.id,
            error=retry.reason,
            retry_at=now + after,
            in_doubt=retry.in_doubt,
            counted=retry.counted,
        )
    )
    return DispatchResult(retried=1)


def _fail(marks: _Marks, team: str, message: OutboxMessage, reason: str) -> DispatchResult:
    log.error(
        "outbox %s (%s to %s) failed for good: %s",
        message.id,
        message.kind,
        message.recipient,
        reason,
    )
    marks.add(lambda outbox: outbox.mark_failed(team, message.id, error=reason, retry_at=None))
    return DispatchResult(failed=1)


def _skip(marks: _Marks, team: str, message: OutboxMessage, reason: str) -> DispatchResult:
    log.info(
        "outbox %s (%s to %s) skipped: %s", message.id, message.kind, message.recipient, reason
    )
    marks.add(lambda outbox: outbox.mark_skipped(team, message.id, reason=reason))
    return DispatchResult(skipped=1)
