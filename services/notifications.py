"""Queue a booking's notifications and reminders in the caller's transaction.

The booking services call ``queue_booked``, ``queue_cancelled`` and ``queue_reassigned``
inside the unit of work that books, cancels or reassigns, so the outbox rows commit (or roll
back) with the booking. Nothing here commits and nothing talks to Slack: a row holds only
the kind, the recipient (a Slack user or channel id), the due time, the booking id, a
dedupe key and a small payload. The message itself is rendered at send time from the
booking as it is then (``services.delivery``), so a reminder after a reassignment names the
new host and a reminder of a cancelled booking is skipped.

Who is told what:

==========================  ==================================================================
kind                        recipients
==========================  ==================================================================
``booked``                  the customer (when a Slack user), the owner page's Slack user and
                            every member participant; resources have no Slack user
``manager_notice``          per pool a booking's seats came from: the pool's channel if set,
                            else a DM to each manager; carries Reassign and Cancel buttons
``notice_started``          due at the start, for each manager notice: redraws that notice
                            in place (``chat.update``) with its No-show button
``reminder``                customer, owner and member participants at each of the event
                            type's offsets before the start (default 24 h and 15 min); offsets
                            already past when queued are left out
``reassigned_away``         the old host (its pending messages of the booking are skipped)
``reassigned_to``           the new host, plus its reminders from now on
``reassigned_customer``     the customer, only when told to and a reason is given
``cancelled``               customer, owner, member participants and the manager notice's
                            recipients; every pending message of the booking is skipped first
``calendar_failing``        the Slack users of the pages a calendar connection serves (the
                            admins when it serves only rooms), once, when it has failed to
                            sync for a day (``services.calendar_sync``; no booking)
``rescheduled``             everyone in the booking before or after the move (a host whose
                            seat was refilled learns it is no longer in it) and the manager
                            notice's recipients; pending reminders are replaced by the new
                            start's
==========================  ==================================================================

Guests (customers without a Slack user) get no Slack messages. When email is set up
(``SMTP_URL`` and ``MAIL_FROM``, see ``email_enabled``) a guest's confirmation, reminders,
reassignment notice (when told), reschedule notice and cancellation are queued on the
``email`` channel too, addressed to the booking's customer email (the row's ``recipient``
only names it for people; the deliverer reads the address from the booking). Without it no
email is queued.

Each recipient gets one message per kind and booking even when it plays several parts
(a customer who also owns the page): the dedupe key names the booking, kind and recipient,
and ``OutboxRepository.add`` leaves out a key already queued, so calling a function twice
for the same change queues nothing new.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine

from engine.intervals import to_utc
from engine.model import EventType, Page, PageKind, Pool, WorkspaceConfig
from engine.records import Booking, Channel, OutboxMessage, Reassignment
from storage.uow import UnitOfWork

DEFAULT_REMINDERS = EventType("", "", timedelta(0)).reminders
"""The offsets of an event type that is gone from the configuration: 24 h and 15 min."""


class Kind(StrEnum):
    """What an outbox row announces; the dispatcher renders each kind its own way."""

    BOOKED = "booked"
    MANAGER_NOTICE = "manager_notice"
    REMINDER = "reminder"
    REASSIGNED_AWAY = "reassigned_away"
    REASSIGNED_TO = "reassigned_to"
    REASSIGNED_CUSTOMER = "reassigned_customer"
    CANCELLED = "cancelled"
    CALENDAR_FAILING = "calendar_failing"
    RESCHEDULED = "rescheduled"
    NOTICE_STARTED = "notice_started"


class Part(StrEnum):
    """Why a recipient is told: its part in the booking."""

    CUSTOMER = "customer"
    OWNER = "owner"
    PARTICIPANT = "participant"
    MANAGER = "manager"


@dataclass(frozen=True, slots=True)
class Recipient:
    """A Slack user or channel id (an email address on ``Channel.EMAIL``) and its part.

    ``page`` is the booking page it holds.
    """

    slack_id: str
    part: Part
    page: str | None = None
    channel: Channel = Channel.SLACK


def email_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """Tell whether guests get email: ``SMTP_URL`` and ``MAIL_FROM`` are both set."""
    env = os.environ if environ is None else environ
    return bool(env.get("SMTP_URL", "").strip() and env.get("MAIL_FROM", "").strip())


def guest(booking: Booking) -> Recipient | None:
    """Return the email recipient of a guest's booking: a customer without a Slack user."""
    if booking.customer_slack_user or not booking.customer_email:
        return None
    return Recipient(booking.customer_email, Part.CUSTOMER, channel=Channel.EMAIL)


