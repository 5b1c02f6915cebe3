"""The unit of work: one session, one transaction, every repository.

    with UnitOfWork(engine) as uow:
        uow.config.save(cfg)
        uow.commit()

Leaving the block without ``commit()`` rolls everything back; repositories never commit.
A write the database refuses because a concurrent transaction won (a unique key, the
no-overlap constraint, a serialization failure or a deadlock) leaves the block as an
``engine.errors.Conflict`` (``storage.db.conflict_of``); the service says what it means.

A commit that queued outbox rows calls the wake-ups registered with ``on_queued`` for its
engine (``roundtable serve`` wakes its dispatcher so a message due now leaves at once).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Self

from sqlalchemy import Engine, String, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from storage.audit import AuditRepository
from storage.bookings import BookingRepository
from storage.calendar_writes import CalendarWriteRepository
from storage.calendars import CalendarRepository
from storage.config import ConfigRepository, Configuration
from storage.db import BEGIN_IMMEDIATE, conflict_of
from storage.feeds import FeedRepository
from storage.ledger import LedgerRepository
from storage.links import LinkRepository
from storage.outbox import OutboxRepository
from storage.schedule import ScheduleRepository
from storage.tables import PageRow, WorkspaceRow
from storage.timeoff import TimeOffRepository
from storage.transaction import TransactionState, state_of

_WAKEUPS: list[tuple[Engine, Callable[[], None]]] = []
_WAKEUPS_LOCK = threading.Lock()


def on_queued(engine: Engine, wake: Callable[[], None]) -> Callable[[], None]:
    """Call ``wake`` after every commit on ``engine`` that queued outbox rows.

    ``wake`` runs in the committing thread, so it must be quick (set an event, say).
    Returns the function that unregisters it.
    """
    entry = (engine, wake)
    with _WAKEUPS_LOCK:
        _WAKEUPS.append(entry)

    def remove() -> None:
        with _WAKEUPS_LOCK:
            if entry in _WAKEUPS:
                _WAKEUPS.remove(entry)

    return remove


class UnitOfWork:
    """A transaction over the repositories; use it as a context manager."""

    session: Session
    state: TransactionState
    config: ConfigRepository
    schedules: ScheduleRepository
    bookings: BookingRepository
    ledger: LedgerRepository
    links: LinkRepository
    outbox: OutboxRepository
    audit: AuditRepository
    time_off: TimeOffRepository
    feeds: FeedRepository
    calendar_writes: CalendarWriteRepository
    calendars: CalendarRepository

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __enter__(self) -> Self:
        self.session = Session(self._engine, expire_on_commit=False)
        self.state = state_of(self.session)
        self.config = ConfigRepository(self.session)
        self.schedules = ScheduleRepository(self.session)
        self.bookings = BookingRepository(self.session)
        self.ledger = LedgerRepository(self.session)
        self.links = LinkRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.audit = AuditRepository(self.session)
        self.time_off = TimeOffRepository(self.session)
        self.feeds = FeedRepository(self.session)
        self.calendar_writes = CalendarWriteRepository(self.session)
        self.calendars = CalendarRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()
        conflict = conflict_of(exc) if isinstance(exc, DBAPIError) else None
        if conflict is not None:
            raise conflict from exc

    def commit(self) -> None:
        """Commit everything done so far; wake the outbox's deliverers when it queued any."""
        queued, self.state.queued = self.state.queued, False
        self.session.commit()
        if queued:
            with _WAKEUPS_LOCK:
                wakes = [wake for engine, wake in _WAKEUPS if engine is self._engine]
            for wake in wakes:
                wake()

    def last_configuration(self, workspace_id: str) -> Configuration | None:
        """Return the configuration this process read last of a workspace (no SQL).

        Not checked against the database: a guess a transaction verifies (which pages a
        booking should lock). None when this process has read none.
        """
        return ConfigRepository.last_configuration(self._engine, workspace_id)

    def begin_write(self) -> None:
        """Start the transaction as a writer: ``BEGIN IMMEDIATE`` on SQLite, plain elsewhere.

        A SQLite transaction that reads first and writes later can fail with "database is
        locked" when another writer commits in between; taking the write lock up front
        makes concurrent writers wait their turn (up to the busy timeout) instead.

        Raises:
            RuntimeError: on SQLite, the transaction already ran a statement.
        """
        if self._engine.dialect.name != "sqlite":
            return
        if self.session.in_transaction():
            raise RuntimeError("begin_write must come first in the transaction on SQLite")
        self.session.connection(execution_options={BEGIN_IMMEDIATE: True})

    def lock_pages(self, workspace_id: str, page_keys: Iterable[str]) -> None:
        """Start a write transaction that holds the given booking pages until it ends.

        On SQLite this is ``begin_write`` alone: the database's one write lock holds every
        page, so no page is read (SQLite has no row locks; reading a pooled request's 2,000
        pages only cost time). On PostgreSQL the pages' rows are locked with
        ``SELECT … FOR UPDATE`` in key order, so writers of overlapping page sets queue up
        instead of deadlocking. Keys naming no live page (archived meanwhile, or never
        known) are skipped: the caller decides with the configuration it reads after the
        locks, in which every page it may use is live.

        Raises:
            RuntimeError: on SQLite, the transaction already ran a statement.
        """
        self.begin_write()
        if self._engine.dialect.name == "sqlite":
            return
        keys = sorted(set(page_keys))
        # The workspace by a subquery: its row is read after the locks (configuration).
        workspace = select(WorkspaceRow.id).where(WorkspaceRow.team_id == workspace_id)
        self.session.exec(
            select(PageRow.key)
            .where(
                col(PageRow.workspace_id) == workspace.scalar_subquery(),
                # One array parameter: an IN list of 2,000 keys cost three times as much
                # to send and plan as the locks themselves.
                col(PageRow.key) == any_(bindparam("keys", keys, type_=ARRAY(String))),
                col(PageRow.archived_at).is_(None),
            )
            .order_by(col(PageRow.key))
            .with_for_update()
        ).all()
