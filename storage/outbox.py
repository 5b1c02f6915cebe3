"""The outbox: messages queued in the booking's transaction and claimed by the delivery job.

Each method takes the workspace's Slack team id first and touches only that workspace's
rows, but ``claim_due``: the delivery job serves every workspace."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from engine.errors import NotFound
from engine.records import (
    Channel,
    OutboxMessage,
    OutboxStatus,
)
from storage.common import (
    owned_row,
    parse_uuid,
    uuid_text,
    workspace_pk,
)
from storage.tables import (
    OutboxRow,
    WorkspaceRow,
)
from storage.transaction import state_of


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, workspace_id: str, messages: Iterable[OutboxMessage]) -> None:
        """Queue messages; one whose ``dedupe_key`` is already queued is left out."""
        messages = list(messages)
        if not messages:
            return
        ws = workspace_pk(self._session, workspace_id)
        known = set(
            self._session.exec(
                select(OutboxRow.dedupe_key).where(
                    OutboxRow.workspace_id == ws,
                    col(OutboxRow.dedupe_key).in_([m.dedupe_key for m in messages]),
                )
            )
        )
        fresh = {m.dedupe_key: m for m in messages if m.dedupe_key not in known}
        if not fresh:
            return
        self._session.execute(
            insert(OutboxRow),
            [
                {
                    "id": uuid.UUID(m.id),
                    "workspace_id": ws,
                    "booking_id": parse_uuid(m.booking_id),
                    "kind": m.kind,
                    "recipient": m.recipient,
                    "due_at": m.due_at,
                    "payload": dict(m.payload),
                    "status": m.status.value,
                    "attempts": m.attempts,
                    "claimed_until": m.claimed_until,
                    "last_error": m.last_error,
                    "dedupe_key": m.dedupe_key,
                    "sent_at": m.sent_at,
                    "slack_ts": m.slack_ts,
                    "in_doubt_since": m.in_doubt_since,
                    "channel": m.channel.value,
                    "handed": m.handed,
                }
                for m in fresh.values()
            ],
        )
        state_of(self._session).queued = True

    def due_backlog(self, *, now: datetime) -> tuple[int, datetime | None]:
        """Count the messages of every workspace due by ``now`` and not yet delivered.

        Returns their number and the due time of the oldest (``None`` when there are none);
        pending and claimed messages count, sent, skipped and failed ones do not.
        """
        count, oldest = self._session.execute(
            select(func.count(), func.min(OutboxRow.due_at)).where(
                col(OutboxRow.due_at) <= now,
                col(OutboxRow.status).in_([OutboxStatus.PENDING.value, OutboxStatus.CLAIMED.value]),
            )
        ).one()
        return int(count), oldest

    def claim_due(
        self,
        *,
        now: datetime,
        lease: timedelta,
        limit: int = 50,
        channels: Collection[Channel] = (Channel.SLACK,),
    ) -> list[tuple[str, OutboxMessage]]:
        """Lease due messages of every workspace to this process; return them with their team.

        Pending messages of ``channels`` due by ``now`` and claimed ones whose lease ran out
        qualify (each process claims only what it can deliver). Rows
        other transactions hold are skipped on PostgreSQL; on SQLite run this in a write
        transaction (``UnitOfWork.begin_write``). Each claim counts an attempt and, unless
        an earlier attempt is still in doubt, sets ``in_doubt_since`` to ``now``: until it
        is marked, nobody knows whether this attempt posted.
        """
        query = (
            select(OutboxRow, WorkspaceRow.team_id)
            .join(WorkspaceRow, col(WorkspaceRow.id) == OutboxRow.workspace_id)
            .where(
                col(OutboxRow.due_at) <= now,
                col(OutboxRow.channel).in_([channel.value for channel in channels]),
                or_(
                    col(OutboxRow.status) == OutboxStatus.PENDING.value,
                    (col(OutboxRow.status) == OutboxStatus.CLAIMED.value)
                    & (col(OutboxRow.claimed_until) <= now),
                ),
            )
        )
        if Channel.CALDAV in channels:
            # A calendar write puts the booking's state as read when delivered: two writes
            # of one booking to one calendar must not overlap, or the older state could land
            # last. A write whose twin is leased to a process waits for the next round.
            twin = aliased(OutboxRow)
            query = query.where(
                or_(
                    col(OutboxRow.channel) != Channel.CALDAV.value,
                    ~select(twin.id)
                    .where(
                        twin.booking_id == OutboxRow.booking_id,
                        twin.recipient == OutboxRow.recipient,
                        twin.id != OutboxRow.id,
                        twin.status == OutboxStatus.CLAIMED.value,
                        col(twin.claimed_until) > now,
                    )
                    .exists(),
                )
            )
        rows = self._session.exec(
            query.order_by(col(OutboxRow.due_at), col(OutboxRow.id))
            .limit(limit)
            .with_for_update(skip_locked=True, of=OutboxRow)
        ).all()
        for row, _ in rows:
            row.status = OutboxStatus.CLAIMED.value
            row.claimed_until = now + lease
            row.attempts += 1
            if row.in_doubt_since is None:
                row.in_doubt_since = now
        self._session.flush()
        return [(team, _message(row)) for row, team in rows]

    def mark_sent(
        self, workspace_id: str, message_id: str, *, at: datetime, slack_ts: str | None
    ) -> None:
        """Record a delivered message (one UPDATE: the dispatcher marks every message).

        Raises:
            NotFound: no such message in the workspace.
        """
        self._update(
            workspace_id,
            message_id,
            status=OutboxStatus.SENT.value,
            sent_at=at,
            slack_ts=slack_ts,
            claimed_until=None,
            in_doubt_since=None,
        )

    def mark_failed(
        self,
        workspace_id: str,
        message_id: str,
        *,
        error: str,
        retry_at: datetime | None,
        in_doubt: bool = False,
        counted: bool = True,
    ) -> None:
        """Record a failed delivery: pending again at ``retry_at``, or failed for good.

        ``in_doubt``: the attempt may have posted anyway (a timeout, a 5xx), so the doubt
        stays for the next sender to clear. ``counted=False`` gives the attempt back (a rate
        limit is not the message's fault).
        """
        row = self._row(workspace_id, message_id)
        row.last_error = error
        row.claimed_until = None
        if not in_doubt:
            row.in_doubt_since = None
            row.handed = None  # refused, so nothing was handed over: render afresh
        if not counted:
            row.attempts = max(row.attempts - 1, 0)
        if retry_at is None:
            row.status = OutboxStatus.FAILED.value
        else:
            row.status = OutboxStatus.PENDING.value
            row.due_at = retry_at
        self._session.flush()

    def record_handed(self, workspace_id: str, message_id: str, handed: str) -> None:
        """Keep what is about to be handed to a delivery service (an email's MIME text).

        Committed before the hand-over: a retry while in doubt sends these bytes again.

        Raises:
            NotFound: no such message in the workspace.
        """
        self._update(workspace_id, message_id, handed=handed)

    def mark_skipped(self, workspace_id: str, message_id: str, *, reason: str) -> None:
        """Record a claimed message that will not be sent (its booking moved on)."""
        row = self._row(workspace_id, message_id)
        row.status = OutboxStatus.SKIPPED.value
        row.last_error = reason
        row.claimed_until = None
        row.in_doubt_since = None
        self._session.flush()

    def release(self, workspace_id: str, message_id: str) -> None:
        """Give back a claimed message this process did not try to send (pending, as due)."""
        row = self._row(workspace_id, message_id)
        row.status = OutboxStatus.PENDING.value
        row.claimed_until = None
        row.attempts = max(row.attempts - 1, 0)
        self._session.flush()

    def failed(self, workspace_id: str) -> list[OutboxMessage]:
        """Return the workspace's messages that failed for good, newest due first."""
        ws = workspace_pk(self._session, workspace_id)
        rows = self._session.exec(
            select(OutboxRow)
            .where(OutboxRow.workspace_id == ws, OutboxRow.status == OutboxStatus.FAILED.value)
            .order_by(col(OutboxRow.due_at).desc(), col(OutboxRow.id))
        )
        return [_message(row) for row in rows]

    def skip_pending(
        self,
        workspace_id: str,
        booking_id: str,
        recipient: str | None = None,
        *,
        kinds: Collection[str] | None = None,
    ) -> int:
        """Skip a booking's undelivered messages (to one recipient, of some kinds); count them.

        Calendar writes are left alone: each puts the booking's state when delivered, so a
        later change never makes one obsolete.
        """
        ws = workspace_pk(self._session, workspace_id)
        conditions = [
            col(OutboxRow.workspace_id) == ws,
            col(OutboxRow.booking_id) == parse_uuid(booking_id),
            col(OutboxRow.status) == OutboxStatus.PENDING.value,
            col(OutboxRow.channel) != Channel.CALDAV.value,
        ]
        if recipient is not None:
            conditions.append(col(OutboxRow.recipient) == recipient)
        if kinds is not None:
            conditions.append(col(OutboxRow.kind).in_(list(kinds)))
        result = self._session.exec(
            update(OutboxRow).where(*conditions).values(status=OutboxStatus.SKIPPED.value)
        )
        return result.rowcount

    def for_booking(self, workspace_id: str, booking_id: str) -> list[OutboxMessage]:
        """Return a booking's messages by due time."""
        ws = workspace_pk(self._session, workspace_id)
        rows = self._session.exec(
            select(OutboxRow)
            .where(OutboxRow.workspace_id == ws, OutboxRow.booking_id == parse_uuid(booking_id))
            .order_by(col(OutboxRow.due_at), col(OutboxRow.dedupe_key))
        )
        return [_message(row) for row in rows]

    def _update(self, workspace_id: str, message_id: str, **values: Any) -> None:
        in_workspace = (
            select(WorkspaceRow.id).where(WorkspaceRow.team_id == workspace_id).scalar_subquery()
        )
        result = self._session.exec(
            update(OutboxRow)
            .where(
                col(OutboxRow.id) == parse_uuid(message_id),
                col(OutboxRow.workspace_id) == in_workspace,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise NotFound(f"unknown outbox message '{message_id}'", field="message")

    def _row(self, workspace_id: str, message_id: str) -> OutboxRow:
        return owned_row(
            self._session, OutboxRow, workspace_id, message_id, "outbox message", "message"
        )


def _message(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        id=str(row.id),
        kind=row.kind,
        recipient=row.recipient,
        due_at=row.due_at,
        dedupe_key=row.dedupe_key,
        payload=row.payload,
        booking_id=uuid_text(row.booking_id),
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        claimed_until=row.claimed_until,
        last_error=row.last_error,
        sent_at=row.sent_at,
        slack_ts=row.slack_ts,
        in_doubt_since=row.in_doubt_since,
        channel=Channel(row.channel),
        handed=row.handed,
    )
