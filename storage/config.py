"""The configuration of a workspace: save it whole, load it back exactly.

Entities are matched by their configuration id (``key``) and keep their UUID for life. One
missing from a saved configuration is archived and revived when it comes back; a pool member
missing from its pool is archived too (its history stays). Rows are only written where a
value changed, so saving the same configuration twice writes nothing.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import event, update
from sqlmodel import Session, col, select

from engine.errors import NotFound
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
from storage.common import EntityT, assign, find_workspace, forget_live_pks, minutes, sync
from storage.config_cache import cached, mark_config_written, workspace_state
from storage.tables import (
    BusyBlockRow,
    ConfigEntityRow,
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
class Entities:
    """The live configuration entities of one workspace, in file order, keyed by id.

    ``pool_keys`` maps each live pool's primary key to its configuration id; ``page_pks``
    each live page's configuration id to its primary key; ``pks`` every live entity's
    primary key by table name and configuration id.
    """

    pages: dict[str, Page]
    event_types: dict[str, EventType]
    pools: dict[str, Pool]
    master_pages: dict[str, MasterPage]
    pool_keys: dict[uuid.UUID, str]
    page_pks: dict[str, uuid.UUID]
    pks: dict[str, dict[str, uuid.UUID]]


class ConfigRepository:
    """Whole workspace configurations: ``save`` upserts one, ``load`` reads it back."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def workspace_ids(self) -> list[str]:
        """Return the Slack team id of every workspace, sorted."""
        return list(self._session.exec(select(WorkspaceRow.team_id).order_by(WorkspaceRow.team_id)))

    def load(self, workspace_id: str) -> WorkspaceConfig:
        """Return the configuration last saved for a workspace.

        Raises:
            NotFound: the workspace has no configuration.
        """
        state = workspace_state(self._session, workspace_id)
        if state is None:
            raise NotFound(f"unknown workspace '{workspace_id}'", field="workspace")
        return cached(self._session, state, "config", lambda: self._read(workspace_id))

    def _read(self, workspace_id: str) -> WorkspaceConfig:
        row = find_workspace(self._session, workspace_id)
        if row is None:
            raise NotFound(f"unknown workspace '{workspace_id}'", field="workspace")
        entities = load_entities(self._session, row.id, with_retired_members=False)
        busy = self._session.exec(
            select(BusyBlockRow, PageRow.key)
            .join(PageRow, col(PageRow.id) == BusyBlockRow.page_id)
            .where(BusyBlockRow.workspace_id == row.id, BusyBlockRow.source == CONFIG_SOURCE)
            .order_by(col(BusyBlockRow.position))
        )
        return WorkspaceConfig(
            workspace=workspace_value(row),
            pages=tuple(entities.pages.values()),
            event_types=tuple(entities.event_types.values()),
            pools=tuple(entities.pools.values()),
            master_pages=tuple(entities.master_pages.values()),
            busy=tuple(BusyBlock(key, block.start_at, block.end_at) for block, key in busy),
        )

    def save(self, cfg: WorkspaceConfig, *, now: datetime) -> None:
        """Make the stored configuration of ``cfg.workspace`` equal to ``cfg`` at ``now``.

        ``now`` stamps what the save starts or ends (a pool membership, an archived entity).

        When that changes anything, the workspace's ``config_version`` grows by one, so
        every process's cached copy of the old configuration stops being used.
        """
        mark_config_written(self._session)
        forget_live_pks(self._session)
        changed = False

        def note(session: Session, _context: object, _instances: object) -> None:
            # Every write of the save goes through a flush (autoflush included); only rows
            # that really differ count (``assign`` may touch none).
            nonlocal changed
            changed = changed or bool(
                session.new or session.deleted or any(map(session.is_modified, session.dirty))
            )

        event.listen(self._session, "before_flush", note)
        try:
            ws = _ConfigWriter(self._session, cfg, now).write()
        finally:
            event.remove(self._session, "before_flush", note)
        if changed:
            self._session.execute(
                update(WorkspaceRow)
                .where(col(WorkspaceRow.id) == ws)
                .values(config_version=col(WorkspaceRow.config_version) + 1)
            )