def recipients(cfg: WorkspaceConfig, booking: Booking, channel: str) -> list[Recipient]:
    """Return who a booking concerns on ``channel``: ``people`` on Slack, the guest by email."""
    if channel == Channel.EMAIL:
        return [r for r in [guest(booking)] if r is not None]
    return people(cfg, booking)


def _emailed(booking: Booking) -> list[Recipient]:
    """The guest to email about ``booking`` now: none without email set up."""
    found = guest(booking)
    return [found] if found is not None and email_enabled() else []


def people(cfg: WorkspaceConfig, booking: Booking) -> list[Recipient]:
    """Return the Slack users a booking concerns: customer, owner, member participants.

    Each Slack user appears once, with its first part in that order; guests and resources
    (no Slack user) are left out.
    """
    pages = cfg.pages
    found: dict[str, Recipient] = {}
    if booking.customer_slack_user:
        found[booking.customer_slack_user] = Recipient(booking.customer_slack_user, Part.CUSTOMER)
    for participant in booking.participants:
        user = _slack_user(pages.get(participant.page))
        if user is not None and user not in found:
            part = Part.OWNER if participant.page == booking.owner else Part.PARTICIPANT
            found[user] = Recipient(user, part, participant.page)
    return list(found.values())


def managers(cfg: WorkspaceConfig, booking: Booking) -> list[tuple[str, Recipient]]:
    """Return (pool id, recipient) for the manager notices: a pool's channel, else its managers.

    One entry per pool the booking's seats came from, in seat order; a pool with neither a
    channel nor managers has nobody to tell.
    """
    found: list[tuple[str, Recipient]] = []
    seen: set[str] = set()
    for participant in booking.participants:
        pool = cfg.pools.get(participant.pool) if participant.pool else None
        if pool is None or pool.id in seen:
            continue
        seen.add(pool.id)
        found.extend((pool.id, recipient) for recipient in _pool_recipients(pool))
    return found


def queue_booked(
    uow: UnitOfWork,
    workspace_id: str,
    booking: Booking,
    now: datetime,
    *,
    known: WorkspaceConfig | None = None,
) -> None:
    """Queue a new booking's confirmations, manager notices and reminders.

    ``known`` is the configuration the caller loaded in this transaction (else it is loaded).

    Raises:
        NotFound: the workspace has no configuration.
    """
    cfg = uow.config.load(workspace_id) if known is None else known
    everyone = people(cfg, booking) + _emailed(booking)
    messages = [_message(Kind.BOOKED, r, booking, now, _part(r)) for r in everyone]
    messages += [
        _message(Kind.MANAGER_NOTICE, r, booking, now, {**_part(r), "pool": pool}, extra=pool)
        for pool, r in managers(cfg, booking)
    ]
    messages += _notices_started(cfg, booking, now)
    messages += _reminders(cfg.event_types.get(booking.event_type), booking, everyone, now)
    uow.outbox.add(workspace_id, messages)


def queue_cancelled(
    uow: UnitOfWork,
    workspace_id: str,
    booking: Booking,
    now: datetime,
    *,
    known: WorkspaceConfig | None = None,
) -> None:
    """Skip a cancelled booking's pending messages and queue the cancellation notices.

    ``booking`` is the booking as cancelled (its participants still name who held it);
    ``known`` as for ``queue_booked``.

    Raises:
        NotFound: the workspace has no configuration.
    """
    cfg = uow.config.load(workspace_id) if known is None else known
    uow.outbox.skip_pending(workspace_id, booking.id)
    told = people(cfg, booking) + [r for _, r in managers(cfg, booking)] + _emailed(booking)
    uow.outbox.add(
        workspace_id, [_message(Kind.CANCELLED, r, booking, now, _part(r)) for r in told]
    )


