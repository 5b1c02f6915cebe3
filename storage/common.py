"""Helpers shared by the repositories."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, select

from engine.errors import NotFound
from storage.tables import BookingRow, ConfigEntityRow, OutboxRow, PageRow, WorkspaceRow
from storage.transaction import state_of

RowT = TypeVar("RowT", bound=SQLModel)
EntityT = TypeVar("EntityT", bound=ConfigEntityRow)
KeyT = TypeVar("KeyT")


def minutes(value: timedelta) -> int:
    """Return a whole-minute duration as an integer number of minutes."""
    return int(value.total_seconds()) // 60


def find_workspace(session: Session, workspace_id: str) -> WorkspaceRow | None:
    """Return the row of the workspace whose Slack team id is ``workspace_id``.

    The row is remembered in the transaction state (its key never changes; holding it keeps
    it in the identity map), so later calls read no SQL while it is fresh: one booking
    asked for it eight times.
    """
    known = state_of(session).workspaces
    held = known.get(workspace_id)
    row = None if held is None else session.get(WorkspaceRow, held[0])
    if row is None:
        row = session.exec(select(WorkspaceRow).where(WorkspaceRow.team_id == workspace_id)).first()
        if row is not None:
            known[workspace_id] = (row.id, row)
            remember_workspace_pk(session, workspace_id, row.id)
    return row


def remember_workspace_pk(session: Session, workspace_id: str, pk: uuid.UUID) -> None:
    """Note a workspace's primary key for the session's life (it never changes)."""
    state_of(session).workspace_pks[workspace_id] = pk


def workspace_pk(session: Session, workspace_id: str) -> uuid.UUID:
    """Return the primary key of a workspace (no SQL once the session knows it).

    Raises:
        NotFound: no workspace has this Slack team id.
    """
    pk = state_of(session).workspace_pks.get(workspace_id)
    if pk is not None:
        return pk
    row = find_workspace(session, workspace_id)
    if row is None:
        raise NotFound(f"unknown workspace '{workspace_id}'", field="workspace")
    return row.id


def remember_live_pks(
    session: Session, ws: uuid.UUID, pks: Mapping[str, Mapping[str, uuid.UUID]]
) -> None:
    """Note the live configuration entities read in this transaction, by table and id.

    Repositories turn configuration ids into primary keys from here instead of asking the
    database again (a booking asked six times). Only a configuration read in the same
    transaction may be noted; a configuration save forgets them (``forget_live_pks``).
    """
    state_of(session).live_pks[ws] = pks


def forget_live_pks(session: Session) -> None:
    """Forget the noted entities: the configuration is being changed in this session."""
    state_of(session).live_pks.clear()


def live_pks(session: Session, ws: uuid.UUID, table: str) -> Mapping[str, uuid.UUID]:
    """Return the noted primary keys of a table's live entities (empty when none are)."""
    return state_of(session).live_pks.get(ws, {}).get(table, {})


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


def live_page_pk(session: Session, ws: uuid.UUID, page: str) -> uuid.UUID:
    """Return the primary key of a live booking page of a workspace.

    Raises:
        NotFound: no live page has this id.
    """
    pk = live_pks(session, ws, "booking_pages").get(page)
    if pk is None:
        pk = session.exec(
            select(PageRow.id).where(
                PageRow.workspace_id == ws,
                PageRow.key == page,
                col(PageRow.archived_at).is_(None),
            )
        ).first()
    if pk is None:
        raise NotFound(f"unknown booking page '{page}'", field="page")
    return pk


def parse_uuid(value: str | None) -> uuid.UUID | None:
    """The UUID ``value`` names, or None (absent or malformed)."""
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def uuid_text(value: uuid.UUID | None) -> str | None:
    """``value`` as text, None kept."""
    return None if value is None else str(value)


OwnedRowT = TypeVar("OwnedRowT", BookingRow, OutboxRow)


def owned_row(
    session: Session, table: type[OwnedRowT], workspace_id: str, row_id: str, what: str, field: str
) -> OwnedRowT:
    """Return the row ``row_id`` of ``table`` if it belongs to the workspace.

    Raises:
        NotFound: no such workspace, or no such row in it (a malformed id included).
    """
    ws = workspace_pk(session, workspace_id)
    pk = parse_uuid(row_id)
    row = None if pk is None else session.get(table, pk)
    if row is None or row.workspace_id != ws:
        raise NotFound(f"unknown {what} '{row_id}'", field=field)
    return row


def live_ids(
    session: Session, table: type[EntityT], ws: uuid.UUID, keys: Iterable[str | None], what: str
) -> dict[str, uuid.UUID]:
    """Map live configuration ids to primary keys; raise ``NotFound`` naming any unknown."""
    wanted = {key for key in keys if key is not None}
    if not wanted:
        return {}
    noted = live_pks(session, ws, str(table.__tablename__))
    if wanted <= noted.keys():
        return {key: noted[key] for key in wanted}
    found = {
        key: pk
        for key, pk in session.exec(
            select(table.key, table.id).where(
                table.workspace_id == ws,
                col(table.key).in_(wanted),
                col(table.archived_at).is_(None),
            )
        )
    }
    missing = sorted(wanted - found.keys())
    if missing:
        raise NotFound(f"unknown {what}: {', '.join(missing)}", field=what)
    return found
