"""One-time links, found by their token's hash: stored, used once, revoked."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from engine.records import (
    OneTimeLink,
)
from storage.common import (
    live_ids,
    parse_uuid,
    uuid_text,
    workspace_pk,
)
from storage.tables import (
    EventTypeRow,
    LinkRow,
    MasterPageRow,
    PageRow,
    WorkspaceRow,
)


class LinkRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, workspace_id: str, link: OneTimeLink) -> None:
        """Store a new one-time link."""
        ws = workspace_pk(self._session, workspace_id)
        master = live_ids(self._session, MasterPageRow, ws, [link.master_page], "master_page")
        event_type = live_ids(self._session, EventTypeRow, ws, [link.event_type], "event_type")
        member = live_ids(self._session, PageRow, ws, [link.member], "page")
        self._session.add(
            LinkRow(
                id=uuid.UUID(link.id),
                workspace_id=ws,
                token_hash=link.token_hash,
                master_page_id=master[link.master_page],
                event_type_id=None if link.event_type is None else event_type[link.event_type],
                guest_name=link.guest_name,
                guest_email=link.guest_email,
                form_answers=None if link.form_answers is None else dict(link.form_answers),
                member_page_id=None if link.member is None else member[link.member],
                expires_at=link.expires_at,
                created_by=link.created_by,
                created_at=link.created_at,
                revoked_at=link.revoked_at,
                used_at=link.used_at,
                booking_id=parse_uuid(link.booking_id),
            )
        )
        self._session.flush()

    def workspace_of(self, token_hash: str) -> str | None:
        """Return the workspace a link belongs to (a guest's URL carries only the token)."""
        return self._session.exec(
            select(WorkspaceRow.team_id)
            .join(LinkRow, col(LinkRow.workspace_id) == WorkspaceRow.id)
            .where(LinkRow.token_hash == token_hash)
        ).first()

    def get(self, workspace_id: str, token_hash: str) -> OneTimeLink | None:
        """Return the link with this token hash, or ``None``."""
        ws = workspace_pk(self._session, workspace_id)
        row = self._session.exec(
            select(LinkRow, MasterPageRow.key, EventTypeRow.key, PageRow.key)
            .join(MasterPageRow, col(MasterPageRow.id) == LinkRow.master_page_id)
            .outerjoin(EventTypeRow, col(EventTypeRow.id) == LinkRow.event_type_id)
            .outerjoin(PageRow, col(PageRow.id) == LinkRow.member_page_id)
            .where(LinkRow.workspace_id == ws, LinkRow.token_hash == token_hash)
        ).first()
        if row is None:
            return None
        link, master, event_type, member = row
        return OneTimeLink(
            id=str(link.id),
            token_hash=link.token_hash,
            master_page=master,
            created_at=link.created_at,
            event_type=event_type,
            guest_name=link.guest_name,
            guest_email=link.guest_email,
            form_answers=link.form_answers,
            member=member,
            expires_at=link.expires_at,
            created_by=link.created_by,
            revoked_at=link.revoked_at,
            used_at=link.used_at,
            booking_id=uuid_text(link.booking_id),
        )

    def mark_used(self, workspace_id: str, link_id: str, booking_id: str, *, at: datetime) -> bool:
        """Consume a link for a booking; return False when it was already used or revoked.

        A single conditional UPDATE, so of two concurrent uses exactly one succeeds.
        """
        ws = workspace_pk(self._session, workspace_id)
        result = self._session.exec(
            update(LinkRow)
            .where(
                col(LinkRow.workspace_id) == ws,
                col(LinkRow.id) == parse_uuid(link_id),
                col(LinkRow.used_at).is_(None),
                col(LinkRow.revoked_at).is_(None),
            )
            .values(used_at=at, booking_id=uuid.UUID(booking_id))
        )
        return result.rowcount == 1

    def revoke(self, workspace_id: str, token_hash: str, *, at: datetime) -> bool:
        """Revoke an unused link; return False when there is no such unused, live link."""
        ws = workspace_pk(self._session, workspace_id)
        result = self._session.exec(
            update(LinkRow)
            .where(
                col(LinkRow.workspace_id) == ws,
                col(LinkRow.token_hash) == token_hash,
                col(LinkRow.used_at).is_(None),
                col(LinkRow.revoked_at).is_(None),
            )
            .values(revoked_at=at)
        )
        return result.rowcount == 1
