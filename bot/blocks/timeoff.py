"""Time off in Slack: the App Home's list with Remove buttons, and the modal that adds one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    DatePickerElement,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot import ids
from bot.blocks.common import (
    MAX_OPTION_TEXT,
    MAX_OPTIONS,
    MAX_SECTION_TEXT,
    MAX_TITLE,
    clip,
    context,
    format_day,
    mrkdwn_escape,
    plain,
)
from engine.model import Page
from engine.records import TimeOff
from services.timeoff import MAX_REASON

TITLE = "Add time off"
_FIELDS = {
    "page": ids.TIME_OFF_PAGE,
    "from": ids.TIME_OFF_FROM,
    "to": ids.TIME_OFF_TO,
    "reason": ids.TIME_OFF_REASON,
}


@dataclass(frozen=True, slots=True)
class TimeOffForm:
    """A submitted time off modal; a missing or malformed value is None."""

    page: str | None
    first_day: date | None
    last_day: date | None
    reason: str | None


def build_time_off_section(
    time_off: Sequence[TimeOff], pages: Mapping[str, Page], *, several: bool
) -> list[Block]:
    """The Home's time off: each stretch with Remove, then Add; ``several`` names the pages."""
    blocks: list[Block] = [HeaderBlock(text=plain("Time off", 150))]
    for index, item in enumerate(time_off):
        page = pages.get(item.page)
        who = f"{mrkdwn_escape(page.name if page else item.page)}: " if several else ""
        days = format_day(item.first_day)
        if item.last_day != item.first_day:
            days += f" – {format_day(item.last_day)}"
        why = f" · {mrkdwn_escape(item.reason)}" if item.reason else ""
        blocks.append(
            SectionBlock(
                block_id=f"{ids.HOME_TIME_OFF}{index}",
                text=clip(f"{who}*{days}*{why}", MAX_SECTION_TEXT),
                accessory=ButtonElement(
                    text=plain("Remove"),
                    action_id=f"{ids.HOME_TIME_OFF_REMOVE}{index}",
                    value=item.id,
                    confirm=ConfirmObject(
                        title="Remove this time off?",
                        text="Those days can be booked again.",
                        confirm="Remove",
                        deny="Keep it",
                    ),
                ),
            )
        )
    if not time_off:
        blocks.append(context("No time off ahead. Days off block whole days for new bookings."))
    blocks.append(
        ActionsBlock(
            block_id=ids.TIME_OFF_OPEN,
            elements=[ButtonElement(text=plain(TITLE), action_id=ids.TIME_OFF_OPEN, value="add")],
        )
    )
    return blocks


def build_time_off_modal(pages: Sequence[Page], *, today: date) -> View:
    """The modal adding time off to one of ``pages`` (the first is chosen to begin with)."""
    options = [
        Option(text=plain(page.name, MAX_OPTION_TEXT), value=page.id)
        for page in pages[:MAX_OPTIONS]
    ]
    return View(
        type="modal",
        callback_id=ids.TIME_OFF_VIEW,
        title=plain(TITLE, MAX_TITLE),
        submit=plain("Add", MAX_TITLE),
        close=plain("Cancel", MAX_TITLE),
        blocks=[
            InputBlock(
                block_id=ids.TIME_OFF_PAGE,
                label=plain("Booking page", 2000),
                element=StaticSelectElement(
                    action_id=ids.TIME_OFF_PAGE, options=options, initial_option=options[0]
                ),
            ),
            InputBlock(
                block_id=ids.TIME_OFF_FROM,
                label=plain("First day", 2000),
                element=DatePickerElement(
                    action_id=ids.TIME_OFF_FROM, initial_date=today.isoformat()
                ),
            ),
            InputBlock(
                block_id=ids.TIME_OFF_TO,
                label=plain("Last day", 2000),
                hint=plain("Both days included, in the page's own time zone.", 2000),
                element=DatePickerElement(
                    action_id=ids.TIME_OFF_TO, initial_date=today.isoformat()
                ),
            ),
            InputBlock(
                block_id=ids.TIME_OFF_REASON,
                label=plain("Reason", 2000),
                optional=True,
                element=PlainTextInputElement(action_id=ids.TIME_OFF_REASON, max_length=MAX_REASON),
            ),
        ],
    )


def parse_time_off(view: Mapping[str, Any]) -> TimeOffForm:
    """Read a submitted time off modal."""
    values: Mapping[str, Mapping[str, Any]] = view.get("state", {}).get("values", {})

    def element(name: str) -> Mapping[str, Any]:
        found = values.get(name, {}).get(name)
        return found if isinstance(found, Mapping) else {}

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(str(element(name).get("selected_date")))
        except ValueError:
            return None

    option = element(ids.TIME_OFF_PAGE).get("selected_option")
    reason = element(ids.TIME_OFF_REASON).get("value")
    return TimeOffForm(
        page=str(option["value"]) if isinstance(option, Mapping) else None,
        first_day=day(ids.TIME_OFF_FROM),
        last_day=day(ids.TIME_OFF_TO),
        reason=reason if isinstance(reason, str) else None,
    )


def time_off_errors(field: str | None, message: str) -> dict[str, str]:
    """Put a refusal on the modal field it is about (the page select when none fits)."""
    return {_FIELDS.get(field or "", ids.TIME_OFF_PAGE): clip(message, 300)}
