"""/book-link: the command's parser, the guest's DM and what the requester is told."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement

from bot import ids
from bot.blocks.common import (
    MessageContent,
    context,
    format_day,
    local,
    mrkdwn_escape,
    plain,
    section,
)

USAGE = "Usage: `/book-link @guest [master page]`"
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True, slots=True)
class BookLinkCommand:
    """``/book-link @guest [master page]``."""

    guest: str
    master_page: str | None = None


def parse_book_link_command(text: str) -> BookLinkCommand:
    """Read the text after ``/book-link``; Slack escapes the mention as ``<@U123|name>``.

    Raises:
        ValueError: no guest is mentioned first.
    """
    words = text.split(maxsplit=1)
    found = _MENTION.match(words[0]) if words else None
    if found is None:
        raise ValueError(f"Mention the guest first. {USAGE}")
    rest = words[1].strip() if len(words) > 1 else ""
    return BookLinkCommand(guest=found.group(1), master_page=rest or None)


def _expiry(expires_at: datetime | None, tz: str) -> str:
    if expires_at is None:
        return "It does not expire."
    moment = local(expires_at, tz)
    return f"It expires on {format_day(moment.date())} at {moment:%H:%M} ({tz})."


def build_link_dm(
    *, inviter: str, master_page: str, url: str, token: str, expires_at: datetime | None, tz: str
) -> MessageContent:
    """The guest's DM: a button opening the booking modal, and the guest page's URL."""
    what = mrkdwn_escape(master_page)
    blocks: tuple[Block, ...] = (
        section(f"<@{inviter}> invited you to book *{what}*.", block_id="link:invite"),
        ActionsBlock(
            block_id="link:actions",
            elements=[
                ButtonElement(
                    text=plain("Book a time"), action_id=ids.LINK_OPEN, value=token, style="primary"
                )
            ],
        ),
        context(
            f"Or open <{url}|the booking page>. The link books once. {_expiry(expires_at, tz)}",
            block_id="link:url",
        ),
    )
    return MessageContent(text=f"You're invited to book {master_page}: {url}", blocks=blocks)


def build_link_sent_message(
    *, guest: str, master_page: str, url: str, expires_at: datetime | None, tz: str
) -> MessageContent:
    """What the requester sees: the DM went out, and the link itself."""
    text = (
        f"Sent <@{guest}> a one-time link to *{mrkdwn_escape(master_page)}*: {url}\n"
        f"{_expiry(expires_at, tz)}"
    )
    return MessageContent(text=f"Sent a one-time link to {master_page}.", blocks=(section(text),))


def build_choose_master_page_message(choices: Sequence[tuple[str, str]]) -> MessageContent:
    """``/book-link @guest`` without a master page, when several could be linked."""
    listed = "\n".join(f"• `{mrkdwn_escape(i)}` {mrkdwn_escape(name)}" for i, name in choices[:40])
    text = f"Which master page should the link open? {USAGE}\n{listed}"
    return MessageContent(text="Which master page should the link open?", blocks=(section(text),))
