"""The App Home: each managed pool's distribution, calendars, my upcoming bookings, failed notices.

``build_home`` takes a loaded ``services.admin.HomeOverview`` and the viewer's time zone.
A Home holds at most 100 blocks. The distribution shows a page of pools at a time, as many
as fit in ``DISTRIBUTION_BLOCKS`` (at least one), with "Previous pools" and "Next pools"
buttons that carry the index of the page's first pool, so every pool can be reached however
many there are. Past 100 blocks anyway (say, a long list of bookings), the last block says
how many were left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.common import (
    MAX_SECTION_TEXT,
    MAX_VIEW_BLOCKS,
    METHOD_LABELS,
    NOT_SET_UP,
    SET_UP_FIRST,
    chunks,
    clip,
    context,
    format_moment,
    format_slot,
    local,
    mrkdwn_escape,
    plain,
    section,
)
from bot.blocks.timeoff import build_time_off_section
from engine.distribution import PoolReport
from engine.model import Page, Pool
from engine.records import Booking, Channel
from services.admin import HomeOverview
from services.notifications import FailedNotification

BAR_WIDTH = 20
MEMBERS_PER_SECTION = 25
DISTRIBUTION_BLOCKS = 48
"""The blocks a page of pools may take (about half a Home): a pool takes three blocks and
one more per ``MEMBERS_PER_SECTION`` members."""
MAX_FAILED_SHOWN = 10
NO_GUEST_EMAIL = (
    "Guests get no email: their confirmation is shown only on the booking page. Set "
    "`SMTP_URL` and `MAIL_FROM` to email them confirmations, reminders and notices."
)
_FULL, _EMPTY = "█", "░"


def build_home(
    overview: HomeOverview,
    *,
    tz: str,
    notice: str | None = None,
    calendars: Sequence[Block] = (),
    pools_from: int = 0,
) -> View:
    """The Home tab of one user; times are in ``tz``, the viewer's zone.

    ``calendars`` are the blocks of the viewer's calendars (``bot.blocks.calendars``);
    ``pools_from`` the index of a pool whose page of the distribution to show.
    """
    blocks: list[Block] = [HeaderBlock(text=plain("Roundtable", 150))]
    if notice:
        blocks.append(section(notice))
    if overview.admin:
        blocks.append(section("You are an admin of this workspace."))
        if not overview.pages:
            blocks.append(section(SET_UP_FIRST))
        blocks.append(
            ActionsBlock(
                block_id=ids.ADMIN_OPEN_MENU,
                elements=[
                    ButtonElement(
                        text=plain("Open setup"), action_id=ids.ADMIN_OPEN_MENU, value="menu"
                    )
                ],
            )
        )
        if not overview.guest_email:
            blocks.append(context(NO_GUEST_EMAIL))
    elif not overview.pages:
        blocks.append(section(NOT_SET_UP))
    if overview.failed:
        blocks.append(HeaderBlock(text=plain("Notifications that could not be delivered", 150)))
        blocks.append(section(failed_text(overview.failed, tz=tz)))
    if overview.reports:
        blocks.append(HeaderBlock(text=plain("Distribution this cycle", 150)))
        blocks += build_pool_page(overview, pools_from, tz=tz)
    blocks += calendars
    blocks.append(HeaderBlock(text=plain("Your upcoming bookings", 150)))
    if overview.bookings:
        blocks += [
            build_booking_row(booking, index, overview, tz=tz)
            for index, booking in enumerate(overview.bookings)
        ]
    else:
        blocks.append(context("Nothing booked. Use `/book-room` to book a meeting or a room."))
    if overview.kept_pages:
        several = len(overview.kept_pages) > 1
        blocks += build_time_off_section(overview.time_off, overview.pages, several=several)
    return View(type="home", blocks=fit(blocks))


def build_pool_page(overview: HomeOverview, pools_from: int, *, tz: str) -> list[Block]:
    """The page of pools that holds the pool at ``pools_from``, and the buttons to the others."""
    drawn = [
        build_distribution(pool, report, overview.pages, tz=tz) for pool, report in overview.reports
    ]
    starts = pool_pages([len(blocks) for blocks in drawn])
    page = max(number for number, start in enumerate(starts) if start <= max(pools_from, 0))
    first = starts[page]
    last = starts[page + 1] if page + 1 < len(starts) else len(drawn)
    shown = [block for blocks in drawn[first:last] for block in blocks]
    if len(starts) == 1:
        return shown
    total = len(drawn)
    moves: list[ButtonElement] = []
    if page > 0:
        moves.append(_pools_button("◀ Previous pools", starts[page - 1], "prev"))
    if page + 1 < len(starts):
        moves.append(_pools_button("Next pools ▶", starts[page + 1], "next"))
    return [
        *shown,
        context(f"Pools {first + 1}–{last} of {total}"),
        ActionsBlock(block_id=ids.HOME_POOLS, elements=moves),
    ]


def pool_pages(sizes: Sequence[int], budget: int = DISTRIBUTION_BLOCKS) -> list[int]:
    """Split pools of ``sizes`` blocks into pages of at most ``budget`` blocks (at least one
    pool each); return the index of each page's first pool."""
    starts = [0]
    used = 0
    for index, size in enumerate(sizes):
        if used and used + size > budget:
            starts.append(index)
            used = 0
        used += size
    return starts


