"""Block Kit builders for every notification the outbox delivers.

Pure: each ``build_*`` takes already-loaded facts about the booking and returns the
message's fallback text and blocks; none calls Slack, opens a session or reads the clock.
Times are written with Slack's date token (``<!date^…>``), which every reader sees in their
own Slack time zone; the fallback in the token (for old clients) and in notification
previews uses the zone in ``BookingFacts.timezone``.

This module imports nothing of the app but ``bot.ids`` and ``bot.blocks.common``, so
``bot.blocks.outbox`` (and the worker) can render with it without pulling Bolt or the handlers in.
Text a guest or a manager typed (a guest's name, a reason) is shown as typed, never
formatted: see ``bot.blocks.common.typed_text``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
)

from bot.blocks.common import (
    MessageContent,
    date_token,
    local,
    mrkdwn_escape,
    section,
    typed_line,
)
from bot.ids import CANCEL_BOOKING, NO_SHOW_BOOKING, REASSIGN_BOOKING, RESCHEDULE_BOOKING

MAX_FALLBACK_TEXT = 4000


@dataclass(frozen=True, slots=True)
class Person:
    """Someone or something in a booking: a Slack user is mentioned, anything else named.

    A page's name comes from the setup; a guest customer's name was typed by the guest, so
    messages never put it in their sentences (they say "a guest") but on a line of its own
    as typed text (``bot.blocks.common.typed_text``).
    """

    name: str
    slack_user: str | None = None

    @property
    def mention(self) -> str:
        return f"<@{self.slack_user}>" if self.slack_user else mrkdwn_escape(self.name)


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
    no_show: bool = False
    location: str | None = None


def when(start: datetime, end: datetime, timezone: str) -> str:
    """Return the time of a meeting as a Slack date token with a fallback in ``timezone``."""
    begin, finish = local(start, timezone), local(end, timezone)
    return date_token(start, f"{begin:%a %d %b %Y %H:%M}–{finish:%H:%M} {begin.tzname()}")


def duration_text(span: timedelta) -> str:
    """Return ``1 day``, ``2 hours``, ``15 minutes`` or a mix like ``1 hour 30 minutes``."""
    minutes = int(span.total_seconds()) // 60
    parts = []
    for unit, size in (("day", 1440), ("hour", 60), ("minute", 1)):
        count, minutes = divmod(minutes, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts) or "0 minutes"


def build_booked(
    facts: BookingFacts, *, as_customer: bool, reschedule: bool = False
) -> MessageContent:
    """Confirm a booking to its customer, or tell a host or participant about it.

    ``reschedule`` adds a Reschedule button (for a reader who may move the booking).
    """
    title = mrkdwn_escape(facts.event_type)
    if as_customer:
        headline = f":white_check_mark: You're booked: *{title}* with {facts.owner.mention}"
    else:
        headline = f":calendar: New booking: *{title}* with {_customer(facts)}"
    return _reschedulable(_message(headline, facts), facts, reschedule)


def build_rescheduled(
    facts: BookingFacts,
    *,
    was_start: datetime,
    was_end: datetime,
    still_in: bool,
    reschedule: bool = False,
) -> MessageContent:
    """Tell someone a booking moved to another time; ``still_in`` False: they left it."""
    was = when(was_start, was_end, facts.timezone)
    title = mrkdwn_escape(facts.event_type)
    if still_in:
        headline = f":arrows_counterclockwise: Rescheduled: *{title}* moved from {was}"
    else:
        headline = (
            f":arrows_counterclockwise: *{title}* with {_customer(facts)} moved from {was} "
            f"to a time you are not free; it is now with {facts.owner.mention}. "
            "You will get no more reminders for it."
        )
    return _reschedulable(_message(headline, facts), facts, reschedule and still_in)


def build_manager_notice(
    facts: BookingFacts, *, pool: str, started: bool = False
) -> MessageContent:
    """Tell a pool's managers who got a booking, with Reassign and Cancel buttons.

    Once the meeting has ``started`` a No-show button joins them; a booking marked a no-show
    says so and has no buttons.
    """
    title = mrkdwn_escape(facts.event_type)
    headline = (
        f":inbox_tray: *{mrkdwn_escape(pool)}*: {facts.owner.mention} got *{title}* "
        f"with {_customer(facts)}"
    )
    if facts.no_show:
        headline += " · marked a no-show"
    message = _message(headline, facts)
    if facts.cancelled or facts.no_show:
        return message
    no_show = ButtonElement(
        text=PlainTextObject(text="No-show"),
        action_id=NO_SHOW_BOOKING,
        value=facts.booking_id,
        confirm=ConfirmObject(
            title="Mark a no-show?",
            text="The customer did not come. It counts as removed for the pool.",
            confirm="Mark no-show",
            deny="Back",
        ),
    )
    buttons = ActionsBlock(
        block_id=f"notice:{facts.booking_id}",
        elements=[
            *([no_show] if started else []),
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
    return MessageContent(message.text, (*message.blocks, buttons))


def build_reminder(
    facts: BookingFacts, *, before: timedelta, reschedule: bool = False
) -> MessageContent:
    """Remind someone of a booking that starts in ``before`` (with Reschedule if they may)."""
    title = mrkdwn_escape(facts.event_type)
    headline = f":alarm_clock: Reminder: *{title}* starts in {duration_text(before)}"
    return _reschedulable(_message(headline, facts), facts, reschedule)


def build_reassigned_away(facts: BookingFacts, *, to: Person, reason: str | None) -> MessageContent:
    """Tell the old host that a booking now belongs to someone else."""
    headline = (
        f":arrow_right: *{mrkdwn_escape(facts.event_type)}* with {_customer(facts)} was reassigned "
        f"from you to {to.mention}. You will get no more reminders for it."
    )
    return _message(headline, facts, reason=reason)


def build_reassigned_to(
    facts: BookingFacts, *, from_: Person, reason: str | None
) -> MessageContent:
    """Tell the new host that a booking is now theirs."""
    headline = (
        f":arrow_left: *{mrkdwn_escape(facts.event_type)}* with {_customer(facts)} was reassigned "
        f"to you from {from_.mention}."
    )
    return _message(headline, facts, reason=reason)


def build_reassigned_customer(facts: BookingFacts, *, reason: str) -> MessageContent:
    """Tell the customer who hosts their booking now, and why."""
    headline = (
        f":twisted_rightwards_arrows: Your *{mrkdwn_escape(facts.event_type)}* is now with "
        f"{facts.owner.mention}. The time stays the same."
    )
    return _message(headline, facts, reason=reason)


def build_cancelled(facts: BookingFacts, *, by: Person | None) -> MessageContent:
    """Tell someone that a booking was cancelled."""
    who = f" by {by.mention}" if by is not None else ""
    headline = f":x: Cancelled{who}: *{mrkdwn_escape(facts.event_type)}* with {_customer(facts)}"
    return _message(headline, facts)


def build_calendar_failing(
    *, pages: Sequence[str], shown_url: str, error: str, since: datetime
) -> MessageContent:
    """Tell a page's member (or the admins) that a calendar has failed to sync for a day."""
    names = mrkdwn_escape(", ".join(pages) or "a booking page")
    headline = (
        f":warning: A calendar of {names} has not synced "
        f"since {date_token(since, f'{since:%Y-%m-%d %H:%M} UTC')}"
    )
    details = (
        f"*Calendar:* {mrkdwn_escape(shown_url)}\n*Last error:* {mrkdwn_escape(error)}\n"
        "Its last known busy times still count. Check the address or password on the "
        "Roundtable App Home, or connect it again."
    )
    blocks: list[Block] = [
        section(headline),
        section(details),
    ]
    text = f"A calendar has not synced since {since:%Y-%m-%d %H:%M} UTC: {error}"
    return MessageContent(text[:MAX_FALLBACK_TEXT], tuple(blocks))


