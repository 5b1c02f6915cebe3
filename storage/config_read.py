"""A workspace's stored configuration read back as values, in 10 queries whatever its size.

Entities are the live ones (not archived), in file order (``position``). A pool member
dropped from the configuration stays the pool's ``former`` member, inactive (its history
still counts in reports), unless its page is archived.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from sqlmodel import Session, col, select

from engine.model import (
    BusyBlock,
    Cycle,
    DynamicRule,
    EventType,
    FormField,
    LocalRange,
    MasterMode,
    MasterPage,
    Method,
    Page,
    PageKind,
    Pool,
    PoolMember,
    Priority,
    SeatRef,
    StaticMethod,
    Workspace,
    WorkspaceConfig,
)
from storage.common import EntityT
from storage.tables import (
    BusyBlockRow,
    EventTypePageRow,
    EventTypeRow,
    ListedRow,
    MasterPageEventTypeRow,
    MasterPageRow,
    PageRow,
    PoolMemberRow,
    PoolRow,
    RuleRow,
    SeatRow,
    WorkspaceRow,
)

CONFIG_SOURCE = "config"
"""``busy_blocks.source`` of the blocks listed in the configuration file."""

PRIMARY = "primary"
ADDITIONAL = "additional"

ListedT = TypeVar("ListedT", bound=ListedRow)


@dataclass(frozen=True, slots=True)
class Keys:
    """The primary keys of a workspace's live configuration entities.

    ``page_pks`` maps each live page's id to its primary key; ``pool_keys`` each live pool's
    primary key to its id; ``pks`` every live entity's primary key by table name and id.
    """

    page_pks: dict[str, uuid.UUID]
    pool_keys: dict[uuid.UUID, str]
    pks: dict[str, dict[str, uuid.UUID]]


def read_config(session: Session, workspace: WorkspaceRow) -> tuple[WorkspaceConfig, Keys]:
    """Read a workspace's live configuration and the primary keys of its entities."""
    ws = workspace.id
    pages = live_rows(session, PageRow, ws)
    event_types = live_rows(session, EventTypeRow, ws)
    pools = live_rows(session, PoolRow, ws)
    masters = live_rows(session, MasterPageRow, ws)
    page_keys = {row.id: row.key for row in pages}
    pool_keys = {row.id: row.key for row in pools}
    event_type_keys = {row.id: row.key for row in event_types}

    et_pages = children(session, EventTypePageRow, ws, "event_type_id")
    members = children(session, PoolMemberRow, ws, "pool_id")
    rules = children(session, RuleRow, ws, "master_page_id")
    seats = children(session, SeatRow, ws, "rule_id")
    offered = children(session, MasterPageEventTypeRow, ws, "master_page_id")
    busy = session.exec(
        select(BusyBlockRow, PageRow.key)
        .join(PageRow, col(PageRow.id) == BusyBlockRow.page_id)
        .where(BusyBlockRow.workspace_id == ws, BusyBlockRow.source == CONFIG_SOURCE)
        .order_by(col(BusyBlockRow.position))
    )

    def seat(row: SeatRow) -> SeatRef:
        if row.page_id is not None:
            return SeatRef(page=page_keys[row.page_id])
        assert row.pool_id is not None
        return SeatRef(pool=pool_keys[row.pool_id])

    def rule(row: RuleRow) -> DynamicRule:
        rule_seats = seats[row.id]
        return DynamicRule(
            event_type=event_type_keys[row.event_type_id],
            primary=next(seat(s) for s in rule_seats if s.role == PRIMARY),
            additional=tuple(seat(s) for s in rule_seats if s.role == ADDITIONAL),
        )

    def member(row: PoolMemberRow) -> PoolMember:
        return PoolMember(
            page=page_keys[row.page_id],
            priority=Priority(row.priority),
            active=row.active and row.archived_at is None,
            joined=row.join_seq,
        )

    def pool(row: PoolRow) -> Pool:
        listed = [m for m in members[row.id] if m.page_id in page_keys]
        return _pool(
            row,
            tuple(member(m) for m in listed if m.archived_at is None),
            tuple(member(m) for m in listed if m.archived_at is not None),
        )

    config = WorkspaceConfig(
        workspace=workspace_value(workspace),
        pages={row.key: _page(row) for row in pages},
        event_types={
            row.key: _event_type(row, tuple(page_keys[p.page_id] for p in et_pages[row.id]))
            for row in event_types
        },
        pools={row.key: pool(row) for row in pools},
        master_pages={
            row.key: MasterPage(
                id=row.key,
                name=row.name,
                mode=MasterMode(row.mode),
                rules=tuple(rule(r) for r in rules[row.id]),
                event_types=tuple(event_type_keys[o.event_type_id] for o in offered[row.id]),
                method=None if row.method is None else StaticMethod(row.method),
                one_time_links_only=row.one_time_links_only,
            )
            for row in masters
        },
        busy=tuple(BusyBlock(key, block.start_at, block.end_at) for block, key in busy),
    )
    tables: list[tuple[str, Sequence[PageRow | EventTypeRow | PoolRow | MasterPageRow]]] = [
        (PageRow.__tablename__, pages),
        (EventTypeRow.__tablename__, event_types),
        (PoolRow.__tablename__, pools),
        (MasterPageRow.__tablename__, masters),
    ]
    keys = Keys(
        page_pks={row.key: row.id for row in pages},
        pool_keys=pool_keys,
        pks={str(table): {row.key: row.id for row in rows} for table, rows in tables},
    )
    return config, keys


