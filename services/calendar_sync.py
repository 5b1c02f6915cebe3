"""Calendar sync: read each connection, store its busy blocks, record how it went.

``sync_due`` is the scheduled job's round (``roundtable serve`` and ``roundtable worker``,
every ``CALENDAR_SYNC_MINUTES``): it leases due connections a batch at a time, reads them
and records each outcome, until none is due. ``sync_now`` is ``roundtable calendar sync``:
the connections the actor manages (of one page, when asked), due or not. A connection is
read by one process at a time (``CalendarRepository.claim``'s lease), so any number of
processes may run the job on one database.

A read covers the window from one day before now to the longest booking horizon of the
workspace's event types (their longest ``max_days_ahead``, plus a day), and events are
expanded a week further, so that an unchanged source stays good for a week: until then
its validators (ETag, Last-Modified, CalDAV ctag) are sent and an unchanged answer keeps
the stored blocks without parsing anything; after that, or when the horizon grew, the source
is read in full. The blocks are merged per page and replace the connection's blocks in one
transaction, and only when they differ.

A read that fails keeps the last blocks, records the error (``last_error``) and when the
failing began; once a source has failed for a day, the Slack users of the pages it serves
(the admins, when it serves only rooms) are told once, through the outbox. The next success
clears all of it.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from engine.errors import BadInput, NotFound
from engine.model import PageKind, WorkspaceConfig
from engine.records import CalendarConnection, OutboxMessage
from engine.zones import zone
from services import metrics
from services.calendar_read import (
    Limits,
    ReadFailed,
    Validators,
    busy_intervals,
    fetch_caldav,
    fetch_feed,
    occurrences,
)
from services.calendars import ICS, Source, list_connections
from services.context import Actor, system_clock
from services.notifications import Kind
from services.secret import SecretUnreadable
from storage.uow import UnitOfWork

log = logging.getLogger("roundtable.calendars")

SYNC_MINUTES_VARIABLE = "CALENDAR_SYNC_MINUTES"
DEFAULT_SYNC_MINUTES = 5
LEASE = timedelta(minutes=10)
WINDOW_BEFORE = timedelta(days=1)
WINDOW_AHEAD_MARGIN = timedelta(days=7)
DEFAULT_HORIZON_DAYS = 60
FAILING_NOTICE_AFTER = timedelta(days=1)
BATCH = 20
LOOK_EVERY = timedelta(minutes=1)
BUSY_ELSEWHERE = "another process is syncing this calendar right now"
DISCONNECTED = "the calendar was disconnected while it was read"


@dataclass(frozen=True, slots=True)
class SyncResult:
    """The outcome of syncing one connection: ``error`` is None when the read worked."""

    id: str
    busy: int
    changed: bool
    error: str | None = None


def sync_interval(environ: Mapping[str, str] | None = None) -> timedelta:
    """Return how often the job syncs: env ``CALENDAR_SYNC_MINUTES`` (default 5).

    Raises:
        BadInput: the variable is not a whole number of minutes of at least 1.
    """
    value = (os.environ if environ is None else environ).get(SYNC_MINUTES_VARIABLE, "").strip()
    if not value:
        return timedelta(minutes=DEFAULT_SYNC_MINUTES)
    if not value.isdigit() or int(value) < 1:
        raise BadInput(
            f"'{value}' is not a whole number of minutes (1 or more)", field=SYNC_MINUTES_VARIABLE
        )
    return timedelta(minutes=int(value))


def sync_due(
    engine: Engine,
    *,
    now: datetime,
    interval: timedelta,
    limits: Limits | None = None,
    environ: Mapping[str, str] | None = None,
    lease: timedelta = LEASE,
) -> list[SyncResult]:
    """Sync every due connection of every workspace (the job's round); return the outcomes."""
    results: list[SyncResult] = []
    configs: dict[str, WorkspaceConfig] = {}
    while True:
        with UnitOfWork(engine) as uow:
            uow.begin_write()
            claimed = uow.calendars.claim(now=now, lease=lease, limit=BATCH)
            uow.commit()
        if not claimed:
            return results
        for team, connection in claimed:
            results.append(
                _sync_one(engine, team, connection, configs, now, interval, limits, environ)
            )


def sync_now(
    engine: Engine,
    workspace_id: str,
    *,
    page: str | None = None,
    actor: Actor,
    now: datetime,
    interval: timedelta,
    limits: Limits | None = None,
    environ: Mapping[str, str] | None = None,
    lease: timedelta = LEASE,
) -> list[SyncResult]:
    """Sync the connections the actor manages (of ``page`` only, when given) at once.

    A connection another process is syncing is left to it (its result says so).

    Raises:
        NotFound: ``page`` names no booking page.
        Forbidden: ``page`` is named and the actor may not manage its calendars.
    """
    wanted = list_connections(engine, workspace_id, page=page, actor=actor)
    if not wanted:
        return []
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        claimed = uow.calendars.claim(
            now=now,
            lease=lease,
            workspace_id=workspace_id,
            connection_ids=[c.id for c in wanted],
            limit=len(wanted),
        )
        uow.commit()
    held = {connection.id: connection for _, connection in claimed}
    configs: dict[str, WorkspaceConfig] = {}
    return [
        _sync_one(engine, workspace_id, held[c.id], configs, now, interval, limits, environ)
        if c.id in held
        else SyncResult(c.id, c.busy, False, BUSY_ELSEWHERE)
        for c in wanted
    ]


def horizon(cfg: WorkspaceConfig) -> timedelta:
    """Return how far ahead bookings can be made: the longest ``max_days_ahead``, plus a day."""
    days = max((e.max_days_ahead for e in cfg.event_types.values()), default=DEFAULT_HORIZON_DAYS)
    return timedelta(days=days + 1)


def _sync_one(
    engine: Engine,
    team: str,
    connection: CalendarConnection,
    configs: dict[str, WorkspaceConfig],
    now: datetime,
    interval: timedelta,
    limits: Limits | None,
    environ: Mapping[str, str] | None,
) -> SyncResult:
    limits = limits or Limits()
    try:
        if team not in configs:
            with UnitOfWork(engine) as uow:
                configs[team] = uow.config.load(team)
        cfg = configs[team]
        window = (now - WINDOW_BEFORE, now + horizon(cfg))
        read_window = (window[0], window[1] + WINDOW_AHEAD_MARGIN)
        source = Source.opened(connection, os.environ if environ is None else environ)
        covered = connection.window_end is not None and connection.window_end >= window[1]
        known = Validators(connection.etag, connection.last_modified) if covered else None
        if source.kind == ICS:
            fetched = fetch_feed(source.url, known, limits)
        else:
            fetched = fetch_caldav(
                source.url, source.username or "", source.password or "", known, read_window, limits
            )
        busy = None
        if fetched.calendars is not None:
            spans = occurrences(fetched.calendars, read_window, limits)
            zones = {p.id: zone(p.timezone) for p in cfg.pages.values() if p.id in connection.pages}
            busy = {
                page: [(i.start, i.end) for i in busy_intervals(spans, tz)]
                for page, tz in zones.items()
            }
    except (ReadFailed, SecretUnreadable, BadInput) as error:
        return _failed(engine, team, connection, now, interval, str(error))
    except Exception as error:  # a bug or a library's surprise: recorded, never a crash
        log.exception("calendar %s could not be synced", connection.id)
        return _failed(
            engine, team, connection, now, interval, f"the calendar could not be read ({error!r})"
        )
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        try:
            changed = uow.calendars.record_success(
                team,
                connection.id,
                at=now,
                next_due=now + interval,
                busy=busy,
                etag=fetched.validators.etag,
                last_modified=fetched.validators.last_modified,
                window_end=read_window[1],
            )
        except NotFound:
            return SyncResult(connection.id, 0, False, DISCONNECTED)
        uow.commit()
    count = connection.busy if busy is None else sum(len(blocks) for blocks in busy.values())
    return SyncResult(connection.id, count, changed)


def _failed(
    engine: Engine,
    team: str,
    connection: CalendarConnection,
    now: datetime,
    interval: timedelta,
    error: str,
) -> SyncResult:
    log.info("calendar %s failed to sync: %s", connection.id, error)
    metrics.calendar_sync_failed()
    with UnitOfWork(engine) as uow:
        uow.begin_write()
        try:
            state = uow.calendars.record_failure(
                team, connection.id, at=now, next_due=now + interval, error=error
            )
        except NotFound:
            return SyncResult(connection.id, 0, False, DISCONNECTED)
        failing_since = state.failing_since
        if (
            failing_since is not None
            and not state.failure_told
            and now - failing_since >= FAILING_NOTICE_AFTER
        ):
            cfg = uow.config.load(team)
            uow.outbox.add(team, _failing_notices(cfg, state, failing_since, now))
            uow.calendars.mark_failure_told(team, connection.id)
        uow.commit()
    return SyncResult(connection.id, state.busy, False, error)


def _failing_notices(
    cfg: WorkspaceConfig, connection: CalendarConnection, since: datetime, now: datetime
) -> list[OutboxMessage]:
    """The notice that a calendar fails: to the pages' members, else to the admins."""
    pages = [p for p in cfg.pages.values() if p.id in connection.pages]
    people = [p.slack_user for p in pages if p.kind is PageKind.MEMBER and p.slack_user]
    recipients = list(dict.fromkeys(people or cfg.workspace.admins))
    payload = {
        "calendar": connection.id,
        "shown_url": connection.shown_url,
        "pages": [p.name for p in pages],
        "error": connection.last_error or "",
        "since": since.isoformat(),
    }
    return [
        OutboxMessage(
            id=str(uuid.uuid4()),
            kind=Kind.CALENDAR_FAILING.value,
            recipient=recipient,
            due_at=now,
            dedupe_key=f"{Kind.CALENDAR_FAILING.value}:{connection.id}:{since.isoformat()}:"
            f"{recipient}",
            payload=payload,
        )
        for recipient in recipients
    ]


JOB_ID = "roundtable:calendar-sync"


@dataclass(frozen=True, slots=True)
class _Syncer:
    engine: Engine
    interval: timedelta
    clock: Callable[[], datetime]


# What a scheduled job reaches by name: APScheduler jobs take plain values only, so
# start_calendar_sync registers the engine here and the job looks it up (as bot.dispatch).
_SYNCERS: dict[str, _Syncer] = {}


def run_calendar_sync_job(name: str) -> None:
    """The scheduled job: sync the due connections with the syncer registered as ``name``."""
    syncer = _SYNCERS.get(name)
    if syncer is None:
        log.warning("no calendar syncer named %r is registered; the job does nothing", name)
        return
    results = sync_due(syncer.engine, now=syncer.clock(), interval=syncer.interval)
    if results:
        failed = sum(1 for r in results if r.error)
        changed = sum(1 for r in results if r.changed)
        log.info("calendar sync: %d read, %d changed, %d failed", len(results), changed, failed)


def start_calendar_sync(
    scheduler: Any,
    engine: Engine,
    *,
    interval: timedelta,
    clock: Callable[[], datetime] = system_clock,
    name: str = "default",
) -> Any:
    """Add the calendar sync job to an APScheduler 3 scheduler (started or not); return it.

    Each connection is due ``interval`` after its last read; the job looks for due ones at
    once and then every minute (or every ``interval``, when shorter), so a connection is read
    every ``interval`` give or take a minute. A run still going when the next is due makes
    that one skip. Several processes running the job share the work.
    """
    _SYNCERS[name] = _Syncer(engine, interval, clock)
    return scheduler.add_job(
        run_calendar_sync_job,
        "interval",
        seconds=min(interval, LOOK_EVERY).total_seconds(),
        args=[name],
        id=f"{JOB_ID}:{name}",
        name="sync calendars",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        next_run_time=system_clock(),
    )