def _reschedulable(
    message: MessageContent, facts: BookingFacts, reschedule: bool
) -> MessageContent:
    """Add the Reschedule button to ``message`` when ``reschedule``."""
    if not reschedule:
        return message
    buttons = ActionsBlock(
        block_id=f"booking:{facts.booking_id}",
        elements=[
            ButtonElement(
                text=PlainTextObject(text="Reschedule"),
                action_id=RESCHEDULE_BOOKING,
                value=facts.booking_id,
            )
        ],
    )
    return MessageContent(message.text, (*message.blocks, buttons))


def _customer(facts: BookingFacts) -> str:
    customer = facts.customer
    return customer.mention if customer is not None and customer.slack_user else "a guest"


def _message(headline: str, facts: BookingFacts, *, reason: str | None = None) -> MessageContent:
    moment = when(facts.start, facts.end, facts.timezone)
    blocks: list[Block] = [section(headline)]
    details = [f"*When:* {moment}"]
    if facts.location:
        details.append(f"*Where:* {mrkdwn_escape(facts.location)}")
    details.append(f"*Host:* {facts.owner.mention}")
    if facts.participants:
        details.append(f"*With:* {_names(facts.participants)}")
    if facts.customer is not None and facts.customer.slack_user:
        details.append(f"*Booked by:* {facts.customer.mention}")
    blocks.append(section("\n".join(details)))
    if facts.customer is not None and not facts.customer.slack_user:
        blocks.append(typed_line("Booked by", facts.customer.name))
    if reason:
        blocks.append(typed_line("Reason", reason))
    blocks.append(
        ContextBlock(
            elements=[MarkdownTextObject(text=f"Booking `{facts.booking_id[:8]}` · Roundtable")]
        )
    )
    text = f"{headline} — {moment}"
    return MessageContent(text[:MAX_FALLBACK_TEXT], tuple(blocks))


def _names(people: Sequence[Person]) -> str:
    return ", ".join(person.mention for person in people)