def workspace_value(row: WorkspaceRow) -> Workspace:
    """Convert a workspace row to its domain value."""
    return Workspace(
        id=row.team_id,
        timezone=row.timezone,
        admins=tuple(row.admins),
        slack_admins=row.slack_admins,
    )


def live_rows(session: Session, table: type[EntityT], workspace_pk: uuid.UUID) -> list[EntityT]:
    return list(
        session.exec(
            select(table)
            .where(table.workspace_id == workspace_pk, col(table.archived_at).is_(None))
            .order_by(col(table.position))
        )
    )


def children(
    session: Session, table: type[ListedT], workspace_pk: uuid.UUID, parent: str
) -> defaultdict[uuid.UUID, list[ListedT]]:
    rows = session.exec(
        select(table).where(table.workspace_id == workspace_pk).order_by(col(table.position))
    )
    grouped: defaultdict[uuid.UUID, list[ListedT]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, parent)].append(row)
    return grouped


def _ranges(ranges: Sequence[Sequence[int]]) -> tuple[LocalRange, ...]:
    return tuple(LocalRange(start, end) for start, end in ranges)


def _page(row: PageRow) -> Page:
    return Page(
        id=row.key,
        kind=PageKind(row.kind),
        name=row.name,
        timezone=row.timezone,
        hours=tuple(_ranges(day) for day in row.hours),
        overrides={date.fromisoformat(day): _ranges(r) for day, r in row.overrides.items()},
        slack_user=row.slack_user,
        capacity=row.capacity,
        max_per_day=row.max_per_day,
        max_per_week=row.max_per_week,
        location=row.location,
    )


def _event_type(row: EventTypeRow, pages: tuple[str, ...]) -> EventType:
    return EventType(
        id=row.key,
        name=row.name,
        duration=timedelta(minutes=row.duration_min),
        step=None if row.step_min is None else timedelta(minutes=row.step_min),
        buffer_before=timedelta(minutes=row.buffer_before_min),
        buffer_after=timedelta(minutes=row.buffer_after_min),
        min_notice=timedelta(minutes=row.min_notice_min),
        max_days_ahead=row.max_days_ahead,
        reminders=tuple(timedelta(minutes=m) for m in row.reminders_min),
        pages=pages,
        form=tuple(FormField(f["id"], f["label"], f["required"]) for f in row.form),
        location=row.location,
    )


def _pool(row: PoolRow, members: tuple[PoolMember, ...], former: tuple[PoolMember, ...]) -> Pool:
    return Pool(
        id=row.key,
        name=row.name,
        method=Method(row.method),
        cycle=Cycle(row.cycle),
        automatic_correction=row.automatic_correction,
        members=members,
        managers=tuple(row.managers),
        channel=row.channel,
        lookahead=None if row.lookahead_min is None else timedelta(minutes=row.lookahead_min),
        flexible=row.flexible,
        former=former,
    )