def workspace_value(row: WorkspaceRow) -> Workspace:
    """Convert a workspace row to its domain value."""
    return Workspace(
        id=row.team_id,
        timezone=row.timezone,
        admins=tuple(row.admins),
        slack_admins=row.slack_admins,
    )


def load_entities(
    session: Session, workspace_pk: uuid.UUID, *, with_retired_members: bool
) -> Entities:
    """Load every live page, event type, pool and master page of a workspace in 9 queries.

    With ``with_retired_members``, pool members dropped from the configuration are included
    as inactive (their history still counts in reports) unless their page is archived.
    """
    pages = _live(session, PageRow, workspace_pk)
    event_types = _live(session, EventTypeRow, workspace_pk)
    pools = _live(session, PoolRow, workspace_pk)
    masters = _live(session, MasterPageRow, workspace_pk)
    page_keys = {row.id: row.key for row in pages}
    pool_keys = {row.id: row.key for row in pools}
    event_type_keys = {row.id: row.key for row in event_types}

    et_pages = _children(session, EventTypePageRow, workspace_pk, "event_type_id")
    members = _children(session, PoolMemberRow, workspace_pk, "pool_id")
    rules = _children(session, RuleRow, workspace_pk, "master_page_id")
    seats = _children(session, SeatRow, workspace_pk, "rule_id")
    offered = _children(session, MasterPageEventTypeRow, workspace_pk, "master_page_id")

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

    def is_listed(row: PoolMemberRow) -> bool:
        if row.page_id not in page_keys:
            return False
        return with_retired_members or row.archived_at is None

    return Entities(
        pages={row.key: _page(row) for row in pages},
        event_types={
            row.key: _event_type(row, tuple(page_keys[p.page_id] for p in et_pages[row.id]))
            for row in event_types
        },
        pools={
            row.key: _pool(row, tuple(member(m) for m in members[row.id] if is_listed(m)))
            for row in pools
        },
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
        pool_keys=pool_keys,
        page_pks={row.key: row.id for row in pages},
        pks={
            str(table.__tablename__): {row.key: row.id for row in rows}
            for table, rows in _tables_of(pages, event_types, pools, masters)
        },
    )


def _tables_of(
    pages: list[PageRow],
    event_types: list[EventTypeRow],
    pools: list[PoolRow],
    masters: list[MasterPageRow],
) -> list[tuple[type[ConfigEntityRow], Sequence[ConfigEntityRow]]]:
    return [
        (PageRow, pages),
        (EventTypeRow, event_types),
        (PoolRow, pools),
        (MasterPageRow, masters),
    ]


def _live(session: Session, table: type[EntityT], workspace_pk: uuid.UUID) -> list[EntityT]:
    return list(
        session.exec(
            select(table)
            .where(table.workspace_id == workspace_pk, col(table.archived_at).is_(None))
            .order_by(col(table.position))
        )
    )


def _children(
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


def _pool(row: PoolRow, members: tuple[PoolMember, ...]) -> Pool:
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
    )


def _json_ranges(ranges: Sequence[LocalRange]) -> list[list[int]]:
    return [[r.start, r.end] for r in ranges]


def _page_values(page: Page) -> dict[str, Any]:
    return {
        "kind": page.kind.value,
        "name": page.name,
        "timezone": page.timezone,
        "slack_user": page.slack_user,
        "capacity": page.capacity,
        "hours": [_json_ranges(day) for day in page.hours],
        "overrides": {
            day.isoformat(): _json_ranges(ranges) for day, ranges in sorted(page.overrides.items())
        },
        "max_per_day": page.max_per_day,
        "max_per_week": page.max_per_week,
        "location": page.location,
    }


