"""Block Kit builders for every notification the outbox delivers (§9).

Pure: each ``build_*`` takes already-loaded facts about the booking and returns the
message's fallback text and blocks; none calls Slack, opens a session or reads the clock.
Times are written with Slack's date token (``<!date^…>``), which every reader sees in their
own Slack time zone; the fallback in the token (for old clients) and in notification
previews uses the zone in ``BookingFacts.timezone``.

This module imports nothing of the app but ``bot.ids``, so ``bot.dispatch`` (and the worker)
can render with it without pulling Bolt or the handlers in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.ids import CANCEL_BOOKING, REASSIGN_BOOKING

MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 2000
MAX_FALLBACK_TEXT = 4000


@dataclass(frozen=True, slots=True)
class Person:
    """Someone or something in a booking: a Slack user is mentioned, anything else named."""

    name: str
    slack_user: str | None = None

    @property
    def mention(self) -> str:
        return f"<@{self.slack_user}>" if self.slack_user else escape(self.name)


@dataclass(frozen=True, slots=True)
class BookingFacts:
    """What a notification says about a booking, loaded when the message is sent."""

    booking_id: str
    event_type: str
    start: datetime
    end: datetime
    owner: Person
    participants: tuple[Person, ...] = ()
    customer: Person | None = None
    timezone: str = "UTC"
    cancelled: bool = False
    location: str | None = None


@dataclass(frozen=True, slots=True)
class NotificationMessage:
    """A message's fallback text and blocks."""

    text: str
    blocks: tuple[Block, ...]

    def as_kwargs(self) -> dict[str, Any]:
        """Return ``text`` and ``blocks`` as ``chat.postMessage`` arguments."""
        return {"text": self.text, "blocks": [block.to_dict() for block in self.blocks]}


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def when(start: datetime, end: datetime, timezone: str) -> str:
    """Return the time of a meeting as a Slack date token with a fallback in ``timezone``."""
    local = start.astimezone(ZoneInfo(timezone))
    local_end = end.astimezone(ZoneInfo(timezone))
    fallback = f"{local:%a %d %b %Y %H:%M}–{local_end:%H:%M} {local.tzname()}"
    return f"<!date^{int(start.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def duration_text(span: timedelta) -> str:
    """Return ``1 day``, ``2 hours``, ``15 minutes`` or a mix like ``1 hour 30 minutes``."""
    minutes = int(span.total_seconds()) // 60
    parts = []
    for unit, size in (("day", 1440), ("hour", 60), ("minute", 1)):
        count, minutes = divmod(minutes, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts) or "0 minutes"


def build_booked(facts: BookingFacts, *, as_customer: bool) -> NotificationMessage:
    """Confirm a booking to its customer, or tell a host or participant about it."""
    title = escape(facts.event_type)
    if as_customer:
        headline = f":white_check_mark: You're booked: *{title}* with {facts.owner.mention}"
    else:
        headline = f":calendar: New booking: *{title}* with {_customer(facts)}"
    return _message(headline, facts)


def build_manager_notice(facts: BookingFacts, *, pool: str) -> NotificationMessage:
    """Tell a pool's managers who got a booking, with Reassign and Cancel buttons."""
    headline = (
        f":inbox_tray: *{escape(pool)}*: {facts.owner.mention} got *{escape(facts.event_type)}* "
        f"with {_customer(facts)}"
    )
    message = _message(headline, facts)
    if facts.cancelled:
        return message
    buttons = ActionsBlock(
        block_id=f"notice:{facts.booking_id}",
        elements=[
            ButtonElement(
                text=PlainTextObject(text="Reassign"),
                action_id=REASSIGN_BOOKING,
                value=facts.booking_id,
                style="primary",
            ),
            ButtonElement(
                text=PlainTextObject(text="Cancel booking"),
                action_id=CANCEL_BOOKING,
                value=facts.booking_id,
                style="danger",
                confirm=ConfirmObject(
                    title="Cancel this booking?",
                    text="Everyone in it is told.",
                    confirm="Cancel booking",
                    deny="Keep it",
                ),
            ),
        ],
    )
    return NotificationMessage(message.text, (*message.blocks, buttons))


def build_reminder(facts: BookingFacts, *, before: timedelta) -> NotificationMessage:
    """Remind someone of a booking that starts in ``before``."""
    headline = (
        f":alarm_clock: Reminder: *{escape(facts.event_type)}* starts in {duration_text(before)}"
    )
    return _message(headline, facts)


def build_reassigned_away(
    facts: BookingFacts, *, to: Person, reason: str | None
) -> NotificationMessage:
    """Tell the old host that a booking now belongs to someone else."""
    headline = (
        f":arrow_right: *{escape(facts.event_type)}* with {_customer(facts)} was reassigned "
        f"from you to {to.mention}. You will get no more reminders for it."
    )
    return _message(headline, facts, reason=reason)


def build_reassigned_to(
    facts: BookingFacts, *, from_: Person, reason: str | None
) -> NotificationMessage:
    """Tell the new host that a booking is now theirs."""
    headline = (
        f":arrow_left: *{escape(facts.event_type)}* with {_customer(facts)} was reassigned "
        f"to you from {from_.mention}."
    )
    return _message(headline, facts, reason=reason)


def build_reassigned_customer(facts: BookingFacts, *, reason: str) -> NotificationMessage:
    """Tell the customer who hosts their booking now, and why."""
    headline = (
        f":twisted_rightwards_arrows: Your *{escape(facts.event_type)}* is now with "
        f"{facts.owner.mention}. The time stays the same."
    )
    return _message(headline, facts, reason=reason)


def build_cancelled(facts: BookingFacts, *, by: Person | None) -> NotificationMessage:
    """Tell someone that a booking was cancelled."""
    who = f" by {by.mention}" if by is not None else ""
    headline = f":x: Cancelled{who}: *{escape(facts.event_type)}* with {_customer(facts)}"
    return _message(headline, facts)


def _customer(facts: BookingFacts) -> str:
    return facts.customer.mention if facts.customer is not None else "a guest"


def _message(
    headline: str, facts: BookingFacts, *, reason: str | None = None
) -> NotificationMessage:
    moment = when(facts.start, facts.end, facts.timezone)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=_clip(headline)))]
    details = [f"*When:* {moment}"]
    if facts.location:
        details.append(f"*Where:* {escape(facts.location)}")
    details.append(f"*Host:* {facts.owner.mention}")
    if facts.participants:
        details.append(f"*With:* {_names(facts.participants)}")
    if facts.customer is not None:
        details.append(f"*Booked by:* {facts.customer.mention}")
    if reason:
        details.append(f"*Reason:* {escape(reason)}")
    blocks.append(SectionBlock(text=MarkdownTextObject(text=_clip("\n".join(details)))))
    blocks.append(
        ContextBlock(
            elements=[MarkdownTextObject(text=f"Booking `{facts.booking_id[:8]}` · Roundtable")]
        )
    )
    text = f"{headline} — {moment}"
    return NotificationMessage(text[:MAX_FALLBACK_TEXT], tuple(blocks))


def _names(people: Sequence[Person]) -> str:
    return ", ".join(person.mention for person in people)


def _clip(text: str, limit: int = MAX_SECTION_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
