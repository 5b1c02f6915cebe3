"""/book-link: the command's parser, the guest's DM and what the requester is told."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InputBlock,
    Option,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.common import (
    MAX_OPTION_TEXT,
    MAX_OPTIONS,
    MAX_TITLE,
    MessageContent,
    context,
    format_day,
    local,
    mrkdwn_escape,
    plain,
    section,
)
from services.slots import LinkMembers

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


@dataclass(frozen=True, slots=True)
class LinkAsked:
    """What the member modal of ``/book-link`` carries: the guest and the master page."""

    guest: str
    master_page: str
    master_page_name: str


def build_link_member_modal(asked: LinkAsked, members: LinkMembers) -> View:
    """Whom the link books, for a master page with a flexible round robin.

    The select starts at the member next in line; another choice books that member.
    """
    options = [
        Option(value=choice.id, text=plain(choice.name, MAX_OPTION_TEXT))
        for choice in members.choices[:MAX_OPTIONS]
    ]
    initial = next((o for o in options if o.value == members.next_in_line), options[0])
    what = mrkdwn_escape(asked.master_page_name)
    return View(
        type="modal",
        callback_id=ids.LINK_MEMBER_VIEW,
        title=plain("Booking link", MAX_TITLE),
        submit=plain("Send link", MAX_TITLE),
        close=plain("Cancel", MAX_TITLE),
        private_metadata=json.dumps(asdict(asked), separators=(",", ":")),
        blocks=[
            section(f"A one-time link to *{what}* for <@{asked.guest}>."),
            InputBlock(
                block_id=ids.LINK_MEMBER,
                label=plain("Who meets the guest?", MAX_TITLE * 2),
                element=StaticSelectElement(
                    action_id=ids.LINK_MEMBER, options=options, initial_option=initial
                ),
                hint=plain("Next in line is chosen; pick someone else to book them instead.", 150),
            ),
        ],
    )


def parse_link_member(view: Mapping[str, Any]) -> tuple[LinkAsked, str | None]:
    """Read the member modal back: what it was for, and the member chosen."""
    asked = LinkAsked(**json.loads(view["private_metadata"]))
    chosen = view["state"]["values"].get(ids.LINK_MEMBER, {}).get(ids.LINK_MEMBER, {})
    return asked, (chosen.get("selected_option") or {}).get("value")
