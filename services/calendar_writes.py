"""Writing bookings to writable CalDAV calendars, through the outbox.

Queueing
    Booking, cancelling, reassigning (and rescheduling) call ``queue_calendar_writes`` in
    their own transaction with every page the change touches (before and after). Each
    writable CalDAV connection serving one of them gets an outbox row of channel
    ``caldav`` (``recipient`` = the connection, ``booking_id`` = the booking), unless it
    already has an undelivered one for the booking: the row carries no content.

Delivering (``deliver_calendar_writes``, a job on APScheduler in ``serve`` and ``worker``)
    Claims due ``caldav`` rows with a lease (like the Slack dispatcher: ``FOR UPDATE SKIP
    LOCKED`` on PostgreSQL, the one write lock on SQLite; a write whose twin for the same
    booking and calendar is leased waits), then makes the calendar match the booking as it
    is *now*: when the booking is confirmed and one of its pages is served by the connection,
    the event is PUT by its UID (``<booking id>@roundtable``, under ``<uid>.ics`` in the
    collection), which creates or replaces it; otherwise the event with that UID is deleted
    (already gone counts as done). So one kind of write serves booking, rescheduling (a new
    time replaces the old), cancelling (removed) and reassigning (removed from the old page's
    calendar, created on the new page's), and a retry, or a second delivery, never makes a
    second event.

    Failures (network, timeouts, HTTP errors, refused credentials) are retried with
    exponential back-off (30 s, 1 min, 2 min, … up to 1 h) up to ``MAX_ATTEMPTS`` attempts,
    then the row is ``failed`` with the reason (never the calendar's URL). A connection that
    was disconnected, or is no longer writable, makes its rows ``skipped``.

Sync never reads these events back as busy: it skips UIDs ending ``@roundtable``.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from engine.errors import NotFound
from engine.model import BookingStatus
from engine.records import Channel, OutboxMessage
from services.context import system_clock
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from services.calendar_read import Limits
    from services.calendars import Source

log = logging.getLogger("roundtable.calendars")

KIND = "calendar_write"
DEFAULT_LEASE = timedelta(minutes=5)
DEFAULT_LIMIT = 20
DEFAULT_INTERVAL_SECONDS = 5.0
MAX_ATTEMPTS = 8
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
JOB_ID = "roundtable:calendar-writes"


class WriteFailed(Exception):
    """A calendar could not be written; the message says why (never naming its URL)."""


def queue_calendar_writes(
    uow: UnitOfWork, workspace_id: str, booking_id: str, pages: Iterable[str], now: datetime
) -> None:
    """Queue a write of the booking to every writable calendar of ``pages`` (in ``uow``)."""
    writers = uow.calendar_writes.writers(workspace_id, pages)
    if not writers:
        return
    waiting = uow.calendar_writes.pending(workspace_id, booking_id)
    uow.outbox.add(
        workspace_id,
        [
            OutboxMessage(
                id=str(uuid.uuid4()),
                kind=KIND,
                recipient=connection,
                due_at=now,
                dedupe_key=f"{KIND}:{booking_id}:{connection}:{uuid.uuid4().hex}",
                booking_id=booking_id,
                channel=Channel.CALDAV,
            )
            for connection in writers
            if connection not in waiting
        ],
    )


@dataclass(frozen=True, slots=True)
class WriteRound:
    """What one delivery round did."""

    claimed: int = 0
    written: int = 0
    removed: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0


@dataclass(frozen=True, slots=True)
class _Plan:
    """What to do for one claimed row: put ``ical`` (None: remove the event), or skip."""

    uid: str
    source: Source | None = None
    ical: bytes | None = None
    skip: str | None = None


def deliver_calendar_writes(
    engine: Engine,
    *,
    now: datetime,
    environ: Mapping[str, str],
    lease: timedelta = DEFAULT_LEASE,
    limit: int = DEFAULT_LIMIT,
    limits: Limits | None = None,
) -> WriteRound:
    """Deliver due calendar writes (one round); see the module's docstring."""
    # Imported here, as the readers do: booking (which queues writes) needs none of it.
    from services.calendar_read import Limits

    limits = limits or Limits()
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        claimed = uow.outbox.claim_due(
            now=now, lease=lease, limit=limit, channels=(Channel.CALDAV,)
        )
        uow.commit()
    counts = {"written": 0, "removed": 0, "skipped": 0, "retried": 0, "failed": 0}
    for team, message in claimed:
        outcome = _deliver_one(engine, team, message, now=now, environ=environ, limits=limits)
        counts[outcome] += 1
    return WriteRound(claimed=len(claimed), **counts)


def _deliver_one(
    engine: Engine,
    team: str,
    message: OutboxMessage,
    *,
    now: datetime,
    environ: Mapping[str, str],
    limits: Limits,
) -> str:
    from services.secret import SecretUnreadable

    try:
        plan = _plan(engine, team, message, now=now, environ=environ)
    except SecretUnreadable as error:
        return _mark_failed(engine, team, message, str(error), now=now, final=True)
    if plan.skip is not None:
        with UnitOfWork(engine) as uow:
            uow.begin_write()
            uow.outbox.mark_skipped(team, message.id, reason=plan.skip)
            uow.commit()
        return "skipped"
    assert plan.source is not None
    try:
        if plan.ical is None:
            remove_event(plan.source, plan.uid, limits)
        else:
            put_event(plan.source, plan.ical, limits)
    except WriteFailed as error:
        log.warning("calendar write of booking %s failed: %s", message.booking_id, error)
        return _mark_failed(engine, team, message, str(error), now=now)
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        uow.outbox.mark_sent(team, message.id, at=now, slack_ts=None)
        uow.commit()
    return "removed" if plan.ical is None else "written"


