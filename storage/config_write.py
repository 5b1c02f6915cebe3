"""Write a workspace's configuration into its rows (``ConfigRepository.save``).

Entities are matched by their configuration id (``key``) and keep their UUID for life. One
missing from a saved configuration is archived and revived when it comes back; a pool member
missing from its pool is archived too (its history stays). Rows are only written where a
value changed, so saving the same configuration twice writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from engine.model import EventType, LocalRange, MasterPage, Page, Pool, SeatRef, WorkspaceConfig
from storage.common import EntityT, assign, find_workspace, minutes, sync
from storage.config_read import ADDITIONAL, CONFIG_SOURCE, PRIMARY, ListedT, children
from storage.tables import (
    BusyBlockRow,
    ConfigEntityRow,
    EventTypePageRow,
    EventTypeRow,
    MasterPageEventTypeRow,
    MasterPageRow,
    PageRow,
    PoolMemberRow,
    PoolRow,
    RuleRow,
    SeatRow,
    WorkspaceRow,
)


class ConfigWriter:
    """One ``ConfigRepository.save``: writes parents before children, flushing in between."""

    def __init__(self, session: Session, cfg: WorkspaceConfig, now: datetime) -> None:
        self._session = session
        self._cfg = cfg
        self._now = now

    def write(self) -> uuid.UUID:
        """Write the configuration; return the workspace's primary key."""
        workspace = self._workspace()
        self._ws = workspace.id
        pages = self._entities(
            PageRow, {key: _page_values(p) for key, p in self._cfg.pages.items()}
        )
        event_types = self._entities(
            EventTypeRow, {key: _event_type_values(e) for key, e in self._cfg.event_types.items()}
        )
        pools = self._entities(
            PoolRow, {key: _pool_values(p) for key, p in self._cfg.pools.items()}
        )
        masters = self._entities(
            MasterPageRow,
            {key: _master_page_values(m) for key, m in self._cfg.master_pages.items()},
        )
        self._session.flush()
        page_ids = {key: row.id for key, row in pages.items()}
        event_type_ids = {key: row.id for key, row in event_types.items()}
        pool_ids = {key: row.id for key, row in pools.items()}

        et_pages = children(self._session, EventTypePageRow, self._ws, "event_type_id")
        for event_type in self._cfg.event_types.values():
            parent = event_types[event_type.id].id
            self._list(
                EventTypePageRow,
                et_pages.pop(parent, []),
                [{"event_type_id": parent, "page_id": page_ids[p]} for p in event_type.pages],
            )
        offered = children(self._session, MasterPageEventTypeRow, self._ws, "master_page_id")
        for master in self._cfg.master_pages.values():
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
        existing = children(self._session, PoolMemberRow, self._ws, "pool_id")
        for pool in self._cfg.pools.values():
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

        existing_rules = children(self._session, RuleRow, self._ws, "master_page_id")
        existing_seats = children(self._session, SeatRow, self._ws, "rule_id")
        # Seats of rules about to disappear go first: their rule is still referenced.
        seat_plan: list[tuple[uuid.UUID, list[dict[str, Any]], list[SeatRow]]] = []
        for master in self._cfg.master_pages.values():
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
