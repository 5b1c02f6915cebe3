"""The event type modal: durations, limits, reminders, pages and booking form, and its parser.

Durations are typed as in the configuration file (``30m``, ``1h30m``); the booking form one
question a line (``topic | Topic | required``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.blocks.admin.form import (
    Metadata,
    State,
    entity_option,
    identity,
    input_block,
    items,
    location_input,
    modal,
    multi_select,
    number_input,
    off,
    text_input,
)
from engine.bounds import MAX_DAYS_AHEAD
from engine.durations import format_duration
from engine.model import EventType, Page
from services.sections import Section


def build_event_type_modal(event_type: EventType | None, pages: Iterable[Page]) -> View:
    """Create or edit an event type: durations, limits, reminders, pages and booking form."""
    et = event_type
    blocks: list[Block] = [*identity(et, "event type")]
    durations = (
        ("duration", "Duration", et.duration if et else None, False, "30m"),
        ("step", "Start times every", et.step if et else None, True, "same as the duration"),
        ("buffer_before", "Buffer before", et.buffer_before if et else None, True, "0m"),
        ("buffer_after", "Buffer after", et.buffer_after if et else None, True, "0m"),
        ("min_notice", "Minimum notice", et.min_notice if et else None, True, "0m"),
    )
    for name, label, value, optional, placeholder in durations:
        initial = format_duration(value) if value is not None else ""
        blocks.append(
            input_block(
                name,
                label,
                text_input(name, initial, placeholder=placeholder, max_length=20),
                optional=optional,
            )
        )
    blocks.append(
        input_block(
            "max_days_ahead",
            "Bookable days ahead",
            number_input("max_days_ahead", et.max_days_ahead if et else None, MAX_DAYS_AHEAD),
            optional=True,
        )
    )
    reminders = "" if et is None else ", ".join(format_duration(r) for r in et.reminders) or "none"
    blocks.append(
        input_block(
            "reminders",
            "Reminders before the start",
            text_input("reminders", reminders, placeholder="24h, 15m", max_length=200),
            optional=True,
            hint="Empty for the default (24h, 15m); 'none' for no reminders.",
        )
    )
    page_options = [entity_option(page, page.id) for page in pages]
    if page_options:
        chosen = set(et.pages if et else ())
        blocks.append(
            input_block(
                "pages",
                "Booking pages (static rules and picking a page)",
                multi_select("pages", page_options, chosen, "Pages"),
                optional=True,
            )
        )
    form = (
        ""
        if et is None
        else "\n".join(
            f"{item.id} | {item.label}" + (" | required" if item.required else "")
            for item in et.form
        )
    )
    blocks.append(
        input_block(
            "form",
            "Booking form questions",
            text_input("form", form, multiline=True, placeholder="topic | Topic | required"),
            optional=True,
            hint="One question a line: id | label, adding '| required' when it must be answered.",
        )
    )
    blocks.append(location_input(et.location if et else None, "Room 4B, or a video link"))
    return modal(Metadata(Section.EVENT_TYPES, et.id if et else None), "Event type", blocks)


def event_type_data(state: State, data: dict[str, Any]) -> None:
    for name in ("name", "duration", "step", "buffer_before", "buffer_after", "min_notice"):
        data[name] = state.text(name)
    data["max_days_ahead"] = state.text("max_days_ahead")
    data["location"] = state.text("location")
    reminders = state.text("reminders")
    if reminders is not None:
        data["reminders"] = [] if off(reminders) else items(reminders)
    data["pages"] = state.chosen("pages")
    form: list[dict[str, Any]] = []
    for line in (state.text("form") or "").splitlines():
        parts = [part.strip() for part in line.split("|")]
        if not parts[0]:
            continue
        question: dict[str, Any] = {"id": parts[0]}
        if len(parts) > 1 and parts[1]:
            question["label"] = parts[1]
        if len(parts) > 2 and parts[2]:
            question["required"] = True if parts[2].lower() == "required" else parts[2]
        form.append(question)
    data["form"] = form