def _plan(
    engine: Engine, team: str, message: OutboxMessage, *, now: datetime, environ: Mapping[str, str]
) -> _Plan:
    """Read the booking and the connection as they are now and decide the write."""
    from services.booking_events import booking_event, calendar_file, event_uid
    from services.calendars import Source

    booking_id = message.booking_id or ""
    uid = event_uid(booking_id)
    with UnitOfWork(engine) as uow:
        try:
            connection = uow.calendars.get(team, message.recipient)
        except NotFound:
            return _Plan(uid, skip="the calendar was disconnected")
        if not connection.write:
            return _Plan(uid, skip="the calendar is no longer written")
        booking = uow.bookings.get(team, booking_id)
        config = uow.config.load(team)
    source = Source.opened(connection, environ)
    served = set(connection.pages)
    wanted = (
        booking is not None
        and booking.status is BookingStatus.CONFIRMED
        and any(p.page in served for p in booking.participants)
    )
    if not wanted or booking is None:
        return _Plan(uid, source)
    return _Plan(uid, source, calendar_file([booking_event(booking, config, now=now)]))


def _mark_failed(
    engine: Engine,
    team: str,
    message: OutboxMessage,
    error: str,
    *,
    now: datetime,
    final: bool = False,
) -> str:
    give_up = final or message.attempts >= MAX_ATTEMPTS
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        uow.outbox.mark_failed(
            team,
            message.id,
            error=error,
            retry_at=None if give_up else now + backoff(message.attempts),
        )
        uow.commit()
    return "failed" if give_up else "retried"


def backoff(attempts: int) -> timedelta:
    """Return the wait before the next attempt after ``attempts`` (30 s doubling, 1 h at most)."""
    wait: timedelta = min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)
    return wait * random.uniform(0.8, 1.0)  # jitter: writers that failed together spread out


def put_event(source: Source, ical: bytes, limits: Limits) -> None:
    """PUT one event into a CalDAV collection by its UID (creates or replaces it).

    Raises:
        WriteFailed: the server could not be reached or refused the write.
    """
    with _calendar(source, limits) as calendar:
        calendar.add_event(ical.decode(), increase_seqno=False)


def remove_event(source: Source, uid: str, limits: Limits) -> None:
    """Delete the event with ``uid`` from a CalDAV collection; none there is fine.

    Raises:
        WriteFailed: the server could not be reached or refused the delete.
    """
    from caldav.lib import error as dav_error

    with _calendar(source, limits) as calendar:
        try:
            found = calendar.get_event_by_uid(uid)
        except dav_error.NotFoundError:
            return
        found.delete()


@contextmanager
def _calendar(source: Source, limits: Limits) -> Iterator[Any]:
    """Open a CalDAV collection; turn the client's errors into ``WriteFailed``."""
    from caldav.davclient import DAVClient
    from caldav.lib import error as dav_error

    try:
        with DAVClient(
            url=source.url,
            username=source.username,
            password=source.password,
            timeout=max(1, round(limits.timeout_seconds)),
            enable_rfc6764=False,
        ) as client:
            yield client.calendar(url=source.url)  # type: ignore[no-untyped-call]
    except dav_error.AuthorizationError:
        raise WriteFailed("the CalDAV server refused the username or password") from None
    except dav_error.DAVError as error:
        reason = getattr(error, "reason", None) or type(error).__name__
        raise WriteFailed(f"the CalDAV server answered with an error ({reason})") from None
    except Exception as error:  # the HTTP client's own errors; their text may hold the URL
        raise WriteFailed(f"the CalDAV server cannot be reached ({type(error).__name__})") from None


@dataclass(frozen=True, slots=True)
class _Writer:
    engine: Engine
    environ: Mapping[str, str]
    clock: Callable[[], datetime]


# What a scheduled job reaches by name: APScheduler jobs take plain values only.
_WRITERS: dict[str, _Writer] = {}


def run_calendar_writes_job(name: str) -> None:
    """The scheduled job: deliver due calendar writes with the writer registered as ``name``."""
    writer = _WRITERS.get(name)
    if writer is None:
        log.warning("no calendar writer named %r is registered; the job does nothing", name)
        return
    result = deliver_calendar_writes(writer.engine, now=writer.clock(), environ=writer.environ)
    if result.claimed:
        log.info("calendar writes: %s", result)


def start_calendar_writes(
    scheduler: Any,
    engine: Engine,
    *,
    environ: Mapping[str, str],
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
    clock: Callable[[], datetime] = system_clock,
    name: str = "default",
) -> Any:
    """Add the calendar write job to an APScheduler 3 scheduler; return the job.

    It runs at once (catching up on writes queued while no process ran) and then every
    ``interval_seconds``; a run still going when the next is due makes that one skip.
    """
    _WRITERS[name] = _Writer(engine, environ, clock)
    return scheduler.add_job(
        run_calendar_writes_job,
        "interval",
        seconds=interval_seconds,
        args=[name],
        id=f"{JOB_ID}:{name}",
        name="write bookings to calendars",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        next_run_time=system_clock(),
    )