def _pools_button(text: str, first: int, direction: str) -> ButtonElement:
    return ButtonElement(text=plain(text), action_id=ids.HOME_POOLS + direction, value=str(first))


def build_distribution(
    pool: Pool, report: PoolReport, pages: Mapping[str, Page], *, tz: str
) -> list[Block]:
    """One pool's current cycle: a bar of received per member, with removed, net and average."""
    names = {key: page.name for key, page in pages.items()}
    if report.cycle_start is not None and report.cycle_end is not None:
        first = local(report.cycle_start, tz).date()
        last = local(report.cycle_end, tz).date()
        cycle = f"{first:%-d %b} – {last:%-d %b %Y}"
    else:
        cycle = "since the start"
    blocks: list[Block] = [
        DividerBlock(),
        section(
            f"*{mrkdwn_escape(pool.name)}* · {METHOD_LABELS[pool.method].lower()} · "
            f"{pool.cycle.value} cycle ({cycle})"
        ),
    ]
    if not report.members:
        blocks.append(context("No members yet."))
        return blocks
    top = max(max(row.received for row in report.members), 1)
    width = max(len(names.get(row.page, row.page)) for row in report.members)
    width = min(width, 24)
    lines = [
        f"{clip(names.get(row.page, row.page), width):<{width}} {bar(row.received, top)} "
        f"{row.received:>3} in {row.removed:>3} out {row.net:>4} net"
        + ("" if row.active else " (inactive)")
        for row in report.members
    ]
    for part in chunks(lines, MEMBERS_PER_SECTION):
        blocks.append(section(clip("```" + "\n".join(part) + "```", MAX_SECTION_TEXT)))
    blocks.append(context(f"Team average: {report.average:.1f} net per active member"))
    return blocks


def bar(value: int, top: int, width: int = BAR_WIDTH) -> str:
    """A text bar of ``width`` cells, ``value / top`` of them full (any value > 0 shows one)."""
    full = round(width * value / top) if top > 0 else 0
    full = max(full, 1) if value > 0 else 0
    full = min(full, width)
    return _FULL * full + _EMPTY * (width - full)


def build_booking_row(booking: Booking, index: int, overview: HomeOverview, *, tz: str) -> Block:
    """One upcoming booking with a Cancel button."""
    event_type = overview.event_types.get(booking.event_type)
    title = event_type.name if event_type else booking.event_type
    owner = overview.pages.get(booking.owner)
    host = owner.name if owner else booking.owner
    text = (
        f"*{mrkdwn_escape(title)}* with {mrkdwn_escape(host)}\n"
        f"{format_slot(booking.start, booking.end, tz)}"
    )
    return SectionBlock(
        block_id=f"{ids.HOME_BOOKING}{index}",
        text=clip(text, MAX_SECTION_TEXT),
        accessory=ButtonElement(
            text=plain("Cancel"),
            action_id=f"{ids.HOME_CANCEL}{index}",
            value=booking.id,
            style="danger",
            confirm=ConfirmObject(
                title="Cancel this booking?",
                text="Everyone in it is told.",
                confirm="Cancel booking",
                deny="Keep it",
            ),
        ),
    )


def failed_text(failed: Sequence[FailedNotification], *, tz: str) -> str:
    """List the notifications given up on, newest first, at most ``MAX_FAILED_SHOWN``."""
    lines = [
        f"• {item.kind.replace('_', ' ')} to {_recipient(item)} due "
        f"{format_moment(item.due_at, tz)}: "
        f"`{mrkdwn_escape(clip(item.error or 'unknown error', 100))}`"
        f" after {item.attempts} attempt{'s' if item.attempts != 1 else ''}"
        for item in failed[:MAX_FAILED_SHOWN]
    ]
    if len(failed) > MAX_FAILED_SHOWN:
        lines.append(f"…and {len(failed) - MAX_FAILED_SHOWN} more")
    return clip("\n".join(lines), MAX_SECTION_TEXT)


def fit(blocks: list[Block], limit: int = MAX_VIEW_BLOCKS) -> list[Block]:
    """Keep a view within ``limit`` blocks; the last one then says how many were left out."""
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    return [*kept, context(f"…and {len(blocks) - len(kept)} more not shown here.")]


def _recipient(item: FailedNotification) -> str:
    recipient = item.recipient
    if item.channel == Channel.CALDAV:
        return f"`{mrkdwn_escape(recipient)}`"  # a calendar, by its printable URL
    if item.channel != Channel.SLACK:
        return f"{item.channel} {mrkdwn_escape(recipient)}"
    return f"<#{recipient}>" if recipient[:1] in ("C", "G") else f"<@{recipient}>"
