"""Everything the engine needs for one question, in a fixed number of queries.

``ScheduleRepository.load`` runs 13 statements whatever the number of pages, members or
bookings: the workspace, the 9 of ``load_entities``, occupancy, busy blocks and the ledger.

Window of occupancy and busy blocks: from ``min(since, now) - 7 days`` to
``max(until, now + longest max_days_ahead) + 7 days`` (Schedule's contract: the question's
range widened by a week each side, and the booking horizon).

Ledger: every entry since the start of the earliest reporting cycle, among the pools, that
holds ``min(since, now)`` (in the workspace zone, ``engine.distribution.cycle_bounds``), every
entry of ``continuous`` pools (they never reset), and each member's latest ``received`` entry.
A busy pool's ledger grows by one entry a booking; older cycles are never read.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import and_, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from engine.distribution import cycle_bounds
from engine.errors import NotFound
from engine.model import BusyBlock, Cycle, LedgerEntry, LedgerKind, Occupancy, Schedule
from storage.common import find_workspace
from storage.config import load_entities, workspace_value
from storage.tables import BookingRow, BusyBlockRow, LedgerRow, PageRow, ParticipantRow

WIDENING = timedelta(days=7)

T = TypeVar("T")


def _by_key(pairs: Iterable[tuple[str, T]]) -> dict[str, tuple[T, ...]]:
    grouped: defaultdict[str, list[T]] = defaultdict(list)
    for key, value in pairs:
        grouped[key].append(value)
    return {key: tuple(values) for key, values in grouped.items()}


class ScheduleRepository:
    """Loads a workspace's ``Schedule`` in bulk."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def load(
        self, workspace_id: str, since: datetime, until: datetime, *, now: datetime
    ) -> Schedule:
        """Return the schedule of a workspace for questions about ``[since, until)``.

        Raises:
            NotFound: the workspace has no configuration.
        """
        workspace = find_workspace(self._session, workspace_id)
        if workspace is None:
            raise NotFound(f"unknown workspace '{workspace_id}'", field="workspace")
        ws = workspace.id
        entities = load_entities(self._session, ws, with_retired_members=True)
        horizon = max((e.max_days_ahead for e in entities.event_types.values()), default=0)
        earliest = min(since, now)
        low = earliest - WIDENING
        high = max(until, now + timedelta(days=horizon)) + WIDENING

        # Plain columns on the session's connection, not ORM entities: building tens of
        # thousands of row objects (and parsing every UUID column) costs seconds, while the
        # engine needs a few values a row. sqlmodel.select types at most four columns.
        occupancy = self._session.connection().execute(
            sa_select(
                col(PageRow.key),
                col(ParticipantRow.start_at),
                col(ParticipantRow.end_at),
                col(BookingRow.buffer_before_min),
                col(BookingRow.buffer_after_min),
                col(ParticipantRow.booking_id),
            )
            .join(PageRow, col(PageRow.id) == ParticipantRow.page_id)
            .join(BookingRow, col(BookingRow.id) == ParticipantRow.booking_id)
            .where(
                col(ParticipantRow.workspace_id) == ws,
                col(ParticipantRow.confirmed).is_(True),
                col(ParticipantRow.start_at) < high,
                col(ParticipantRow.end_at) > low,
            )
            .order_by(col(ParticipantRow.start_at), col(ParticipantRow.id))
        )
        busy = self._session.exec(
            select(PageRow.key, BusyBlockRow.start_at, BusyBlockRow.end_at)
            .join(PageRow, col(PageRow.id) == BusyBlockRow.page_id)
            .where(
                BusyBlockRow.workspace_id == ws,
                col(BusyBlockRow.start_at) < high,
                col(BusyBlockRow.end_at) > low,
            )
            .order_by(col(BusyBlockRow.start_at), col(BusyBlockRow.id))
        )
        continuous = [
            pk
            for pk, key in entities.pool_keys.items()
            if entities.pools[key].cycle is Cycle.CONTINUOUS
        ]
        cycle_starts = (
            cycle_bounds(pool.cycle, workspace.timezone, earliest)[0]
            for pool in entities.pools.values()
        )
        ledger_since = min((start for start in cycle_starts if start is not None), default=earliest)
        return Schedule(
            workspace=workspace_value(workspace),
            pages=entities.pages,
            event_types=entities.event_types,
            pools=entities.pools,
            master_pages=entities.master_pages,
            occupancy=_by_key(
                (
                    page,
                    Occupancy(
                        page,
                        start,
                        end,
                        timedelta(minutes=before),
                        timedelta(minutes=after),
                        str(booking_id),
                    ),
                )
                for page, start, end, before, after, booking_id in occupancy
            ),
            busy=_by_key((page, BusyBlock(page, start, end)) for page, start, end in busy),
            ledger=self._ledger(ws, entities.pool_keys, ledger_since, continuous),
        )

    def _ledger(
        self,
        ws: uuid.UUID,
        pool_keys: dict[uuid.UUID, str],
        since: datetime,
        continuous: list[uuid.UUID],
    ) -> dict[str, tuple[LedgerEntry, ...]]:
        kinds = {kind.value: kind for kind in LedgerKind}
        received = col(LedgerRow.kind) == LedgerKind.RECEIVED.value
        latest = (
            select(LedgerRow.pool_id, LedgerRow.page_id, func.max(LedgerRow.at).label("at"))
            .where(LedgerRow.workspace_id == ws, received)
            .group_by(col(LedgerRow.pool_id), col(LedgerRow.page_id))
            .subquery()
        )
        # Joined once (a hash join), not a correlated EXISTS: PostgreSQL re-ran that
        # aggregate for every older row, minutes for 40,000 rows.
        is_latest = and_(
            received,
            latest.c.pool_id == LedgerRow.pool_id,
            latest.c.page_id == LedgerRow.page_id,
            latest.c.at == LedgerRow.at,
        )
        rows = self._session.connection().execute(
            sa_select(
                col(LedgerRow.pool_id),
                col(PageRow.key),
                col(LedgerRow.kind),
                col(LedgerRow.at),
                col(LedgerRow.booking_id),
            )
            .join(PageRow, col(PageRow.id) == LedgerRow.page_id)
            .outerjoin(latest, is_latest)
            .where(
                col(LedgerRow.workspace_id) == ws,
                col(LedgerRow.pool_id).in_(list(pool_keys)),
                or_(
                    col(LedgerRow.at) >= since,
                    col(LedgerRow.pool_id).in_(continuous),
                    latest.c.at.is_not(None),
                ),
            )
            .order_by(col(LedgerRow.at), col(LedgerRow.id))
        )
        return _by_key(
            (
                pool_keys[pool],
                LedgerEntry(
                    pool_keys[pool],
                    page,
                    kinds[kind],
                    at,
                    None if booking_id is None else str(booking_id),
                ),
            )
            for pool, page, kind, at, booking_id in rows
        )
