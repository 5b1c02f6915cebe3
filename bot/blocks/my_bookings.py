"""The list of my bookings (``/book-room list``), and how one booking reads in a line.

The booking modal's confirmation (``bot.blocks.booking.build_booked_view``) writes its
booking the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
)

from bot import ids
from bot.blocks.common import (
    MAX_MESSAGE_BLOCKS,
    MessageContent,
    context,
    format_slot,
    mrkdwn_escape,
    plain,
    section,
)
from engine.records import Booking

# Each listed booking takes a section and a row of buttons.
MAX_LISTED_BOOKINGS = (MAX_MESSAGE_BLOCKS - 5) // 2


@dataclass(frozen=True, slots=True)
class Names:
    """Display names of a workspace's pages, event types and master pages, by id."""

    pages: Mapping[str, str]
    event_types: Mapping[str, str]
    master_pages: Mapping[str, str]

    def page(self, page_id: str) -> str:
        return self.pages.get(page_id, page_id)


def booking_line(booking: Booking, names: Names, tz: str) -> str:
    """A booking in one short paragraph: what, on which master page, when, where, with whom."""
    kind = names.event_types.get(booking.event_type, booking.event_type)
    master = names.master_pages.get(booking.master_page, booking.master_page)
    hosts = ", ".join(names.page(p.page) for p in booking.participants)
    where = f"\nat {mrkdwn_escape(booking.location)}" if booking.location else ""
    return (
        f"*{mrkdwn_escape(kind)}* · {mrkdwn_escape(master)}\n"
        f"{format_slot(booking.start, booking.end, tz)}{where}\nwith {mrkdwn_escape(hosts)}"
    )


def build_my_bookings_message(
    bookings: Sequence[Booking],
    names: Names,
    tz: str,
    *,
    notice: str | None = None,
    reschedulable: Collection[str] = (),
) -> MessageContent:
    """``/book-room list``: my upcoming bookings, soonest first, each with Cancel.

    Bookings in ``reschedulable`` (those the reader may move) also get Reschedule.
    """
    blocks: list[Block] = []
    if notice:
        blocks.append(section(notice, block_id="mine:notice"))
    if not bookings:
        blocks.append(section("You have no upcoming bookings. `/book-room` books one."))
        return MessageContent(text=notice or "You have no upcoming bookings.", blocks=tuple(blocks))
    blocks.append(section(f"*Your upcoming bookings* ({mrkdwn_escape(tz)})", block_id="mine:head"))
    for index, booking in enumerate(bookings[:MAX_LISTED_BOOKINGS]):
        blocks.append(
            section(booking_line(booking, names, tz), block_id=f"{ids.MY_BOOKING}{index}")
        )
        buttons: list[ButtonElement] = []
        if booking.id in reschedulable:
            buttons.append(
                ButtonElement(
                    text=plain("Reschedule"),
                    action_id=f"{ids.MY_RESCHEDULE}{index}",
                    value=booking.id,
                )
            )
        buttons.append(
            ButtonElement(
                text=plain("Cancel"),
                action_id=f"{ids.MY_CANCEL}{index}",
                value=booking.id,
                style="danger",
                confirm=ConfirmObject(
                    title=plain("Cancel this booking?", 100),
                    text=plain(format_slot(booking.start, booking.end, tz), 300),
                    confirm=plain("Cancel it", 30),
                    deny=plain("Keep it", 30),
                ),
            )
        )
        blocks.append(ActionsBlock(block_id=f"{ids.MY_ACTIONS}{index}", elements=buttons))
    hidden = len(bookings) - MAX_LISTED_BOOKINGS
    if hidden > 0:
        blocks.append(context(f"…and {hidden} more."))
    summary = f"You have {len(bookings)} upcoming booking{'s' if len(bookings) != 1 else ''}."
    return MessageContent(text=notice or summary, blocks=tuple(blocks))