def queue_rescheduled(
    uow: UnitOfWork,
    workspace_id: str,
    before: Booking,
    after: Booking,
    now: datetime,
    *,
    known: WorkspaceConfig | None = None,
) -> None:
    """Tell everyone of a move to another time and replace the pending reminders.

    ``before`` and ``after`` are the booking as it was and as moved; the payload keeps the
    old time so the message can say what changed. The move's time tells its messages and
    new reminders apart from earlier rounds. ``known`` as for ``queue_booked``.

    Raises:
        NotFound: the workspace has no configuration.
    """
    cfg = uow.config.load(workspace_id) if known is None else known
    uow.outbox.skip_pending(
        workspace_id, before.id, kinds=(Kind.REMINDER.value, Kind.NOTICE_STARTED.value)
    )
    # Two moves at one instant (a fixed --now) still differ by their new start.
    generation = f"{after.start.isoformat()}@{now.isoformat()}"
    everyone = people(cfg, after) + _emailed(after)
    told = {r.slack_id for r in everyone}
    recipients = everyone + [r for r in people(cfg, before) if r.slack_id not in told]
    for _, manager in managers(cfg, after) + managers(cfg, before):
        if manager.slack_id not in told:
            told.add(manager.slack_id)
            recipients.append(manager)
    was = {"from_start": before.start.isoformat(), "from_end": before.end.isoformat()}
    messages = [
        _message(Kind.RESCHEDULED, r, after, now, {**_part(r), **was}, extra=generation, due=now)
        for r in recipients
    ]
    messages += _reminders(
        cfg.event_types.get(after.event_type), after, everyone, now, generation=generation
    )
    messages += _notices_started(cfg, after, now)
    uow.outbox.add(workspace_id, messages)


def queue_reassigned(
    uow: UnitOfWork,
    workspace_id: str,
    before: Booking,
    after: Booking,
    record: Reassignment,
    tell_customer: bool,
    now: datetime,
    *,
    known: WorkspaceConfig | None = None,
) -> None:
    """Tell the old and the new host of a reassignment and move the reminders to the new one.

    The old host's pending messages of this booking are skipped (unless it still has a part
    in the booking, say as the customer); the new host is told and gets the reminders still
    ahead. The customer is told only with ``tell_customer`` and a reason. ``known`` as for
    ``queue_booked``.

    Raises:
        NotFound: the workspace has no configuration.
    """
    cfg = uow.config.load(workspace_id) if known is None else known
    pages = cfg.pages
    still_involved = {r.slack_id for r in people(cfg, after)}
    moved = {"from_page": record.from_page, "to_page": record.to_page, "reason": record.reason}
    generation = record.at.isoformat()
    messages: list[OutboxMessage] = []

    old_user = _slack_user(pages.get(record.from_page))
    if old_user is not None:
        if old_user not in still_involved:
            uow.outbox.skip_pending(workspace_id, before.id, old_user)
        old = Recipient(old_user, _host_part(before, record.from_page), record.from_page)
        messages.append(
            _message(Kind.REASSIGNED_AWAY, old, after, now, moved, extra=generation, due=now)
        )

    new_user = _slack_user(pages.get(record.to_page))
    if new_user is not None:
        new = Recipient(new_user, _host_part(after, record.to_page), record.to_page)
        messages.append(
            _message(Kind.REASSIGNED_TO, new, after, now, moved, extra=generation, due=now)
        )
        if new_user not in {r.slack_id for r in people(cfg, before)}:
            messages += _reminders(
                cfg.event_types.get(after.event_type), after, [new], now, generation=generation
            )

    if tell_customer and record.reason:
        customers = _emailed(after)
        if after.customer_slack_user:
            customers.append(Recipient(after.customer_slack_user, Part.CUSTOMER))
        messages += [
            _message(Kind.REASSIGNED_CUSTOMER, customer, after, now, moved, extra=generation)
            for customer in customers
        ]
    uow.outbox.add(workspace_id, messages)


def _notices_started(cfg: WorkspaceConfig, booking: Booking, now: datetime) -> list[OutboxMessage]:
    """Return the rows that redraw the manager notices when the meeting starts (No-show).

    None when it has started already: a notice sent from now on shows No-show at once.
    """
    if booking.start <= now:
        return []
    # The start and the time queued tell a move's redraws from the earlier ones (also a move
    # back to an earlier start).
    moment = f"{booking.start.isoformat()}@{now.isoformat()}"
    return [
        _message(
            Kind.NOTICE_STARTED,
            r,
            booking,
            now,
            {**_part(r), "pool": pool},
            extra=f"{pool}@{moment}",
            due=booking.start,
        )
        for pool, r in managers(cfg, booking)
    ]