def _event_type_values(event_type: EventType) -> dict[str, Any]:
    return {
        "name": event_type.name,
        "duration_min": minutes(event_type.duration),
        "step_min": None if event_type.step is None else minutes(event_type.step),
        "buffer_before_min": minutes(event_type.buffer_before),
        "buffer_after_min": minutes(event_type.buffer_after),
        "min_notice_min": minutes(event_type.min_notice),
        "max_days_ahead": event_type.max_days_ahead,
        "reminders_min": [minutes(r) for r in event_type.reminders],
        "form": [{"id": f.id, "label": f.label, "required": f.required} for f in event_type.form],
        "location": event_type.location,
    }


def _pool_values(pool: Pool) -> dict[str, Any]:
    return {
        "name": pool.name,
        "method": pool.method.value,
        "cycle": pool.cycle.value,
        "automatic_correction": pool.automatic_correction,
        "managers": list(pool.managers),
        "channel": pool.channel,
        "lookahead_min": None if pool.lookahead is None else minutes(pool.lookahead),
        "flexible": pool.flexible,
    }


def _master_page_values(master: MasterPage) -> dict[str, Any]:
    return {
        "name": master.name,
        "mode": master.mode.value,
        "method": None if master.method is None else master.method.value,
        "one_time_links_only": master.one_time_links_only,
    }


