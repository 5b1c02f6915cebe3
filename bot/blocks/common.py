"""What every Block Kit builder shares: Slack's limits, text helpers, times in a zone.

Builders take loaded data and an explicit time zone and return ``slack_sdk.models`` objects
(a ``View``, or a ``MessageContent`` of blocks and fallback text); they never call Slack,
open a session or read the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from engine.model import Cycle, MasterMode, Method, StaticMethod

# Slack's limits (Block Kit reference): what a builder may never exceed.
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_BLOCKS = 50
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_OPTION_TEXT = 75
MAX_OPTIONS = 100
MAX_TITLE = 24
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 2000

NOT_SET_UP = (
    "Roundtable isn't set up in this workspace yet. A workspace admin sets it up with "
    "`/book-admin`."
)
SET_UP_FIRST = (
    "Nothing is set up yet. *Open setup* adds the people and rooms that can be booked, "
    "event types, pools and master pages."
)
SOMETHING_WENT_WRONG = "Sorry, something went wrong on our side. Please try again in a moment."

# The words for the setup's values.
METHOD_LABELS = {
    Method.ROUND_ROBIN: "Round robin",
    Method.POOLED: "Pooled availability",
    Method.POOLED_PRIORITY: "Pooled availability with priority",
}
STATIC_METHOD_LABELS = {
    StaticMethod.POOLED: METHOD_LABELS[Method.POOLED],
    StaticMethod.POOLED_PRIORITY: METHOD_LABELS[Method.POOLED_PRIORITY],
    StaticMethod.FIND_MEMBER_BY_TIME: "Customer picks a time, then a page",
}
CYCLE_LABELS = {
    Cycle.WEEKLY: "Weekly (Monday)",
    Cycle.MONTHLY: "Monthly (1st)",
    Cycle.QUARTERLY: "Quarterly",
    Cycle.CONTINUOUS: "Continuous (never resets)",
}
MODE_LABELS = {
    MasterMode.DYNAMIC: "Dynamic rules",
    MasterMode.STATIC: "Static rules",
    MasterMode.PAGES_FIRST: "Customer picks a page first",
    MasterMode.EVENT_TYPES_FIRST: "Customer picks an event type first",
}


@dataclass(frozen=True, slots=True)
class MessageContent:
    """A message's blocks and its fallback text (notifications and screen readers use it)."""

    text: str
    blocks: tuple[Block, ...]

    def as_kwargs(self) -> dict[str, Any]:
        """Return ``text`` and ``blocks`` as Web API (or ``respond``) arguments."""
        return {"text": self.text, "blocks": [block.to_dict() for block in self.blocks]}


def clip(text: str, limit: int) -> str:
    """Shorten ``text`` to ``limit`` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plain(text: str, limit: int = MAX_BUTTON_TEXT) -> PlainTextObject:
    return PlainTextObject(text=clip(text, limit), emoji=True)


def mrkdwn_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves (for names from the setup)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def typed_text(text: str, limit: int = MAX_CONTEXT_TEXT) -> PlainTextObject:
    """Text someone typed (a guest's name, a reason), to show exactly as typed.

    Every builder shows such text through this and never inside ``mrkdwn``, where escaping
    ``&``, ``<`` and ``>`` is not enough: ``*bold*``, ``_italics_``, ``:emoji:`` codes and
    bare URLs would still be formatted or linked. A ``plain_text`` object with ``emoji`` off
    is none of that, and its whitespace is joined into single spaces, so typed line breaks
    cannot add lines. Put it in a context block (``typed_line``) or a field of its own.
    """
    return PlainTextObject(text=clip(" ".join(text.split()), limit) or "-", emoji=False)


def typed_line(label: str, text: str) -> ContextBlock:
    """A line ``label: text`` whose text someone typed (see ``typed_text``)."""
    return ContextBlock(elements=[MarkdownTextObject(text=f"*{label}:*"), typed_text(text)])


def section(text: str, *, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(text=clip(text, MAX_SECTION_TEXT)), block_id=block_id
    )


def context(text: str, *, block_id: str | None = None) -> ContextBlock:
    return ContextBlock(
        elements=[MarkdownTextObject(text=clip(text, MAX_CONTEXT_TEXT))], block_id=block_id
    )


def local(moment: datetime, tz: str) -> datetime:
    """Return ``moment`` in the zone ``tz``."""
    return moment.astimezone(ZoneInfo(tz))


def format_time(moment: datetime, tz: str) -> str:
    """``09:30`` in ``tz``."""
    return local(moment, tz).strftime("%H:%M")


def format_day(day: date) -> str:
    """``Tue 3 Mar 2026``."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def format_moment(moment: datetime, tz: str) -> str:
    """``3 Mar 09:30`` in ``tz``: a recent or coming moment, in a list."""
    return f"{local(moment, tz):%-d %b %H:%M}"


def date_token(moment: datetime, fallback: str) -> str:
    """Slack's date token: ``moment`` as each reader's Slack shows dates, else ``fallback``."""
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def format_slot(start: datetime, end: datetime, tz: str) -> str:
    """``Tue 3 Mar 2026, 09:30–10:00 (Europe/London)``; a slot past midnight names both days."""
    begin, finish = local(start, tz), local(end, tz)
    if begin.date() == finish.date() or (finish.hour, finish.minute) == (0, 0):
        span = f"{begin:%H:%M}–{finish:%H:%M}"
    else:
        span = f"{begin:%H:%M}–{format_day(finish.date())} {finish:%H:%M}"
    return f"{format_day(begin.date())}, {span} ({tz})"


def build_notice_message(text: str) -> MessageContent:
    """A message of one section of text."""
    return MessageContent(text=clip(text, MAX_SECTION_TEXT), blocks=(section(text),))


def build_notice_view(title: str, text: str, *, callback_id: str | None = None) -> View:
    """A modal that only tells something, with a Close button."""
    return View(
        type="modal",
        callback_id=callback_id,
        title=plain(title, MAX_TITLE),
        close=plain("Close", MAX_TITLE),
        blocks=[section(text)],
    )


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """Split ``items`` into runs of at most ``size``."""
    return [items[index : index + size] for index in range(0, len(items), size)]
