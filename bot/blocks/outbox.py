"""An outbox row as a Slack message: what it says, from its booking as it is when sent.

``render`` picks the builder of ``bot.blocks.notifications`` by the row's kind and hands it
``booking_facts`` (names of pages and event types, the customer) read from the workspace's
configuration; the reassign dialog shows the same facts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.blocks.common import MessageContent
from bot.blocks.notifications import (
    BookingFacts,
    Person,
    build_booked,
    build_calendar_failing,
    build_cancelled,
    build_manager_notice,
    build_reassigned_away,
    build_reassigned_customer,
    build_reassigned_to,
    build_reminder,
    build_rescheduled,
)
from engine.model import BookingStatus, PageKind, WorkspaceConfig
from engine.records import Booking, OutboxMessage
from services.notifications import Kind, Part, people


def render(
    message: OutboxMessage, booking: Booking, cfg: WorkspaceConfig, now: datetime
) -> MessageContent:
    """Render an outbox row from its booking as it is at ``now``.

    A reminder says how long until the start as of ``now`` (whole minutes, rounded up), so a
    reminder sent late after downtime does not say "in 15 minutes" five minutes before.

    Raises:
        ValueError: the row's kind is unknown (a newer version queued it).
    """
    facts = booking_facts(booking, cfg)
    payload = message.payload

    def person(page_id: str | None) -> Person:
        page = cfg.pages.get(page_id or "")
        if page is None:
            return Person(page_id or "someone")
        return Person(page.name, page.slack_user if page.kind is PageKind.MEMBER else None)

    kind = Kind(message.kind)
    # Reschedule is drawn for whoever may use it: the customer, the owner and admins.
    movable = (
        booking.status is BookingStatus.CONFIRMED
        and booking.start > now
        and (
            payload.get("part") in (Part.CUSTOMER, Part.OWNER)
            or message.recipient in cfg.workspace.admins
        )
    )
    if kind is Kind.BOOKED:
        customer = payload.get("part") == Part.CUSTOMER
        return build_booked(facts, as_customer=customer, reschedule=movable)
    if kind in (Kind.MANAGER_NOTICE, Kind.NOTICE_STARTED):
        pool = cfg.pools.get(payload.get("pool") or "")
        name = "Pool" if pool is None else pool.name
        return build_manager_notice(facts, pool=name, started=booking.start <= now)
    if kind is Kind.REMINDER:
        minutes = -(-(booking.start - now) // timedelta(minutes=1))
        return build_reminder(facts, before=timedelta(minutes=max(minutes, 0)), reschedule=movable)
    if kind is Kind.RESCHEDULED:
        return build_rescheduled(
            facts,
            was_start=datetime.fromisoformat(payload["from_start"]),
            was_end=datetime.fromisoformat(payload["from_end"]),
            still_in=message.recipient in {r.slack_id for r in people(cfg, booking)}
            or payload.get("part") == Part.MANAGER,
            reschedule=movable,
        )
    reason = payload.get("reason")
    if kind is Kind.REASSIGNED_AWAY:
        return build_reassigned_away(facts, to=person(payload.get("to_page")), reason=reason)
    if kind is Kind.REASSIGNED_TO:
        return build_reassigned_to(facts, from_=person(payload.get("from_page")), reason=reason)
    if kind is Kind.REASSIGNED_CUSTOMER:
        return build_reassigned_customer(facts, reason=reason or "")
    by = booking.cancelled_by
    return build_cancelled(facts, by=Person(by, by) if by else None)


def render_calendar_failing(message: OutboxMessage) -> MessageContent:
    """Render the notice that a calendar connection has failed for a day (no booking)."""
    payload = message.payload
    return build_calendar_failing(
        pages=[str(name) for name in payload.get("pages", [])],
        shown_url=str(payload.get("shown_url", "")),
        error=str(payload.get("error", "")),
        since=datetime.fromisoformat(str(payload["since"])),
    )


def booking_facts(booking: Booking, cfg: WorkspaceConfig) -> BookingFacts:
    """Return what notifications say about a booking, from the workspace's configuration."""
    kind = cfg.event_types.get(booking.event_type)

    def person(page_id: str) -> Person:
        page = cfg.pages.get(page_id)
        if page is None:
            return Person(page_id)
        return Person(page.name, page.slack_user if page.kind is PageKind.MEMBER else None)

    if booking.customer_slack_user:
        customer: Person | None = Person(
            booking.customer_name or booking.customer_slack_user, booking.customer_slack_user
        )
    elif booking.customer_name:
        customer = Person(booking.customer_name)
    else:
        customer = None
    return BookingFacts(
        booking_id=booking.id,
        event_type=(None if kind is None else kind.name) or booking.event_type,
        start=booking.start,
        end=booking.end,
        owner=person(booking.owner),
        participants=tuple(person(p.page) for p in booking.participants if p.page != booking.owner),
        customer=customer,
        timezone=cfg.workspace.timezone,
        cancelled=booking.status is BookingStatus.CANCELLED,
        no_show=booking.status is BookingStatus.NO_SHOW,
        location=booking.location,
    )
