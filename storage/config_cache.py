"""A process-wide cache of workspace configurations, checked against the database on use.

Every request reads its workspace's configuration (a 200-member pool is ~2,500 rows), and
it changes rarely. ``ConfigRepository.save`` bumps ``workspaces.config_version`` in the
transaction that changes anything, so a reader asks for the version with one small query
inside its own transaction (after its locks) and reuses what any thread of this process
built for that version. A save by another process bumps the version too, so a cached value
is never used by a transaction that can already see a newer configuration.

Keys are the database URL, the workspace's primary key (a database recreated at the same URL
has new keys, so it never meets old entries) and the version; values are what
``ConfigRepository.configuration`` reads (``storage.config.Configuration``). Values are
frozen dataclasses shared by threads; nobody may change them. ``last_built`` hands out the
newest value of a workspace unchecked, for guesses verified later. A session that saved a
configuration neither reads nor fills the cache: its version number is not committed and may
be committed later by another save with other content.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Engine
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from storage.common import remember_workspace_pk
from storage.tables import WorkspaceRow
from storage.transaction import state_of

T = TypeVar("T")

_CAPACITY = 64
"""Entries kept (least recently used go first): a few workspaces, a version or two each."""


@dataclass(frozen=True, slots=True)
class WorkspaceState:
    """What a transaction reads of a workspace's row before it trusts the cache."""

    team_id: str
    pk: uuid.UUID
    config_version: int
    bounds: BookingBounds


@dataclass(frozen=True, slots=True)
class BookingBounds:
    """Upper bounds of every stored booking's longest buffer and of its length."""

    buffer: timedelta = timedelta(0)
    length: timedelta = timedelta(0)


def workspace_state(session: Session, workspace_id: str) -> WorkspaceState | None:
    """Read a workspace's configuration version and booking bounds (one query).

    Always read afresh: on PostgreSQL a statement sees what committed before it, so the
    version read after a transaction's locks is the one its decisions must use.
    """
    found = session.execute(
        sa_select(
            col(WorkspaceRow.id),
            col(WorkspaceRow.config_version),
            col(WorkspaceRow.max_booking_buffer_min),
            col(WorkspaceRow.max_booking_minutes),
        ).where(col(WorkspaceRow.team_id) == workspace_id)
    ).first()
    if found is None:
        return None
    pk, version, buffer, length = found
    remember_workspace_pk(session, workspace_id, pk)
    bounds = BookingBounds(timedelta(minutes=buffer), timedelta(minutes=length))
    state = WorkspaceState(workspace_id, pk, version, bounds)
    state_of(session).states[pk] = state
    return state


def known_booking_bounds(session: Session, ws: uuid.UUID) -> BookingBounds | None:
    """Return the booking bounds this transaction read for a workspace, if it did.

    The stored values never shrink, so they are at least these now.
    """
    state = state_of(session).states.get(ws)
    return None if state is None else state.bounds


def configuration_key(session: Session, ws: uuid.UUID) -> tuple[str, uuid.UUID, int] | None:
    """Return (database URL, workspace key, configuration version) as this transaction read it.

    What other caches of values derived from a configuration key their entries by. None
    when the transaction read no version of the workspace, or saved a configuration (its
    version is not committed yet).
    """
    transaction = state_of(session)
    state = transaction.states.get(ws)
    if state is None or transaction.wrote_config:
        return None
    return (_url(session.get_bind().engine), ws, state.config_version)


def mark_config_written(session: Session) -> None:
    """Keep this session away from the cache: it holds an uncommitted configuration."""
    state_of(session).wrote_config = True


def cached(session: Session, state: WorkspaceState, build: Callable[[], T]) -> T:
    """Return what ``build`` makes of the configuration at ``state``, built once a process."""
    if state_of(session).wrote_config:
        return build()
    url = _url(session.get_bind().engine)
    key = (url, state.pk, state.config_version)
    hit = _CACHE.get(key)
    if hit is not None:
        return cast(T, hit)
    value = build()
    # Keep it only if one version built it: on PostgreSQL each statement of ``build`` sees
    # the latest commits, so a save committed meanwhile may show in part of it.
    after = session.execute(
        sa_select(col(WorkspaceRow.config_version)).where(col(WorkspaceRow.id) == state.pk)
    ).scalar()
    if after == state.config_version:
        _CACHE.put(key, value)
        _LATEST.put((url, state.team_id), value)
    return value


def last_built(engine: Engine, workspace_id: str) -> Any:
    """Return the newest value this process cached of a workspace, whatever its version.

    Not checked against the database: only for guesses that a transaction verifies, such
    as which pages a booking should lock (``services.booking``). None when none is cached.
    """
    return _LATEST.get((_url(engine), workspace_id))


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def clear() -> None:
    """Drop every entry (tests that rewrite a database behind the application's back)."""
    _CACHE.clear()
    _LATEST.clear()


class Lru:
    """A bounded mapping shared by threads; the least recently used entry goes first."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_CACHE = Lru(_CAPACITY)
_LATEST = Lru(_CAPACITY)
