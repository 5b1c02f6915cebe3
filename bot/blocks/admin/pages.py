"""The booking page modal: a person (a Slack user) or a room or other resource, and its parser.

Hours are typed per weekday as in the configuration file (``09:00-12:00, 13:00-17:00``),
date overrides one a line (``2026-12-24: off``).
"""

from __future__ import annotations

import re
from typing import Any

from slack_sdk.models.blocks import Block, UserSelectElement
from slack_sdk.models.views import View

from bot.blocks.admin.form import (
    Metadata,
    State,
    block_id,
    identity,
    input_block,
    location_input,
    modal,
    number_input,
    ranges,
    text_input,
)
from engine.model import Page, PageKind
from services.config_values import range_text
from services.sections import Section

WEEKDAYS = (
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
)
_OVERRIDE = re.compile(r"\s*(\d{4}-\d{2}-\d{2}|[^\s:]+)\s*:?\s*(.*)")


def build_page_modal(page: Page | None, *, kind: PageKind, default_timezone: str) -> View:
    """Create or edit a booking page: a person (a Slack user) or a resource (a room)."""
    blocks: list[Block] = [*identity(page, kind.value)]
    if kind is PageKind.MEMBER:
        blocks.append(
            input_block(
                "slack_user",
                "Slack user",
                UserSelectElement(
                    action_id=block_id("slack_user"),
                    initial_user=page.slack_user if page else None,
                    placeholder="Whose calendar is this?",
                ),
            )
        )
    else:
        blocks.append(
            input_block(
                "capacity",
                "Capacity (people)",
                number_input("capacity", page.capacity if page else None),
                optional=True,
            )
        )
    blocks.append(
        input_block(
            "timezone",
            "Time zone",
            text_input("timezone", page.timezone if page else default_timezone, max_length=64),
            hint="An IANA name like Europe/London; the hours below are in this zone.",
        )
    )
    for index, (day, label) in enumerate(WEEKDAYS):
        ranges = page.hours[index] if page else ()
        blocks.append(
            input_block(
                f"hours.{day}",
                f"{label} hours",
                text_input(
                    f"hours.{day}",
                    ", ".join(range_text(item) for item in ranges),
                    placeholder="09:00-12:00, 13:00-17:00",
                ),
                optional=True,
            )
        )
    overrides = page.overrides if page else {}
    blocks.append(
        input_block(
            "overrides",
            "Date overrides",
            text_input(
                "overrides",
                "\n".join(
                    f"{day.isoformat()}: "
                    + (", ".join(range_text(item) for item in overrides[day]) or "off")
                    for day in sorted(overrides)
                ),
                multiline=True,
                placeholder="2026-12-24: off",
            ),
            optional=True,
            hint="One local date a line, replacing that day's hours: "
            "'2026-12-24: off' or '2026-12-27: 10:00-14:00'.",
        )
    )
    blocks.append(
        input_block(
            "max_per_day",
            "At most bookings a day",
            number_input("max_per_day", page.max_per_day if page else None),
            optional=True,
        )
    )
    blocks.append(
        input_block(
            "max_per_week",
            "At most bookings a week",
            number_input("max_per_week", page.max_per_week if page else None),
            optional=True,
        )
    )
    blocks.append(location_input(page.location if page else None, "https://meet.example.com/alice"))
    what = "Person" if kind is PageKind.MEMBER else "Room or resource"
    return modal(Metadata(Section.BOOKING_PAGES, page.id if page else None, kind), what, blocks)


def page_data(state: State, kind: PageKind, data: dict[str, Any]) -> None:
    data.update(
        kind=kind.value,
        name=state.text("name"),
        timezone=state.text("timezone"),
        slack_user=state.user("slack_user"),
        capacity=state.text("capacity"),
        max_per_day=state.text("max_per_day"),
        max_per_week=state.text("max_per_week"),
        location=state.text("location"),
    )
    hours = {day: ranges(state.text(f"hours.{day}") or "") for day, _ in WEEKDAYS}
    data["hours"] = {day: ranges for day, ranges in hours.items() if ranges}
    overrides: dict[str, list[str]] = {}
    for line in (state.text("overrides") or "").splitlines():
        match = _OVERRIDE.fullmatch(line)
        if match is None or not line.strip():
            continue
        overrides.setdefault(match[1], []).extend(ranges(match[2]))
    data["overrides"] = overrides
