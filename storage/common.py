"""Helpers shared by the repositories."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, select

from engine.errors import NotFound
from storage.tables import ConfigEntityRow, WorkspaceRow

RowT = TypeVar("RowT", bound=SQLModel)
EntityT = TypeVar("EntityT", bound=ConfigEntityRow)
KeyT = TypeVar("KeyT")


def utcnow() -> datetime:
    """Return the current instant in UTC (storage's own timestamps, never scheduling)."""
    return datetime.now(UTC)


def minutes(value: timedelta) -> int:
    """Return a whole-minute duration as an integer number of minutes."""
    return int(value.total_seconds()) // 60


_WORKSPACES = "roundtable.workspaces"


def find_workspace(session: Session, workspace_id: str) -> WorkspaceRow | None:
    """Return the row of the workspace whose Slack team id is ``workspace_id``.

    The row is remembered for the session's life (its key never changes; holding it keeps
    it in the identity map), so later calls read no SQL while it is fresh: one booking
    asked for it eight times.
    """
    known: dict[str, tuple[uuid.UUID, WorkspaceRow]] = session.info.setdefault(_WORKSPACES, {})
    held = known.get(workspace_id)
    row = None if held is None else session.get(WorkspaceRow, held[0])
    if row is None:
        row = session.exec(select(WorkspaceRow).where(WorkspaceRow.team_id == workspace_id)).first()
        if row is not None:
            known[workspace_id] = (row.id, row)
    return row


def workspace_pk(session: Session, workspace_id: str) -> uuid.UUID:
    """Return the primary key of a workspace.

    Raises:
        NotFound: no workspace has this Slack team id.
    """
    row = find_workspace(session, workspace_id)
    if row is None:
        raise NotFound(f"unknown workspace '{workspace_id}'", field="workspace")
    return row.id


def assign(row: SQLModel, values: Mapping[str, Any]) -> None:
    """Set the attributes of ``row`` that differ from ``values`` (equal ones stay untouched)."""
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def sync(
    session: Session,
    existing: Mapping[KeyT, RowT],
    desired: Mapping[KeyT, Mapping[str, Any]],
    create: Callable[[KeyT, Mapping[str, Any]], RowT],
    retire: Callable[[RowT], None],
) -> dict[KeyT, RowT]:
    """Make ``existing`` rows match ``desired`` values by key; return the rows of ``desired``.

    Rows with a desired key are updated in place (only changed columns), new keys get a row
    from ``create`` and rows whose key is no longer desired go to ``retire``.
    """
    rows: dict[KeyT, RowT] = {}
    for key, values in desired.items():
        row = existing.get(key)
        if row is None:
            row = create(key, values)
            session.add(row)
        else:
            assign(row, values)
        rows[key] = row
    for key, row in existing.items():
        if key not in desired:
            retire(row)
    return rows