class _ConfigWriter:
    """One ``ConfigRepository.save``: writes parents before children, flushing in between."""

    def __init__(self, session: Session, cfg: WorkspaceConfig, now: datetime) -> None:
        self._session = session
        self._cfg = cfg
        self._now = now

    def write(self) -> uuid.UUID:
        """Write the configuration; return the workspace's primary key."""
        workspace = self._workspace()
        self._ws = workspace.id
        pages = self._entities(PageRow, {p.id: _page_values(p) for p in self._cfg.pages})
        event_types = self._entities(
            EventTypeRow, {e.id: _event_type_values(e) for e in self._cfg.event_types}
        )
        pools = self._entities(PoolRow, {p.id: _pool_values(p) for p in self._cfg.pools})
        masters = self._entities(
            MasterPageRow, {m.id: _master_page_values(m) for m in self._cfg.master_pages}
        )
        self._session.flush()
        page_ids = {key: row.id for key, row in pages.items()}
        event_type_ids = {key: row.id for key, row in event_types.items()}
        pool_ids = {key: row.id for key, row in pools.items()}

        et_pages = _children(self._session, EventTypePageRow, self._ws, "event_type_id")
        for event_type in self._cfg.event_types:
            parent = event_types[event_type.id].id
            self._list(
                EventTypePageRow,
                et_pages.pop(parent, []),
                [{"event_type_id": parent, "page_id": page_ids[p]} for p in event_type.pages],
            )
        offered = _children(self._session, MasterPageEventTypeRow, self._ws, "master_page_id")
        for master in self._cfg.master_pages:
            parent = masters[master.id].id
            self._list(
                MasterPageEventTypeRow,
                offered.pop(parent, []),
                [
                    {"master_page_id": parent, "event_type_id": event_type_ids[e]}
                    for e in master.event_types
                ],
            )
        self._members(pools, page_ids)
        self._rules(masters, event_type_ids, page_ids, pool_ids)
        self._busy(page_ids)
        self._session.flush()
        return self._ws

    def _workspace(self) -> WorkspaceRow:
        ws = self._cfg.workspace
        values: dict[str, Any] = {
            "timezone": ws.timezone,
            "admins": list(ws.admins),
            "slack_admins": ws.slack_admins,
        }
        row = find_workspace(self._session, ws.id)
        if row is None:
            row = WorkspaceRow(team_id=ws.id, **values)
            self._session.add(row)
            self._session.flush()
        else:
            assign(row, values)
        return row

    def _entities(
        self, table: type[EntityT], desired: Mapping[str, dict[str, Any]]
    ) -> dict[str, EntityT]:
        existing = self._session.exec(select(table).where(table.workspace_id == self._ws))
        for position, values in enumerate(desired.values()):
            values.update(position=position, archived_at=None)
        return sync(
            self._session,
            {row.key: row for row in existing},
            desired,
            lambda key, values: table(workspace_id=self._ws, key=key, **values),
            self._archive,
        )

    def _archive(self, row: ConfigEntityRow | PoolMemberRow) -> None:
        if row.archived_at is None:
            row.archived_at = self._now

    def _list(
        self, table: type[ListedT], existing: Sequence[ListedT], desired: Sequence[dict[str, Any]]
    ) -> dict[int, ListedT]:
        return sync(
            self._session,
            {row.position: row for row in existing},
            {position: values for position, values in enumerate(desired)},
            lambda position, values: table(workspace_id=self._ws, position=position, **values),
            self._session.delete,
        )

    def _members(self, pools: Mapping[str, PoolRow], page_ids: Mapping[str, uuid.UUID]) -> None:
        existing = _children(self._session, PoolMemberRow, self._ws, "pool_id")
        for pool in self._cfg.pools:
            parent = pools[pool.id].id
            sync(
                self._session,
                {row.page_id: row for row in existing.pop(parent, [])},
                {
                    page_ids[m.page]: {
                        "pool_id": parent,
                        "position": position,
                        "priority": m.priority.value,
                        "active": m.active,
                        "join_seq": m.joined,
                        "archived_at": None,
                    }
                    for position, m in enumerate(pool.members)
                },
                lambda page, values: PoolMemberRow(
                    workspace_id=self._ws, page_id=page, joined_at=self._now, **values
                ),
                self._archive,
            )

    def _rules(
        self,
        masters: Mapping[str, MasterPageRow],
        event_type_ids: Mapping[str, uuid.UUID],
        page_ids: Mapping[str, uuid.UUID],
        pool_ids: Mapping[str, uuid.UUID],
    ) -> None:
        def target(seat: SeatRef) -> dict[str, Any]:
            return {
                "page_id": None if seat.page is None else page_ids[seat.page],
                "pool_id": None if seat.pool is None else pool_ids[seat.pool],
            }

        existing_rules = _children(self._session, RuleRow, self._ws, "master_page_id")
        existing_seats = _children(self._session, SeatRow, self._ws, "rule_id")
        # Seats of rules about to disappear go first: their rule is still referenced.
        seat_plan: list[tuple[uuid.UUID, list[dict[str, Any]], list[SeatRow]]] = []
        for master in self._cfg.master_pages:
            parent = masters[master.id].id
            old_rules = existing_rules.pop(parent, [])
            for extra in old_rules[len(master.rules) :]:
                for seat_row in existing_seats.pop(extra.id, []):
                    self._session.delete(seat_row)
            self._session.flush()
            rule_rows = self._list(
                RuleRow,
                old_rules,
                [
                    {"master_page_id": parent, "event_type_id": event_type_ids[r.event_type]}
                    for r in master.rules
                ],
            )
            for position, rule in enumerate(master.rules):
                seats = [{"role": PRIMARY, **target(rule.primary)}]
                seats += [{"role": ADDITIONAL, **target(s)} for s in rule.additional]
                rule_id = rule_rows[position].id
                seat_plan.append((rule_id, seats, existing_seats.pop(rule_id, [])))
        self._session.flush()
        for rule_id, seats, old_seats in seat_plan:
            self._list(SeatRow, old_seats, [{"rule_id": rule_id, **seat} for seat in seats])

    def _busy(self, page_ids: Mapping[str, uuid.UUID]) -> None:
        existing = self._session.exec(
            select(BusyBlockRow).where(
                BusyBlockRow.workspace_id == self._ws, BusyBlockRow.source == CONFIG_SOURCE
            )
        )
        self._list(
            BusyBlockRow,
            list(existing),
            [
                {
                    "page_id": page_ids[b.page],
                    "start_at": b.start,
                    "end_at": b.end,
                    "source": CONFIG_SOURCE,
                }
                for b in self._cfg.busy
            ],
        )