def _slack_user(page: Page | None) -> str | None:
    if page is None or page.kind is not PageKind.MEMBER:
        return None
    return page.slack_user or None


def _host_part(booking: Booking, page: str) -> Part:
    return Part.OWNER if booking.owner == page else Part.PARTICIPANT


def _pool_recipients(pool: Pool) -> list[Recipient]:
    if pool.channel:
        return [Recipient(pool.channel, Part.MANAGER)]
    return [Recipient(manager, Part.MANAGER) for manager in dict.fromkeys(pool.managers)]


def _reminders(
    event_type: EventType | None,
    booking: Booking,
    recipients: Iterable[Recipient],
    now: datetime,
    *,
    generation: str | None = None,
) -> list[OutboxMessage]:
    """Return the reminders still ahead of ``now``; ``generation`` tells re-queued ones apart.

    A reassignment back to an earlier host queues that host's reminders again: the
    generation (the reassignment's time) keeps their dedupe keys from colliding with the
    skipped ones of the first round.
    """
    offsets = DEFAULT_REMINDERS if event_type is None else event_type.reminders
    found: list[OutboxMessage] = []
    for offset in sorted(set(offsets), reverse=True):
        due = booking.start - offset
        if due <= now:
            continue
        minutes = int(offset.total_seconds()) // 60
        extra = str(minutes) if generation is None else f"{minutes}@{generation}"
        found += [
            _message(
                Kind.REMINDER,
                r,
                booking,
                now,
                {**_part(r), "offset_minutes": minutes},
                extra=extra,
                due=due,
            )
            for r in recipients
        ]
    return found


def _part(recipient: Recipient) -> dict[str, Any]:
    return {"part": recipient.part.value, "page": recipient.page}


def _message(
    kind: Kind,
    recipient: Recipient,
    booking: Booking,
    now: datetime,
    payload: Mapping[str, Any],
    *,
    extra: str | None = None,
    due: datetime | None = None,
) -> OutboxMessage:
    key = f"{kind.value}:{booking.id}:{recipient.slack_id}"
    if recipient.channel is not Channel.SLACK:
        key = f"{kind.value}:{booking.id}:{recipient.channel.value}:{recipient.slack_id}"
    return OutboxMessage(
        id=str(uuid.uuid4()),
        kind=kind.value,
        recipient=recipient.slack_id,
        due_at=now if due is None else due,
        dedupe_key=key if extra is None else f"{key}:{extra}",
        payload=dict(payload),
        booking_id=booking.id,
        channel=recipient.channel,
    )


@dataclass(frozen=True, slots=True)
class FailedNotification:
    """A notification given up on, for admins (App Home)."""

    id: str
    kind: str
    recipient: str
    booking_id: str | None
    due_at: datetime
    attempts: int
    error: str
    channel: str = Channel.SLACK.value


@dataclass(frozen=True, slots=True)
class Backlog:
    """The notifications of every workspace that are due and not delivered yet."""

    due: int
    oldest_due_at: datetime | None


def outbox_backlog(engine: Engine, *, now: datetime) -> Backlog:
    """Return how many notifications wait past their due time, and since when the oldest."""
    with UnitOfWork(engine) as uow:
        due, oldest = uow.outbox.due_backlog(now=now)
    return Backlog(due, None if oldest is None else to_utc(oldest))


def failed_notifications(engine: Engine, workspace_id: str) -> list[FailedNotification]:
    """Return the workspace's notifications that failed for good, newest due first.

    Calendar writes that failed for good are among them, their recipient the calendar's
    printable URL (never its secret part).

    Raises:
        NotFound: no such workspace.
    """
    with UnitOfWork(engine) as uow:
        failed = uow.outbox.failed(workspace_id)
        calendars = (
            {c.id: c.shown_url for c in uow.calendars.find(workspace_id)}
            if any(m.channel is Channel.CALDAV for m in failed)
            else {}
        )
    return [
        FailedNotification(
            m.id,
            m.kind,
            # A calendar write's recipient is a connection: named by its printable URL.
            calendars.get(m.recipient, "a disconnected calendar")
            if m.channel is Channel.CALDAV
            else m.recipient,
            m.booking_id,
            m.due_at,
            m.attempts,
            m.last_error or "",
            m.channel,
        )
        for m in failed
    ]
